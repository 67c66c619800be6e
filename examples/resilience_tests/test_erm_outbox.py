"""Visits while the ERM fails: local queue numbers, the outbox, and its replay exactly once.

The ERM's ledger (its admin API) is the ground truth: a visit the patient was told about must be
there exactly once after the outage, whatever the client retried or replayed meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from examples.reference_client.builds import Components
from examples.reference_client.errors import FailureKind, Upstream, UpstreamFailure
from examples.reference_client.models import Degraded, RegistrationIn
from examples.resilience_tests.conftest import body, eventually, replaying
from examples.resilience_tests.mock_admin import erm_visits, requests_seen

if TYPE_CHECKING:
    from harness.pytest_plugin import Chaos, Stack

pytestmark = pytest.mark.anyio

Register = Callable[[dt.date], RegistrationIn]
VISITS_ROUTE = "POST /api/v1/visits"


def _ledger(stack: Stack, request: RegistrationIn) -> list[str]:
    """The ids of the ERM visits for the request's natural key."""
    visits = erm_visits(stack, nik=request.nik, tanggal=request.tanggal, kodepoli=request.kodepoli)
    return [v.id for v in visits]


def _delivered(client: Components, count: int) -> Callable[[], bool]:
    assert client.outbox is not None
    outbox = client.outbox
    return lambda: outbox.summary().delivered == count


async def test_visits_queue_offline_while_the_erm_is_down_and_arrive_exactly_once(
    harness_stack: Stack,
    resilient: Components,
    naive: Components,
    chaos: Chaos,
    registration: Register,
    kodepoli: str,
    fresh_day: Callable[[], dt.date],
) -> None:
    """ERM down: the desk hands out a local queue number and queues the visit; asking again gives
    the same answer. Once the ERM is back the background round delivers it: one visit in the
    ERM, still one after more rounds. The naive build cannot register at all."""
    request = registration(fresh_day())
    with chaos.fault("erm", "down"):
        first = await resilient.registrar.register(request)
        again = await resilient.registrar.register(request)  # the patient asks once more
        with pytest.raises(UpstreamFailure) as failed:
            await naive.registrar.register(registration(fresh_day()))

    taken = body(first)
    assert (first.status, first.degraded) == (201, (Degraded.OFFLINE_QUEUE,))
    assert (taken["nomorantrean"], taken["visit_id"]) == (f"{kodepoli}-OFF-001", None)
    assert body(again) == taken
    assert _ledger(harness_stack, request) == []
    assert (failed.value.upstream, failed.value.kind) == (Upstream.ERM, FailureKind.UNREACHABLE)

    async with replaying(resilient):
        await eventually(_delivered(resilient, 1), timeout=15, what="the queued visit delivered")
    assert resilient.replayer is not None
    for _ in range(3):  # later rounds must not send it again
        await resilient.replayer.run_round()
    visits = erm_visits(
        harness_stack, nik=request.nik, tanggal=request.tanggal, kodepoli=request.kodepoli
    )
    assert len(visits) == 1
    assert visits[0].replays == 0  # it arrived once: nothing to deduplicate
    assert body(resilient.registrar.lookup(str(taken["registration_id"])))["visit_id"] == (
        visits[0].id
    )


async def test_an_unreadable_erm_answer_is_replayed_without_a_second_visit(
    harness_stack: Stack,
    resilient: Components,
    naive: Components,
    chaos: Chaos,
    registration: Register,
    fresh_day: Callable[[], dt.date],
) -> None:
    """The ERM records the visit but its 201 answer is broken JSON: the request arrived, the
    answer was lost. The resilient build queues the visit and replays it with the same
    Idempotency-Key: the ERM answers `Idempotent-Replayed` and still holds one visit. The naive
    build reports a failure for a visit the ERM has, and the desk's retry makes a duplicate."""
    request = registration(fresh_day())
    naive_request = registration(fresh_day())
    with chaos.fault("erm", "malformed_json", route="/api/v1/visits", methods=["POST"]):
        answer = await resilient.registrar.register(request)
        assert len(_ledger(harness_stack, request)) == 1  # it did arrive
        for _ in range(2):  # the naive desk is told "failed" and tries again
            with pytest.raises(UpstreamFailure) as failed:
                await naive.registrar.register(naive_request)
            assert (failed.value.kind, failed.value.status) == (FailureKind.BAD_GATEWAY, 502)
    assert len(_ledger(harness_stack, naive_request)) == 2  # the duplicate the naive build made

    assert answer.degraded == (Degraded.OFFLINE_QUEUE,)
    assert body(answer)["visit_id"] is None
    async with replaying(resilient):
        await eventually(_delivered(resilient, 1), timeout=15, what="the queued visit delivered")
    assert resilient.outbox is not None
    assert resilient.outbox.summary().replayed == 1  # the ERM said it had it already
    visits = _ledger(harness_stack, request)
    assert len(visits) == 1
    assert (
        body(resilient.registrar.lookup(str(body(answer)["registration_id"])))["visit_id"]
        == (visits[0])
    )


async def test_erm_maintenance_with_a_long_retry_after_is_not_retried(
    harness_stack: Stack,
    resilient: Components,
    chaos: Chaos,
    registration: Register,
    fresh_day: Callable[[], dt.date],
) -> None:
    """A maintenance page saying "back in 120 s" is not worth a retry a few hundred ms later:
    one request, then the offline queue at once. A plain 503 (no Retry-After) is retried."""
    before = requests_seen(harness_stack, "erm", route=VISITS_ROUTE)
    with chaos.fault("erm", "maintenance", retry_after=120, route="/api/v1/visits"):
        in_maintenance = await resilient.registrar.register(registration(fresh_day()))
    after_maintenance = requests_seen(harness_stack, "erm", route=VISITS_ROUTE)
    with chaos.fault("erm", "http_error", status=503, route="/api/v1/visits"):
        failing = await resilient.registrar.register(registration(fresh_day()))
    after_503 = requests_seen(harness_stack, "erm", route=VISITS_ROUTE)

    assert in_maintenance.degraded == failing.degraded == (Degraded.OFFLINE_QUEUE,)
    assert after_maintenance - before == 1
    assert after_503 - after_maintenance == 2  # the build's two front-desk attempts
