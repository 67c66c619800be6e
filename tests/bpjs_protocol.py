"""A test-side BPJS client: signs requests and decrypts responses from the documented algorithm.

Deliberately independent of mock_services.bpjs: it uses only hashlib/hmac, `cryptography` and the
`lzstring` package's decompressor, so a mistake in the mock's crypto cannot hide behind the same
mistake here.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import lzstring
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from harness.net import free_port
from harness.process import Supervisor
from service_contract import credentials
from service_contract.ledger import BpjsLedger
from tests.conftest import mock_spec

CONS_ID = credentials.BPJS_CONS_ID
SECRET = credentials.BPJS_SECRET
USER_KEY = credentials.BPJS_USER_KEY
VCLAIM = "/vclaim-rest"
ANTREAN = "/antreanrs"
FORM = "Application/x-www-form-urlencoded"  # what real VClaim clients send, with a JSON body


def sign(*, cons_id: str = CONS_ID, secret: str = SECRET, timestamp: str) -> str:
    mac = hmac.new(secret.encode(), f"{cons_id}&{timestamp}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def signed_headers(
    timestamp: str | None = None, *, cons_id: str = CONS_ID, secret: str = SECRET
) -> dict[str, str]:
    ts = timestamp if timestamp is not None else str(int(time.time()))
    return {
        "X-cons-id": cons_id,
        "X-timestamp": ts,
        "X-signature": sign(cons_id=cons_id, secret=secret, timestamp=ts),
        "user_key": USER_KEY,
    }


def decrypt(
    ciphertext: str, *, timestamp: str, cons_id: str = CONS_ID, secret: str = SECRET
) -> Any:
    """base64 -> AES-256-CBC (key SHA-256(consid+secret+timestamp), iv key[:16]) -> PKCS7 unpad
    -> LZString.decompressFromEncodedURIComponent -> JSON."""
    key = hashlib.sha256(f"{cons_id}{secret}{timestamp}".encode()).digest()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = decryptor.update(base64.b64decode(ciphertext)) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    compressed = (unpadder.update(padded) + unpadder.finalize()).decode()
    text = lzstring.LZString().decompressFromEncodedURIComponent(compressed)
    if not text:
        raise ValueError("LZ-string decompression gave nothing")
    return json.loads(text)


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    timestamp: str

    @property
    def meta(self) -> dict[str, Any]:
        meta = self.body.get("metaData", self.body.get("metadata"))
        assert isinstance(meta, dict), self.body
        return meta

    @property
    def code(self) -> Any:
        return self.meta["code"]

    def payload(self) -> Any:
        response = self.body["response"]
        assert isinstance(response, str), f"expected an encrypted response, got {self.body}"
        return decrypt(response, timestamp=self.timestamp)


@dataclass
class BpjsClient:
    """Signed calls to one running mock."""

    base_url: str
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=30)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        timestamp: str | None = None,
        content_type: str = FORM,
    ) -> Reply:
        sent = headers if headers is not None else signed_headers(timestamp)
        content = None if body is None else json.dumps(body).encode()
        if content is not None:
            sent = {**sent, "Content-Type": content_type}
        response = self.http.request(method, path, content=content, headers=sent)
        parsed = response.json()
        assert isinstance(parsed, dict), response.text
        return Reply(
            status=response.status_code,
            body=parsed,
            timestamp=next((v for k, v in sent.items() if k.lower() == "x-timestamp"), ""),
        )

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> Reply:
        return self.call("POST", path, body, **kwargs)

    def add_fault(self, kind: str, route: str = "*", **params: Any) -> str:
        response = self.http.post(
            "/__admin/faults", json={"kind": kind, "route": route, "params": params}
        )
        assert response.status_code == 201, response.text
        fault_id: str = response.json()["id"]
        return fault_id

    def clear_faults(self) -> None:
        self.http.delete("/__admin/faults").raise_for_status()

    def ledger(self) -> dict[str, Any]:
        """The stored bookings and SEPs as JSON, checked against the contract's BpjsLedger."""
        data: dict[str, Any] = self.http.get("/__admin/bpjs/ledger").json()
        BpjsLedger.model_validate(data)
        return data

    def close(self) -> None:
        self.http.close()


@contextlib.contextmanager
def running_bpjs(log_dir: Path, *, extra: tuple[str, ...] = ()) -> Iterator[BpjsClient]:
    """One real `python -m mock_services bpjs` process (same spec as the start_mock fixture), for
    a module of tests that can share it; stopped by its supervisor at the end."""
    with Supervisor(log_dir=log_dir) as supervisor:
        port = free_port()
        supervisor.start(mock_spec("bpjs", port=port, extra=extra))
        client = BpjsClient(f"http://127.0.0.1:{port}")
        try:
            yield client
        finally:
            client.close()
