"""A minimal BPJS VClaim v2 / Antrean RS client, as a hospital system would write it.

It signs every request and decrypts every response exactly as the published protocol says
(shared/health-apis.md), independently of the mock's own code, so a round trip through it proves
the mock speaks the real protocol:

- headers X-cons-id, X-timestamp (Unix seconds, UTC), X-signature = base64(HMAC-SHA256(secret,
  "consid&timestamp")), user_key;
- the response field is base64 AES-256-CBC (PKCS7) with key SHA-256(consid + secret + timestamp),
  IV = the key's first 16 bytes, over LZ-string compressToEncodedURIComponent of the JSON text.

    client = BpjsClient(base_url="http://127.0.0.1:18101/vclaim-rest", credentials=creds)
    peserta = client.get("Peserta/nokartu/0001234567890/tglSEP/2025-03-25")

`AsyncBpjsClient` is the same protocol on an `httpx.AsyncClient` the caller owns (so the caller
chooses timeouts and transport), for asyncio services such as examples/reference_client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
import lzstring
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


@dataclass(frozen=True, kw_only=True)
class Credentials:
    cons_id: str
    secret: str
    user_key: str


class BpjsProtocolError(Exception):
    """The answer could not be read as a BPJS envelope (HTML page, bad JSON, undecryptable).

    `status_code` is the HTTP status of that answer when there was one (a gateway's 503
    maintenance page tells a client more than "not JSON"), and `retry_after` its Retry-After in
    seconds (a maintenance page saying when to come back).
    """

    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


def _retry_after(value: str) -> float | None:
    """Retry-After in seconds; the HTTP-date form is rare on these gateways and read as absent."""
    return float(value) if value.strip().isdigit() else None


def sign(credentials: Credentials, timestamp: str) -> str:
    message = f"{credentials.cons_id}&{timestamp}".encode()
    digest = hmac.new(credentials.secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def headers(credentials: Credentials, *, timestamp: str | None = None) -> dict[str, str]:
    ts = timestamp or str(int(time.time()))
    return {
        "X-cons-id": credentials.cons_id,
        "X-timestamp": ts,
        "X-signature": sign(credentials, ts),
        "user_key": credentials.user_key,
        "Content-Type": "Application/x-www-form-urlencoded",
    }


def decrypt(credentials: Credentials, timestamp: str, payload: str) -> Any:
    key = hashlib.sha256(f"{credentials.cons_id}{credentials.secret}{timestamp}".encode()).digest()
    try:
        decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        padded = decryptor.update(base64.b64decode(payload)) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        compressed = (unpadder.update(padded) + unpadder.finalize()).decode()
        text = lzstring.LZString().decompressFromEncodedURIComponent(compressed)
        return json.loads(text)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BpjsProtocolError(f"response could not be decrypted: {exc}") from exc


@dataclass(frozen=True)
class BpjsResponse:
    code: str
    message: str
    response: Any


def read_envelope(credentials: Credentials, timestamp: str, answer: httpx.Response) -> BpjsResponse:
    """Unwrap a VClaim (`metaData`) or Antrean (`metadata`) envelope and decrypt its payload.

    Raises BpjsProtocolError when the answer is not an envelope at all (a gateway's HTML page,
    broken JSON) or its payload cannot be decrypted.
    """
    try:
        envelope = answer.json()
        meta = envelope.get("metaData") or envelope["metadata"]
        code, message = str(meta.get("code")), str(meta.get("message"))
    except (ValueError, KeyError, AttributeError, TypeError) as exc:
        snippet = answer.text[:80].replace("\n", " ")
        raise BpjsProtocolError(
            f"HTTP {answer.status_code} was not a BPJS envelope: {snippet!r}",
            status_code=answer.status_code,
            retry_after=_retry_after(answer.headers.get("retry-after", "")),
        ) from exc
    payload = envelope.get("response")
    if isinstance(payload, str) and code == "200":
        try:
            payload = decrypt(credentials, timestamp, payload)
        except BpjsProtocolError as exc:
            exc.status_code = answer.status_code
            raise
    return BpjsResponse(code, message, payload)


class BpjsClient:
    """Signs requests, unwraps the envelope (VClaim `metaData` or Antrean `metadata`), decrypts."""

    def __init__(
        self, *, base_url: str, credentials: Credentials, timeout: float | None = 10.0
    ) -> None:
        self.credentials = credentials
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, body: Any = None) -> BpjsResponse:
        ts = str(int(time.time()))
        content = json.dumps(body).encode() if body is not None else None
        answer = self._http.request(
            method, path, headers=headers(self.credentials, timestamp=ts), content=content
        )
        return read_envelope(self.credentials, ts, answer)

    def get(self, path: str) -> BpjsResponse:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> BpjsResponse:
        return self.request("POST", path, body)


class AsyncBpjsClient:
    """`BpjsClient` for asyncio: signs, unwraps and decrypts over a caller-owned AsyncClient.

    async with httpx.AsyncClient(base_url=f"{bpjs}/vclaim-rest/", timeout=3.0) as http:
        answer = await AsyncBpjsClient(http=http, credentials=creds).get("ref/poli")
    """

    def __init__(self, *, http: httpx.AsyncClient, credentials: Credentials) -> None:
        self.credentials = credentials
        self._http = http

    async def request(self, method: str, path: str, body: Any = None) -> BpjsResponse:
        ts = str(int(time.time()))
        content = json.dumps(body).encode() if body is not None else None
        answer = await self._http.request(
            method, path, headers=headers(self.credentials, timestamp=ts), content=content
        )
        return read_envelope(self.credentials, ts, answer)

    async def get(self, path: str) -> BpjsResponse:
        return await self.request("GET", path)

    async def post(self, path: str, body: Any) -> BpjsResponse:
        return await self.request("POST", path, body)
