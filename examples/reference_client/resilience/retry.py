"""Retries with exponential backoff and full jitter, for idempotent calls only.

Only a call that cannot create a second record when repeated may be retried: a GET, or a POST
carrying an Idempotency-Key derived from the natural key. The caller decides; this module only
spaces the attempts: attempt n waits uniform(0, min(max_delay, base_delay * 2**n)) seconds, and no
new attempt starts once `budget` seconds have passed since the first.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from examples.reference_client.errors import FailureKind, UpstreamFailure

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.1
    max_delay: float = 1.0
    budget: float = 4.0  # seconds; no attempt starts after this

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter backoff before retry number `attempt` (1 = the first retry)."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2**attempt))

    def worth_retrying(self, failure: UpstreamFailure) -> bool:
        if failure.kind is FailureKind.CIRCUIT_OPEN:
            return False
        # A maintenance page that says "back in 30 minutes" will not be over in a second.
        return failure.retry_after is None or failure.retry_after <= self.max_delay


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    rng: random.Random,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """`await call()`, retried on UpstreamFailure as `policy` allows; the last failure is raised."""
    started = clock()
    attempt = 0
    while True:
        try:
            return await call()
        except UpstreamFailure as failure:
            attempt += 1
            if attempt >= policy.attempts or not policy.worth_retrying(failure):
                raise
            pause = policy.delay(attempt, rng)
            if clock() - started + pause > policy.budget:
                raise
            await sleep(pause)
