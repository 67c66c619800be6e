"""Doctor schedules (BPJS Antrean RS) while BPJS is slower than the client's timeout."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest

from examples.reference_client.builds import Components
from examples.reference_client.errors import FailureKind, UpstreamFailure
from examples.reference_client.models import Degraded
from examples.resilience_tests.conftest import FIRST_DAY, body

if TYPE_CHECKING:
    from harness.pytest_plugin import Chaos, Stack

pytestmark = pytest.mark.anyio

WEEK = dt.timedelta(days=7)


def _next(weekday: int) -> dt.date:
    """The first date from FIRST_DAY on that ISO weekday (1 = Monday)."""
    return FIRST_DAY + dt.timedelta(days=(weekday - FIRST_DAY.isoweekday()) % 7)


async def test_schedules_come_from_the_cache_when_bpjs_is_slower_than_the_timeout(
    harness_stack: Stack, resilient: Components, chaos: Chaos
) -> None:
    """With 2 s of latency on BPJS and a 1 s read timeout, a schedule the client saw before is
    served from its copy (schedules are weekly, so next week's same weekday too), marked
    X-Degraded: cache. One it never saw cannot be served: the timeout is what the patient gets."""
    practice = harness_stack.dataset.schedules[0]
    seen_day = _next(practice.hari)
    live = await resilient.patients.schedules(practice.kodepoli, seen_day)
    schedules = body(live)["schedules"]
    assert live.degraded == ()
    assert isinstance(schedules, list)
    assert practice.kodedokter in {s.get("kodedokter") for s in schedules if isinstance(s, dict)}

    with chaos.fault("bpjs", "latency", latency=2000):
        with pytest.raises(UpstreamFailure) as never_seen:
            await resilient.patients.schedules(practice.kodepoli, seen_day + dt.timedelta(days=1))
        cached = await resilient.patients.schedules(practice.kodepoli, seen_day + WEEK)

    assert never_seen.value.kind is FailureKind.TIMEOUT
    assert cached.degraded == (Degraded.CACHE,)
    assert body(cached)["schedules"] == body(live)["schedules"]
