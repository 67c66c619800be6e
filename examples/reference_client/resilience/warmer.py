"""Cache warming: the schedules of every polyclinic for the week ahead, refreshed in the background.

A patient opening the app during an outage should still see the timetable, including for a
polyclinic nobody looked at earlier that morning. So every `interval` seconds one bounded round
asks the upstream for the polyclinics and each one's schedule for the next `days` days, which
fills the cache the read path falls back on. A round stops at the first failure: the upstream is
down (its breaker will say so), and what the cache holds stays as it is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

from examples.reference_client import clock
from examples.reference_client.errors import UpstreamFailure
from examples.reference_client.models import Answer
from examples.reference_client.resilience.periodic import every

Polyclinics = Callable[[], Awaitable[list[str]]]
Refresh = Callable[[str, dt.date], Awaitable[Answer]]


class ScheduleWarmer:
    def __init__(
        self, *, polyclinics: Polyclinics, refresh: Refresh, interval: float, days: int = 7
    ) -> None:
        if interval <= 0 or days < 1:
            raise ValueError("interval must be > 0 and days >= 1")
        self._polyclinics = polyclinics
        self._refresh = refresh
        self.interval = interval
        self._days = days

    async def run_round(self, today: dt.date | None = None) -> int:
        """Refresh every (polyclinic, day) once; returns how many were refreshed live."""
        start = today or clock.today()
        try:
            codes = await self._polyclinics()
        except UpstreamFailure:
            return 0
        refreshed = 0
        for offset in range(self._days):
            for kodepoli in codes:
                try:
                    answer = await self._refresh(kodepoli, start + dt.timedelta(days=offset))
                except UpstreamFailure:
                    return refreshed
                if answer.degraded:  # served from the cache: the upstream failed meanwhile
                    return refreshed
                refreshed += 1
        return refreshed

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds every `interval` seconds until `stop` is set."""
        await every(self.interval, stop, self.run_round, what="schedule warming")
