"""Ed25519 signing of health certificates, verifiable offline with the published public key.

Scheme (documented for client authors):
- the signed bytes are the canonical JSON of the `certificate` object: keys sorted, separators
  `","` and `":"`, UTF-8, non-ASCII characters kept as they are (`ensure_ascii=False`);
- `signature.value` is the 64-byte Ed25519 signature, base64url without padding;
- `signature.kid` names the key; `GET /api/v1/certificates/keys` publishes the public keys as a
  JWK set (`kty` "OKP", `crv` "Ed25519", `x` = the raw 32-byte public key, base64url).
The key is a development key derived from the seed, so certificates stay verifiable across
restarts; it is not, and must never be, a real issuer's key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALGORITHM = "Ed25519"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def canonical_json(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class CertificateSigner:
    def __init__(self, seed_bytes: bytes) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed_bytes).digest())
        self.public_raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.kid = f"patient-app-{hashlib.sha256(self.public_raw).hexdigest()[:16]}"

    def sign(self, document: Any) -> str:
        return b64url(self._key.sign(canonical_json(document)))

    def jwk(self) -> dict[str, str]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": self.kid,
            "x": b64url(self.public_raw),
        }
