"""Retries with backoff riding out a BPJS that fails half of its requests."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx
import pytest

from examples.bpjs_client import Credentials
from examples.reference_client.bpjs import BpjsAdapter, ParticipantStatus
from examples.reference_client.errors import FailureKind, Upstream, UpstreamFailure
from examples.reference_client.guard import DirectGuard
from examples.reference_client.resilience.breaker import CircuitBreaker
from examples.reference_client.resilience.guard import ResilientGuard
from examples.reference_client.resilience.retry import RetryPolicy
from examples.resilience_tests.conftest import FIRST_DAY, TEST_TIMEOUT
from examples.resilience_tests.mock_admin import requests_seen

if TYPE_CHECKING:
    from harness.pytest_plugin import Stack

pytestmark = pytest.mark.anyio

CALLS = 16
PESERTA = "/Peserta/nik/"


@pytest.fixture
async def bpjs(harness_stack: Stack, anyio_backend: str) -> AsyncIterator[BpjsAdapter]:
    """The reference client's BPJS adapter on the stack's BPJS proxy."""
    access = harness_stack.bpjs
    async with httpx.AsyncClient(
        base_url=f"{access.url}/", timeout=TEST_TIMEOUT, trust_env=False
    ) as http:
        credentials = Credentials(
            cons_id=access.cons_id, secret=access.secret, user_key=access.user_key
        )
        yield BpjsAdapter(http=http, credentials=credentials)


@pytest.mark.fault(
    "bpjs", "http_error", status=503, probability=0.5, route="/vclaim-rest/Peserta/*"
)
async def test_retries_ride_out_a_bpjs_failing_half_the_time(
    harness_stack: Stack, bpjs: BpjsAdapter, nik: str
) -> None:
    """Every eligibility lookup comes back right through the resilient guard, configured here for
    a read path that can afford many attempts (20 attempts, 1-10 ms backoff, breaker out of the
    way); the mock's request count shows the retries that made it so. The same adapter without
    the guard passes the 503s on. (Chances of a spurious failure: below 1 in 10,000.)"""
    guard = ResilientGuard(
        Upstream.BPJS,
        breaker=CircuitBreaker(name="bpjs", failure_threshold=1000, reset_timeout=60),
        retry=RetryPolicy(attempts=20, base_delay=0.001, max_delay=0.01, budget=30),
        rng=random.Random(7),
    )

    async def eligibility() -> ParticipantStatus:
        return (await bpjs.participant(nik, FIRST_DAY)).status

    before = requests_seen(harness_stack, "bpjs", route=PESERTA)
    answers = [await guard.run(eligibility, idempotent=True) for _ in range(CALLS)]
    sent = requests_seen(harness_stack, "bpjs", route=PESERTA) - before
    assert answers == [ParticipantStatus.AKTIF] * CALLS
    assert sent > CALLS  # some calls needed more than one attempt

    failures: list[UpstreamFailure] = []
    for _ in range(CALLS):
        try:
            await DirectGuard().run(eligibility, idempotent=True)
        except UpstreamFailure as exc:
            failures.append(exc)
    assert failures, "without retries some lookups must fail"
    assert {(f.kind, f.status) for f in failures} == {(FailureKind.UNAVAILABLE, 503)}
