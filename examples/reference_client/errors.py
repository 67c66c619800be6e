"""The reference client's error tree, and the one place httpx exceptions are translated.

    Exception
    ├── RequestError        the caller's request is wrong (4xx): bad input, wrong credentials
    └── UpstreamFailure     an upstream did not give a usable answer (-> 502/503/504 without a
                            fallback): unreachable, timed out, 5xx / maintenance, unreadable
                            body, or its circuit breaker is open

Business answers (participant not active, quota full) are neither: adapters return them as values.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from enum import StrEnum

import httpx


class Upstream(StrEnum):
    BPJS = "bpjs"
    ERM = "erm"
    PATIENT_APP = "patient-app"


class FailureKind(StrEnum):
    UNREACHABLE = "unreachable"  # connection refused / reset before an answer
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"  # 503 / maintenance page
    BAD_GATEWAY = "bad_gateway"  # other 5xx, HTML instead of JSON, truncated, drifted schema
    CIRCUIT_OPEN = "circuit_open"  # not even tried: the breaker is open


_STATUS: dict[FailureKind, int] = {
    FailureKind.UNREACHABLE: 503,
    FailureKind.TIMEOUT: 504,
    FailureKind.UNAVAILABLE: 503,
    FailureKind.BAD_GATEWAY: 502,
    FailureKind.CIRCUIT_OPEN: 503,
}


class RequestError(Exception):
    """The caller's request cannot be served as sent; `status` is the 4xx to answer with."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class UpstreamFailure(Exception):
    """`upstream` gave no usable answer; `retry_after` is its Retry-After in seconds, if any."""

    def __init__(
        self,
        upstream: Upstream,
        kind: FailureKind,
        detail: str,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{upstream.value} {kind.value}: {detail}")
        self.upstream = upstream
        self.kind = kind
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        """The HTTP status a client without a fallback answers with."""
        return _STATUS[self.kind]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def raise_for_upstream_status(upstream: Upstream, response: httpx.Response) -> None:
    """UpstreamFailure for a 5xx (503 is `unavailable`, the rest `bad_gateway`)."""
    if response.status_code < 500:
        return
    kind = FailureKind.UNAVAILABLE if response.status_code == 503 else FailureKind.BAD_GATEWAY
    raise UpstreamFailure(
        upstream,
        kind,
        f"HTTP {response.status_code}",
        retry_after=_retry_after(response),
    )


@contextlib.asynccontextmanager
async def translated(upstream: Upstream) -> AsyncIterator[None]:
    """Turn httpx's transport errors inside the block into UpstreamFailure."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise UpstreamFailure(upstream, FailureKind.TIMEOUT, type(exc).__name__) from exc
    except (httpx.ConnectError, httpx.ReadError, httpx.WriteError) as exc:
        raise UpstreamFailure(upstream, FailureKind.UNREACHABLE, str(exc) or repr(exc)) from exc
    except (httpx.RemoteProtocolError, httpx.DecodingError) as exc:
        # A peer reset mid-answer or a body cut short against its Content-Length.
        raise UpstreamFailure(upstream, FailureKind.BAD_GATEWAY, str(exc) or repr(exc)) from exc
    except httpx.TransportError as exc:
        raise UpstreamFailure(upstream, FailureKind.UNREACHABLE, str(exc) or repr(exc)) from exc
