"""The resilient build's guard around every upstream call: breaker first, then retries."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from examples.reference_client.errors import (
    FailureKind,
    RequestError,
    Upstream,
    UpstreamFailure,
)
from examples.reference_client.resilience.breaker import BreakerState, CircuitBreaker
from examples.reference_client.resilience.retry import RetryPolicy, retrying

T = TypeVar("T")


class ResilientGuard:
    """One upstream's breaker and retry policy; `run` is what the adapters' callers use."""

    def __init__(
        self,
        upstream: Upstream,
        *,
        breaker: CircuitBreaker,
        retry: RetryPolicy,
        rng: random.Random,
    ) -> None:
        self.upstream = upstream
        self.breaker = breaker
        self._retry = retry
        self._rng = rng

    @property
    def state(self) -> BreakerState:
        return self.breaker.state

    async def run(self, call: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
        """`await call()` through the breaker; retried only if `idempotent`."""

        async def once() -> T:
            if not self.breaker.allow():
                raise UpstreamFailure(self.upstream, FailureKind.CIRCUIT_OPEN, "breaker open")
            try:
                result = await call()
            except UpstreamFailure:
                self.breaker.record_failure()
                raise
            except RequestError:
                self.breaker.record_success()  # it answered: a 4xx comes from a healthy upstream
                raise
            except BaseException:
                self.breaker.release()  # cancelled: no verdict on the upstream
                raise
            self.breaker.record_success()
            return result

        if not idempotent:
            return await once()
        return await retrying(once, policy=self._retry, rng=self._rng)
