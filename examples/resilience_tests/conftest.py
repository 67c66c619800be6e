"""Fixtures of the example suite: the reference client built in-process against the session
stack's proxies, fresh natural keys, and `eventually` for waiting on a condition.

Everything harness-side comes from the plugin (`harness_stack`, `chaos`, `scenario_run`, the
`fault` and `scenario` markers); nothing here starts a process or touches harness internals.
Async tests run on asyncio through anyio's pytest plugin (anyio ships with httpx).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from pydantic import JsonValue

from examples.reference_client.builds import Components, assemble
from examples.reference_client.config import Build, settings_from_env
from examples.reference_client.models import Answer, RegistrationIn

if TYPE_CHECKING:
    from harness.pytest_plugin import Stack

# The resilient build reads for 3 s before giving up; 1 s keeps every timed-out attempt cheap in a
# test and is still far above a loopback round trip on a busy shared machine.
TEST_TIMEOUT = httpx.Timeout(1.0)
REPLAY_INTERVAL_S = 0.2
POLL_INTERVAL_S = 0.05
FIRST_DAY = dt.date(2026, 1, 1)

_day_numbers = itertools.count()


async def eventually(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds.

    It awaits between polls, so the client's background tasks (the replayer) run meanwhile.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(POLL_INTERVAL_S)


@contextlib.asynccontextmanager
async def replaying(client: Components) -> AsyncIterator[None]:
    """The client's background round (outbox replay + eligibility verification) running, as the
    app's lifespan runs it; stopped cleanly at the end of the block."""
    assert client.replayer is not None, "only the resilient build replays"
    stop = asyncio.Event()
    task = asyncio.create_task(client.replayer.run(stop), name="replay")
    try:
        yield
    finally:
        stop.set()
        await task


def body(answer: Answer) -> dict[str, JsonValue]:
    """The JSON object of a client answer."""
    assert isinstance(answer.body, dict), f"expected a JSON object, got {answer!r}"
    return answer.body


@contextlib.asynccontextmanager
async def reference_client(stack: Stack, build: Build, *, db: Path) -> AsyncIterator[Components]:
    """One build of the reference client, wired exactly as its app wires it, pointed at the
    stack's proxies. The resilient build gets test-sized timeouts on its HTTP clients."""
    env = {**stack.env(), "CLIENT_DB": str(db)}
    client = assemble(settings_from_env(build, env, replay_interval=REPLAY_INTERVAL_S))
    if build is Build.RESILIENT:
        for http in client.clients:
            http.timeout = TEST_TIMEOUT
    try:
        yield client
    finally:
        await client.stop()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def resilient(
    harness_stack: Stack, tmp_path: Path, anyio_backend: str
) -> AsyncIterator[Components]:
    """The resilient build: timeouts, retries, breakers, cache, outbox (background task off:
    tests drive it with `replaying`)."""
    async with reference_client(harness_stack, Build.RESILIENT, db=tmp_path / "client.db") as c:
        yield c


@pytest.fixture
async def naive(
    harness_stack: Stack, tmp_path: Path, anyio_backend: str
) -> AsyncIterator[Components]:
    """The naive build: no timeouts, retries, cache or outbox; the contrast."""
    async with reference_client(harness_stack, Build.NAIVE, db=tmp_path / "naive.db") as c:
        yield c


@pytest.fixture
def nik(harness_stack: Stack) -> str:
    """An active BPJS participant (the ERM knows every patient of the dataset)."""
    return next(p.nik for p in harness_stack.dataset.patients if p.aktif)


@pytest.fixture
def kodepoli(harness_stack: Stack) -> str:
    return harness_stack.dataset.polyclinics[0].kodepoli


@pytest.fixture
def fresh_day() -> Callable[[], dt.date]:
    """A visit date no other test used: the session stack keeps its ledgers for the whole
    session, so every registration gets its own natural key (nik, tanggal, kodepoli)."""
    return lambda: FIRST_DAY + dt.timedelta(days=next(_day_numbers))


@pytest.fixture
def registration(nik: str, kodepoli: str) -> Callable[[dt.date], RegistrationIn]:
    """The front desk's request for the active participant on a given day."""
    return lambda tanggal: RegistrationIn(nik=nik, kodepoli=kodepoli, tanggal=tanggal)
