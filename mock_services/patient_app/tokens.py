"""Bearer tokens: compact JWTs (HS256) signed with the service's secret.

Access and refresh tokens are both JWTs with `sub` (the patient's NIK), `typ` ("access" or
"refresh"), `iat`, `exp` (seconds, fractional allowed) and `jti`. They are stateless, so they stay
valid across a restart with the same secret; refresh tokens are additionally single-use (the store
records spent `jti`s), as token rotation in real apps does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


class TokenError(Exception):
    """A token that is malformed, badly signed, of the wrong type or expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True, slots=True)
class Claims:
    sub: str
    typ: TokenType
    iat: float
    exp: float
    jti: str


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    claims: Claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(b'{"alg":"HS256","typ":"JWT"}')


class TokenSigner:
    MAX_CACHED = 4096

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        # Tokens whose signature and payload were already checked; type and expiry are still
        # checked on every use. Every request carries one, so this saves real work.
        self._verified: dict[str, Claims] = {}

    def _sign(self, signing_input: str) -> str:
        return _b64(hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest())

    def issue(self, subject: str, *, typ: TokenType, ttl: float) -> IssuedToken:
        now = time.time()
        claims = Claims(
            sub=subject,
            typ=typ,
            iat=round(now, 3),
            exp=round(now + ttl, 3),
            jti=secrets.token_hex(8),
        )
        body = {"sub": claims.sub, "typ": claims.typ.value, "iat": claims.iat, "exp": claims.exp}
        payload = _b64(json.dumps({**body, "jti": claims.jti}, separators=(",", ":")).encode())
        signing_input = f"{_HEADER}.{payload}"
        return IssuedToken(token=f"{signing_input}.{self._sign(signing_input)}", claims=claims)

    def verify(self, token: str, *, typ: TokenType) -> Claims:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._check(token)
            if len(self._verified) >= self.MAX_CACHED:
                self._verified.clear()
            self._verified[token] = claims
        if claims.typ is not typ:
            raise TokenError(f"a {claims.typ.value} token was given where a {typ.value} is needed")
        if time.time() >= claims.exp:
            raise TokenError(f"{typ.value} token expired; refresh it or log in again", expired=True)
        return claims

    def _check(self, token: str) -> Claims:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _HEADER:
            raise TokenError("token is not a token issued by this service")
        signing_input = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._sign(signing_input), parts[2]):
            raise TokenError("token signature is invalid")
        try:
            raw = json.loads(_unb64(parts[1]))
            claims = Claims(
                sub=str(raw["sub"]),
                typ=TokenType(raw["typ"]),
                iat=float(raw["iat"]),
                exp=float(raw["exp"]),
                jti=str(raw["jti"]),
            )
        except (ValueError, KeyError, TypeError):
            raise TokenError("token payload is malformed") from None
        return claims
