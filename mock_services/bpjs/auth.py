"""The BPJS request signature: X-cons-id, X-timestamp, X-signature and user_key.

X-signature = base64(HMAC-SHA256(key=secret, message="{consid}&{timestamp}")), X-timestamp is Unix
seconds (UTC). Header names are matched case-insensitively (Starlette lower-cases them), and the
timestamp must lie within `max_skew` seconds of the server clock on either side. Every rejection
is a `ServiceError` with code "401" and a message naming the header and how to fix it.

The server clock is `clock()` moved by the request's clock_skew faults (`seconds` ahead, or behind
when negative). To this check that is the same as the client's clock being off the other way, as
on a hospital server whose NTP drifted: a client with the right time gets the rejection a client
with a wrong clock gets. Only this check reads the skewed clock. The answers carry no server time
(no response-time field; payload dates such as umurSekarang's "today" keep the real date), so a
skew changes who is let in, not what they are told.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from mock_services.bpjs.config import BpjsConfig
from mock_services.common.app import ServiceError
from mock_services.common.faults import clock_skew_seconds

AUTH_ERROR_CODE = "401"
HEADER_CONS_ID = "X-cons-id"
HEADER_TIMESTAMP = "X-timestamp"
HEADER_SIGNATURE = "X-signature"
HEADER_USER_KEY = "user_key"
SIGNED_HEADERS = (HEADER_CONS_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE, HEADER_USER_KEY)
_CONS_ID, _TIMESTAMP, _SIGNATURE, _USER_KEY = (name.lower() for name in SIGNED_HEADERS)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a verified request carries that the response encryption needs."""

    cons_id: str
    timestamp: str  # exactly as the client sent it: the encryption key is derived from this text


def signature(*, cons_id: str, secret: str, timestamp: str) -> str:
    return _signature(cons_id, secret, timestamp)


@lru_cache(maxsize=1024)  # a busy client signs many requests within the same second
def _signature(cons_id: str, secret: str, timestamp: str) -> str:
    digest = hmac.digest(secret.encode(), f"{cons_id}&{timestamp}".encode(), hashlib.sha256)
    return base64.b64encode(digest).decode()


def _reject(message: str) -> ServiceError:
    return ServiceError(message, code=AUTH_ERROR_CODE)


class SignatureVerifier:
    """Checks the four BPJS headers of a request against the configured credentials."""

    def __init__(self, config: BpjsConfig, *, clock: Callable[[], float] = time.time) -> None:
        self._config = config
        self._clock = clock

    def verify(self, headers: Mapping[str, str]) -> SignedRequest:
        """Check `headers`, whose names must be lower-case (as ASGI and Starlette give them)."""
        cons_id = headers.get(_CONS_ID)
        timestamp = headers.get(_TIMESTAMP)
        sent_signature = headers.get(_SIGNATURE)
        user_key = headers.get(_USER_KEY)
        if not (cons_id and timestamp and sent_signature and user_key):
            missing = [name for name in SIGNED_HEADERS if not headers.get(name.lower())]
            raise _reject(
                f"missing header {', '.join(missing)}: "
                f"every request needs {', '.join(SIGNED_HEADERS)}"
            )
        timestamp = timestamp.strip()
        config = self._config
        if cons_id != config.cons_id:
            raise _reject(
                f"unknown X-cons-id {cons_id!r}: use the cons id you were registered with"
            )
        if user_key != config.user_key:
            raise _reject("invalid user_key: send the user key issued for this cons id")
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise _reject(
                f"invalid X-timestamp {timestamp[:20]!r}: send Unix time in whole seconds (UTC)"
            )
        # verify runs inside the request, under FaultMiddleware, which sets the fired faults.
        skew = int(timestamp) - (int(self._clock()) + clock_skew_seconds())
        if abs(skew) > config.max_skew:
            direction = "ahead of" if skew > 0 else "behind"
            raise _reject(
                f"X-timestamp is {abs(skew)} s {direction} the server clock (allowed: "
                f"{config.max_skew} s): synchronise the client clock or fix its time offset"
            )
        expected = _signature(cons_id, config.secret, timestamp)
        sent = sent_signature.strip().encode("latin-1")  # as the header bytes were decoded
        if not hmac.compare_digest(expected.encode(), sent):
            raise _reject(
                'invalid X-signature: expected base64(HMAC-SHA256(secret, "{consid}&{timestamp}")) '
                "for the X-cons-id and X-timestamp sent"
            )
        return SignedRequest(cons_id=cons_id, timestamp=timestamp)
