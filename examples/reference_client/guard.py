"""How an upstream call is made: the seam between the naive and the resilient build.

The naive build calls once (`DirectGuard`); the resilient one goes through a circuit breaker and
retries idempotent calls (resilience/guard.py). Both satisfy `Guard`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Guard(Protocol):
    async def run(self, call: Callable[[], Awaitable[T]], *, idempotent: bool) -> T: ...


class DirectGuard:
    """One attempt, no breaker: what a client without resilience does."""

    async def run(self, call: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
        return await call()
