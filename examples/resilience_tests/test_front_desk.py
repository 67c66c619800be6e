"""Front-desk registration while BPJS fails: the eligibility fallback, the circuit breaker, and
answers that cannot be read.

The resilient build registers the patient with eligibility `pending_verification` when BPJS gives
no usable answer, verifies it once BPJS is back, and stops calling a BPJS that does not answer.
Each test shows the naive build failing the same way, so it fails if the fallback goes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from examples.reference_client.builds import Components
from examples.reference_client.errors import FailureKind, Upstream, UpstreamFailure
from examples.reference_client.models import Degraded, RegistrationIn
from examples.reference_client.resilience.breaker import BreakerState
from examples.resilience_tests.conftest import body, eventually, replaying
from examples.resilience_tests.mock_admin import erm_visits, requests_seen

if TYPE_CHECKING:
    from harness.pytest_plugin import Chaos, Stack

pytestmark = pytest.mark.anyio

Register = Callable[[dt.date], RegistrationIn]
PENDING = "pending_verification"


@pytest.mark.fault("bpjs", "down")
async def test_registration_goes_on_with_pending_eligibility_while_bpjs_is_down(
    harness_stack: Stack,
    resilient: Components,
    naive: Components,
    registration: Register,
    fresh_day: Callable[[], dt.date],
) -> None:
    """BPJS refuses connections for the whole test; the patient is still registered, and the
    visit reaches the ERM once. The naive build turns the patient away with a 503."""
    request = registration(fresh_day())
    answer = await resilient.registrar.register(request)

    registered = body(answer)
    assert answer.status == 201
    assert registered["eligibility"] == PENDING
    assert answer.degraded == (Degraded.ELIGIBILITY_PENDING,)
    visits = erm_visits(
        harness_stack, nik=request.nik, tanggal=request.tanggal, kodepoli=request.kodepoli
    )
    assert [v.id for v in visits] == [registered["visit_id"]]

    with pytest.raises(UpstreamFailure) as failed:
        await naive.registrar.register(registration(fresh_day()))
    assert (failed.value.upstream, failed.value.kind) == (Upstream.BPJS, FailureKind.UNREACHABLE)
    assert failed.value.status == 503


async def test_pending_eligibility_is_verified_once_bpjs_is_back(
    resilient: Components,
    chaos: Chaos,
    registration: Register,
    fresh_day: Callable[[], dt.date],
) -> None:
    """A registration taken during the outage is checked against BPJS by the background round
    once BPJS answers again, and kept as it was (same queue number): never cancelled."""
    with chaos.fault("bpjs", "down"):
        answer = await resilient.registrar.register(registration(fresh_day()))
    taken = body(answer)
    assert taken["eligibility"] == PENDING
    registration_id = str(taken["registration_id"])

    def verified() -> bool:
        return body(resilient.registrar.lookup(registration_id))["eligibility"] == "AKTIF"

    async with replaying(resilient):
        await eventually(verified, timeout=15, what="the pending registration verified as AKTIF")
    now = body(resilient.registrar.lookup(registration_id))
    assert (now["status"], now["nomorantrean"]) == ("registered", taken["nomorantrean"])


@pytest.mark.fault("bpjs", "timeout", timeout=0)
async def test_breaker_stops_calling_a_bpjs_that_never_answers(
    harness_stack: Stack,
    resilient: Components,
    naive: Components,
    registration: Register,
    kodepoli: str,
    fresh_day: Callable[[], dt.date],
) -> None:
    """BPJS accepts connections and never answers (half-open). Two registrations pay the
    timeouts and open the BPJS breaker; from then on the desk answers without calling BPJS at all.
    The naive build has no timeout: it is still waiting when the test gives up on it."""
    first = await resilient.registrar.register(registration(fresh_day()))
    second = await resilient.registrar.register(registration(fresh_day()))
    assert [body(first)["eligibility"], body(second)["eligibility"]] == [PENDING, PENDING]
    assert resilient.guards[Upstream.BPJS].state is BreakerState.OPEN

    sent = requests_seen(harness_stack, "bpjs")
    with pytest.raises(UpstreamFailure) as refused:
        await resilient.patients.schedules(kodepoli, fresh_day())
    third = await resilient.registrar.register(registration(fresh_day()))
    assert refused.value.kind is FailureKind.CIRCUIT_OPEN
    assert body(third)["eligibility"] == PENDING
    assert requests_seen(harness_stack, "bpjs") == sent  # answered without calling BPJS

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(naive.registrar.register(registration(fresh_day())), timeout=2)


@pytest.mark.parametrize(
    ("field", "mode"),
    [("statusPeserta", "rename"), ("kode", "wrong_type")],
    ids=["statusPeserta-renamed", "kode-as-number"],
)
async def test_a_drifted_participant_answer_is_a_clear_failure_not_a_wrong_answer(
    resilient: Components,
    naive: Components,
    chaos: Chaos,
    registration: Register,
    fresh_day: Callable[[], dt.date],
    field: str,
    mode: str,
) -> None:
    """BPJS answers 200 with the participant's status renamed, or its code "0" (AKTIF) sent as
    the number 0. A client that read `statusPeserta.get("kode") == "0"` would turn an active
    patient away. The adapter validates the shape: the resilient build registers pending
    verification; the naive one fails with a 502 that says what was wrong, never a crash."""
    with chaos.fault(
        "bpjs", "schema_drift", field=field, mode=mode, route="/vclaim-rest/Peserta/*"
    ):
        answer = await resilient.registrar.register(registration(fresh_day()))
        with pytest.raises(UpstreamFailure) as failed:
            await naive.registrar.register(registration(fresh_day()))

    assert answer.status == 201
    assert body(answer)["eligibility"] == PENDING
    assert (failed.value.kind, failed.value.status) == (FailureKind.BAD_GATEWAY, 502)
    assert "unexpected Peserta shape" in str(failed.value)


async def test_bpjs_maintenance_with_a_long_retry_after_is_not_retried(
    harness_stack: Stack,
    resilient: Components,
    chaos: Chaos,
    registration: Register,
    fresh_day: Callable[[], dt.date],
) -> None:
    """BPJS's gateway maintenance page says "back in 120 s": one eligibility request, then
    pending verification at once. A plain 503 (no Retry-After) is retried."""
    route = "/vclaim-rest/Peserta/*"
    before = requests_seen(harness_stack, "bpjs", route="Peserta")
    with chaos.fault("bpjs", "maintenance", retry_after=120, route=route):
        in_maintenance = await resilient.registrar.register(registration(fresh_day()))
    after_maintenance = requests_seen(harness_stack, "bpjs", route="Peserta")
    with chaos.fault("bpjs", "http_error", status=503, route=route):
        failing = await resilient.registrar.register(registration(fresh_day()))
    after_503 = requests_seen(harness_stack, "bpjs", route="Peserta")

    assert in_maintenance.degraded == failing.degraded == (Degraded.ELIGIBILITY_PENDING,)
    assert after_maintenance - before == 1
    assert after_503 - after_maintenance == 2  # the build's two front-desk attempts
