"""Assembling a build: HTTP clients, guards, adapters, and (resilient) the store and replay task.

|                 | naive             | resilient                                | lenient         |
|-----------------|-------------------|------------------------------------------|-----------------|
| timeouts        | none              | connect 1 s, read/write 3 s, pool 1 s    | as resilient    |
| retries         | none              | idempotent calls: backoff + full jitter  | none            |
| circuit breaker | none              | per upstream: 3 failures open it for 2 s | none            |
| answers checked | yes: drift is 502 | yes, certificate signatures too          | no: as it came  |
| failed reads    | 502/503/504       | the cached copy (X-Degraded), else 5xx   | empty, 200      |
| cache           | none              | SQLite: schedules (warmed), queue, lab,  | none            |
|                 |                   | certs, booking confirmations             |                 |
| outbox          | none              | SQLite: visits, bookings, declarations   | none: 5xx       |

The lenient build is a client written from the API documents alone: it never crashes and never
says it is degraded, but it swallows upstream failures and shows empty or partial data as if it
were the answer. It is there to be caught by checks that compare what a client shows with the
truth; it never invents a booking, a receipt or a registration (a failed write is a 5xx).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from examples.reference_client.bpjs import BpjsAdapter
from examples.reference_client.config import Build, Settings
from examples.reference_client.erm import ErmAdapter
from examples.reference_client.errors import Upstream
from examples.reference_client.guard import DirectGuard, Guard
from examples.reference_client.patient import PatientDesk, PatientFallbacks
from examples.reference_client.patient_app import PatientAppAdapter
from examples.reference_client.registration import Offline, Registrar
from examples.reference_client.resilience import store
from examples.reference_client.resilience.breaker import BreakerState, CircuitBreaker
from examples.reference_client.resilience.cache import ResponseCache
from examples.reference_client.resilience.guard import ResilientGuard
from examples.reference_client.resilience.outbox import Outbox, OutboxKind, OutboxSummary
from examples.reference_client.resilience.registrations import LocalRegistrations
from examples.reference_client.resilience.replay import Replayer, Route
from examples.reference_client.resilience.retry import RetryPolicy
from examples.reference_client.resilience.warmer import ScheduleWarmer

RESILIENT_TIMEOUT = httpx.Timeout(connect=1.0, read=3.0, write=3.0, pool=1.0)
# Eligibility and visits: two quick tries, then the fallback; the front desk must keep moving.
FRONT_DESK_RETRY_ATTEMPTS = 2
READ_RETRY_ATTEMPTS = 3
# The week's timetable is refreshed in the background so that it can be shown during an outage.
SCHEDULE_WARM_INTERVAL_S = 30.0


@dataclass(kw_only=True)
class Components:
    """Everything a running client holds; `start` and `stop` belong to the app's lifespan."""

    build: Build
    registrar: Registrar
    patients: PatientDesk
    clients: tuple[httpx.AsyncClient, ...]
    guards: dict[Upstream, ResilientGuard] = field(default_factory=dict)
    outbox: Outbox | None = None
    records: LocalRegistrations | None = None
    replayer: Replayer | None = None
    warmer: ScheduleWarmer | None = None
    cleanup: list[contextlib.AbstractContextManager[object]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        if self.replayer is not None:
            self._tasks.append(asyncio.create_task(self.replayer.run(self._stop), name="replay"))
        if self.warmer is not None:
            self._tasks.append(asyncio.create_task(self.warmer.run(self._stop), name="warm"))

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            # On a timeout wait_for cancels it: a call stuck past its own timeouts.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(task, timeout=10)
        for client in self.clients:
            await client.aclose()
        for item in reversed(self.cleanup):
            item.__exit__(None, None, None)

    def breaker_states(self) -> dict[str, BreakerState]:
        return {upstream.value: guard.state for upstream, guard in self.guards.items()}

    def outbox_summary(self) -> OutboxSummary | None:
        return self.outbox.summary() if self.outbox is not None else None


def _client(base_url: str, build: Build, verify: ssl.SSLContext | bool) -> httpx.AsyncClient:
    timeout = None if build is Build.NAIVE else RESILIENT_TIMEOUT
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, trust_env=False, verify=verify)


def _verify(settings: Settings) -> ssl.SSLContext | bool:
    """How https:// upstreams are verified: CA_BUNDLE's CAs, else the system's (httpx's own)."""
    if settings.ca_bundle is None:
        return True
    return ssl.create_default_context(cafile=str(settings.ca_bundle))


