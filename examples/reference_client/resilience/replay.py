"""The background task: forward the outbox exactly once, verify pending eligibility.

Every `interval` seconds one bounded round runs:
- up to `batch` pending outbox entries, oldest first, each sent with its own Idempotency-Key
  through its upstream's guard (so an open breaker costs nothing, and a half-open one gets its
  probe). A delivery is marked delivered with the upstream's answer and whether the upstream said
  `Idempotent-Replayed` (it had the record already: nothing new was created). A refusal (4xx) is
  kept as `rejected` for staff, never retried blindly. After an upstream failure the round skips
  that upstream's remaining entries;
- up to `batch` registrations with eligibility pending verification are checked against BPJS.
`run` stops cleanly when its stop event is set (the app's lifespan does that at shutdown).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from examples.reference_client.errors import RequestError, Upstream, UpstreamFailure
from examples.reference_client.registration import Delivered
from examples.reference_client.resilience.outbox import Outbox, OutboxEntry, OutboxKind
from examples.reference_client.resilience.periodic import every

log = logging.getLogger(__name__)

Deliver = Callable[[OutboxEntry], Awaitable[Delivered]]
Verify = Callable[..., Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Route:
    """Where one kind of outbox entry goes, and how."""

    upstream: Upstream
    deliver: Deliver


@dataclass(frozen=True, slots=True)
class RoundResult:
    delivered: int
    rejected: int
    failed: int
    verified: int


class Replayer:
    def __init__(
        self,
        *,
        outbox: Outbox,
        routes: Mapping[OutboxKind, Route],
        verify: Verify,
        interval: float,
        batch: int = 50,
    ) -> None:
        if interval <= 0 or batch < 1:
            raise ValueError("interval must be > 0 and batch >= 1")
        self._outbox = outbox
        self._routes = routes
        self._verify = verify
        self.interval = interval
        self._batch = batch

    async def run_round(self) -> RoundResult:
        delivered = rejected = failed = 0
        down: set[Upstream] = set()
        for entry in self._outbox.due(limit=self._batch):
            route = self._routes[entry.kind]
            if route.upstream in down:
                continue
            try:
                result = await route.deliver(entry)
            except UpstreamFailure as exc:
                self._outbox.mark_failed_attempt(entry.key, error=str(exc))
                down.add(route.upstream)
                failed += 1
            except RequestError as exc:
                self._outbox.mark_rejected(entry.key, reason=str(exc))
                log.warning("outbox %s %s refused: %s", entry.kind, entry.local_ref, exc)
                rejected += 1
            else:
                self._outbox.mark_delivered(
                    entry.key, result=result.result, replayed=result.replayed
                )
                delivered += 1
        verified = await self._verify(limit=self._batch)
        return RoundResult(delivered, rejected, failed, verified)

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds every `interval` seconds until `stop` is set."""
        await every(self.interval, stop, self.run_round, what="replay")
