"""Turning a payload into the `response` field: payload faults, then compression and encryption.

Payload faults (schema_drift, stale_data) are applied to the plain payload before it is serialised,
so a client sees them only after decrypting, as it would with a real upstream change. While such a
fault is active the compression cache is bypassed: the distorted text must not evict, or be served
in place of, the real one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mock_services.bpjs import crypto
from mock_services.bpjs.auth import SignedRequest
from mock_services.common.faults import (
    apply_payload_faults,
    payload_faults_active,
    undecryptable_requested,
)


def dumps(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Prepared:
    """A payload serialised once: the same `text` object again and again also keeps its hash
    cached, so the compression cache lookup costs nothing."""

    value: object
    text: str


def prepare(value: object) -> Prepared:
    return Prepared(value=value, text=dumps(value))


class ResponseCodec:
    """Encrypts payloads for one set of credentials (the secret never leaves this object)."""

    def __init__(self, *, secret: str) -> None:
        self._secret = secret

    def encrypt(self, payload: object, signed: SignedRequest) -> bytes:
        """base64 (ASCII bytes) of the encrypted `payload`: any JSON value, or a `Prepared` one."""
        if payload_faults_active():
            value = payload.value if isinstance(payload, Prepared) else payload
            text = dumps(apply_payload_faults(value))
            compressed = crypto.pkcs7(crypto.compress_uncached(text).encode())
        else:
            text = payload.text if isinstance(payload, Prepared) else dumps(payload)
            compressed = crypto.compressed_padded(text)
        if undecryptable_requested():
            return crypto.undecryptable(
                compressed, cons_id=signed.cons_id, secret=self._secret, timestamp=signed.timestamp
            )
        return crypto.encrypt_for(
            compressed, cons_id=signed.cons_id, secret=self._secret, timestamp=signed.timestamp
        )

    @staticmethod
    def plain(payload: object) -> object:
        """For the few answers real clients do not decrypt (SEP delete): faults still apply."""
        return apply_payload_faults(payload) if payload_faults_active() else payload