def _direct(settings: Settings, build: Build) -> Components:
    """naive or lenient: one attempt per call, nothing kept; lenient shows failed reads as empty."""
    verify = _verify(settings)
    bpjs_http = _client(settings.bpjs_url + "/", build, verify)
    erm_http = _client(settings.erm_url, build, verify)
    app_http = _client(settings.patient_app_url, build, verify)
    lenient = build is Build.LENIENT
    bpjs = BpjsAdapter(http=bpjs_http, credentials=settings.bpjs, checked=not lenient)
    erm = ErmAdapter(
        http=erm_http, client_id=settings.erm_client_id, client_secret=settings.erm_client_secret
    )
    direct: Guard = DirectGuard()
    return Components(
        build=build,
        registrar=Registrar(bpjs=bpjs, erm=erm, bpjs_guard=direct, erm_guard=direct, offline=None),
        patients=PatientDesk(
            bpjs=bpjs,
            bpjs_guard=direct,
            app=PatientAppAdapter(http=app_http, checked=not lenient),
            app_guard=direct,
            fallbacks=None,
            swallow_failures=lenient,
        ),
        clients=(bpjs_http, erm_http, app_http),
    )


class _TemporaryDb(contextlib.AbstractContextManager[object]):
    """A temporary directory for the client database, removed at shutdown."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="reference-client-"))

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _resilient(settings: Settings) -> Components:
    cleanup: list[contextlib.AbstractContextManager[object]] = []
    db_path = settings.db_path
    if db_path is None:
        temporary = _TemporaryDb()
        cleanup.append(temporary)
        db_path = temporary.dir / "client.db"
    conn = store.connect(db_path)
    cleanup.append(contextlib.closing(conn))  # stop() unwinds in reverse: closed, then removed
    rng = random.Random()

    def guard(upstream: Upstream, attempts: int) -> ResilientGuard:
        return ResilientGuard(
            upstream,
            breaker=CircuitBreaker(name=upstream.value, failure_threshold=3, reset_timeout=2.0),
            retry=RetryPolicy(attempts=attempts, base_delay=0.1, max_delay=1.0, budget=4.0),
            rng=rng,
        )

    guards = {
        Upstream.BPJS: guard(Upstream.BPJS, FRONT_DESK_RETRY_ATTEMPTS),
        Upstream.ERM: guard(Upstream.ERM, FRONT_DESK_RETRY_ATTEMPTS),
        Upstream.PATIENT_APP: guard(Upstream.PATIENT_APP, READ_RETRY_ATTEMPTS),
    }
    verify = _verify(settings)
    bpjs_http = _client(settings.bpjs_url + "/", Build.RESILIENT, verify)
    erm_http = _client(settings.erm_url, Build.RESILIENT, verify)
    app_http = _client(settings.patient_app_url, Build.RESILIENT, verify)
    bpjs = BpjsAdapter(http=bpjs_http, credentials=settings.bpjs)
    erm = ErmAdapter(
        http=erm_http, client_id=settings.erm_client_id, client_secret=settings.erm_client_secret
    )
    outbox = Outbox(conn)
    records = LocalRegistrations(conn)
    registrar = Registrar(
        bpjs=bpjs,
        erm=erm,
        bpjs_guard=guards[Upstream.BPJS],
        erm_guard=guards[Upstream.ERM],
        offline=Offline(records=records, outbox=outbox),
    )
    patients = PatientDesk(
        bpjs=bpjs,
        bpjs_guard=guards[Upstream.BPJS],
        app=PatientAppAdapter(http=app_http),
        app_guard=guards[Upstream.PATIENT_APP],
        fallbacks=PatientFallbacks(cache=ResponseCache(conn), outbox=outbox),
    )
    replayer = Replayer(
        outbox=outbox,
        routes={
            OutboxKind.VISIT: Route(Upstream.ERM, registrar.deliver_visit),
            OutboxKind.BOOKING: Route(Upstream.PATIENT_APP, patients.deliver),
            OutboxKind.DECLARATION: Route(Upstream.PATIENT_APP, patients.deliver),
        },
        verify=registrar.verify_pending,
        interval=settings.replay_interval,
    )
    warmer = ScheduleWarmer(
        polyclinics=lambda: guards[Upstream.BPJS].run(bpjs.polyclinics, idempotent=True),
        refresh=patients.schedules,
        interval=SCHEDULE_WARM_INTERVAL_S,
    )
    return Components(
        build=Build.RESILIENT,
        registrar=registrar,
        patients=patients,
        clients=(bpjs_http, erm_http, app_http),
        guards=guards,
        outbox=outbox,
        records=records,
        replayer=replayer,
        warmer=warmer,
        cleanup=cleanup,
    )


def assemble(settings: Settings) -> Components:
    """The components of `settings.build` (call inside the running event loop)."""
    if settings.build is Build.RESILIENT:
        return _resilient(settings)
    return _direct(settings, settings.build)
