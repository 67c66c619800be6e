"""VClaim v2 response encryption, and the LZ-string compression in front of it.

The response text is `base64(AES-256-CBC(key, iv, PKCS7(LZString.compressToEncodedURIComponent(
json))))` with `key = SHA-256(consid + secret + timestamp)` (the client's own X-timestamp text) and
`iv = key[:16]`.

LZ-string in pure Python costs about 1 ms per KB, while AES is a few microseconds, and the
compressed form does not depend on the key: `compress` keeps a bounded LRU of compressed forms keyed
by the JSON text (already PKCS7-padded), so a repeated payload costs only the AES step.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lzstring import LZString

COMPRESSED_CACHE_SIZE = 4096
BLOCK = 16

_lz = LZString()


def compress_uncached(json_text: str) -> str:
    compressed: str = _lz.compressToEncodedURIComponent(json_text)
    return compressed


def pkcs7(data: bytes) -> bytes:
    pad = BLOCK - len(data) % BLOCK  # 1..16 bytes, each the pad length
    return data + bytes((pad,)) * pad


@lru_cache(maxsize=COMPRESSED_CACHE_SIZE)
def compressed_padded(json_text: str) -> bytes:
    """The AES plaintext for `json_text` (LZ-string form, PKCS7-padded), cached by the JSON text."""
    return pkcs7(compress_uncached(json_text).encode())


def derive_key(*, cons_id: str, secret: str, timestamp: str) -> tuple[bytes, bytes]:
    """(key, iv) for one request: SHA-256 of consid + secret + timestamp, and its first 16 bytes."""
    return _derive_key(cons_id, secret, timestamp)


@lru_cache(maxsize=1024)  # one key per client second: shared by that second's requests
def _derive_key(cons_id: str, secret: str, timestamp: str) -> tuple[bytes, bytes]:
    key = hashlib.sha256(f"{cons_id}{secret}{timestamp}".encode()).digest()
    return key, key[:16]


def encrypt_padded(padded: bytes, *, key: bytes, iv: bytes) -> bytes:
    """base64 (as ASCII bytes) of AES-256-CBC over already padded plaintext."""
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize())


def encrypt_for(padded: bytes, *, cons_id: str, secret: str, timestamp: str) -> bytes:
    key, iv = _derive_key(cons_id, secret, timestamp)
    return encrypt_padded(padded, key=key, iv=iv)


def undecryptable(padded: bytes, *, cons_id: str, secret: str, timestamp: str) -> bytes:
    """Normal-looking base64 that no client can decrypt, whatever its decrypter.

    Encrypted with a key derived from the wrong secret, then cut by 5 bytes so that the ciphertext
    is no longer a whole number of AES blocks: every AES-CBC implementation rejects it outright,
    instead of a 1-in-256 chance of garbage that happens to end in valid padding.
    """
    key, iv = _derive_key(cons_id, secret[::-1] + "x", timestamp)
    raw = base64.b64decode(encrypt_padded(padded, key=key, iv=iv))
    return base64.b64encode(raw[:-5])
