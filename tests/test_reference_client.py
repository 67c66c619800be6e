"""The reference clients (examples/reference_client) against the real mocks, as real processes.

Each test starts the three mocks on free loopback ports and one client build pointed at them
directly: application faults come from the mocks' admin API, and an ERM outage is the ERM process
stopped and started again on the same database. One test puts the real toxiproxy in front of the
ERM, for the one failure only the network can make: an answer that comes after the commit, too
late. What reached the backends is read from their ledgers, never from the client.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from examples.reference_client.config import Build, ConfigError, settings_from_env
from examples.reference_client.errors import FailureKind, Upstream, UpstreamFailure
from examples.reference_client.keys import declaration_key, registration_key
from examples.reference_client.nik import birth_date
from examples.reference_client.resilience.breaker import BreakerState, CircuitBreaker
from examples.reference_client.resilience.retry import RetryPolicy, retrying
from harness.client import TEMPLATE_NAMES, load_client, render
from harness.net import free_port
from harness.process import ProcessSpec, Supervisor, http_ready, wait_until
from harness.toxiproxy.adapter import ToxiproxyClient
from harness.toxiproxy.faults import Toxic
from mock_services.common.dataset import Patient, generate
from tests.conftest import RunningMock, StartMock

pytestmark = pytest.mark.e2e  # each test: toxiproxy, the mocks and a reference client

ROOT = Path(__file__).resolve().parents[1]
SEED = 7
DATA = generate(SEED)
ACTIVE = [p for p in DATA.patients if p.aktif]
INACTIVE = next(p for p in DATA.patients if not p.aktif)
WIB = dt.timezone(dt.timedelta(hours=7))
TODAY = dt.datetime.now(WIB).date()
DEADLINE = 30.0


def _slot() -> tuple[str, int, dt.date]:
    """A (kodepoli, kodedokter, date) with a practice slot inside the booking window."""
    for days in range(1, 8):
        day = TODAY + dt.timedelta(days=days)
        for poli in DATA.polyclinics:
            schedules = DATA.schedules_on(poli.kodepoli, day)
            if schedules:
                return poli.kodepoli, schedules[0].kodedokter, day
    raise AssertionError("the dataset has no schedule in the coming week")


KODEPOLI, KODEDOKTER, SLOT_DAY = _slot()


@dataclass(frozen=True)
class Stack:
    bpjs: RunningMock
    erm: RunningMock
    app: RunningMock


@dataclass
class Client:
    build: str
    http: httpx.Client

    def register(self, patient: Patient, *, kodepoli: str = KODEPOLI) -> httpx.Response:
        return self.http.post(
            "/registrations",
            json={"nik": patient.nik, "kodepoli": kodepoli, "tanggal": TODAY.isoformat()},
        )

    def book(self, patient: Patient) -> httpx.Response:
        return self.http.post(
            "/bookings",
            json={
                "nik": patient.nik,
                "tglLahir": patient.tglLahir,
                "kodepoli": KODEPOLI,
                "kodedokter": KODEDOKTER,
                "tanggal": SLOT_DAY.isoformat(),
            },
        )

    def declare(self, patient: Patient, *, with_birth_date: bool = False) -> httpx.Response:
        body = _declaration(patient)
        if with_birth_date:  # else the client reads it from the NIK, as the built-in load relies on
            body["tglLahir"] = patient.tglLahir
        return self.http.post("/declarations", json=body)

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = self.http.get("/status").json()
        return body


def _declaration(patient: Patient) -> dict[str, Any]:
    return {
        "nik": patient.nik,
        "nama": patient.nama,
        "nomorPenerbangan": "ga 410",
        "tanggalPerjalanan": (TODAY + dt.timedelta(days=3)).isoformat(),
        "bandaraAsal": "DPS",
        "bandaraTujuan": "CGK",
        "suhuTubuh": 36.6,
    }


def _login(patient: Patient) -> dict[str, str]:
    return {"nik": patient.nik, "tglLahir": patient.tglLahir}


def _ledger(mock: RunningMock) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{mock.url}/__admin/ledger", timeout=10).json()
    return body


def _visits_of(erm: RunningMock, patient: Patient) -> list[dict[str, Any]]:
    visits: list[dict[str, Any]] = _ledger(erm)["visits"]
    return [v for v in visits if v["natural_key"]["nik"] == patient.nik]


def _fault(mock: RunningMock, **spec: Any) -> None:
    response = httpx.post(f"{mock.url}/__admin/faults", json=spec, timeout=10)
    assert response.status_code == 201, response.text


def _heal(mock: RunningMock) -> None:
    assert httpx.delete(f"{mock.url}/__admin/faults", timeout=10).status_code == 200


def _degraded(response: httpx.Response) -> list[str]:
    value = response.headers.get("x-degraded")
    return [part.strip() for part in value.split(",")] if value else []


@pytest.fixture
def stack(start_mock: StartMock, tmp_path: Path) -> Stack:
    return Stack(
        bpjs=start_mock("bpjs", seed=SEED),
        erm=start_mock("erm", seed=SEED, db=tmp_path / "erm.db"),
        app=start_mock("patient-app", seed=SEED, db=tmp_path / "patient-app.db"),
    )


class StartClient(Protocol):
    def __call__(self, build: str, *, erm_url: str | None = None) -> Client: ...


@pytest.fixture
def start_client(supervisor: Supervisor, stack: Stack, tmp_path: Path) -> Iterator[StartClient]:
    opened: list[httpx.Client] = []

    def start(build: str, *, erm_url: str | None = None) -> Client:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "examples.reference_client", "--build", build]
        argv += ["--port", str(port), "--replay-interval", "0.2"]
        env = {
            "BPJS_URL": stack.bpjs.url,
            "ERM_URL": erm_url or stack.erm.url,
            "PATIENT_APP_URL": stack.app.url,
            "CLIENT_DB": str(tmp_path / f"{build}-client.db"),
        }
        supervisor.start(
            ProcessSpec(
                name=f"client-{build}-{port}",
                argv=argv,
                env=env,
                cwd=ROOT,
                ready=http_ready(f"{url}/health"),
            )
        )
        http = httpx.Client(base_url=url, timeout=60)
        opened.append(http)
        return Client(build, http)

    yield start
    for http in opened:
        http.close()


# -- happy path, both builds ---------------------------------------------------------------------


@pytest.mark.parametrize("build", ["naive", "resilient", "lenient"])
def test_every_endpoint_serves_normally(
    build: str, stack: Stack, start_client: StartClient
) -> None:
    client = start_client(build)
    patient = ACTIVE[0]

    health = client.http.get("/health")
    assert health.json() == {"status": "ok", "build": build}

    registered = client.register(patient)
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["status"] == "registered"
    assert body["eligibility"] == "AKTIF"
    assert _degraded(registered) == []
    [visit] = _visits_of(stack.erm, patient)
    assert body["visit_id"] == visit["id"]
    assert body["nomorantrean"] == visit["nomorantrean"]

    rejected = client.register(INACTIVE)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert INACTIVE.statusPeserta.keterangan in rejected.json()["reason"]
    assert _visits_of(stack.erm, INACTIVE) == []

    schedules = client.http.get(
        "/schedules", params={"kodepoli": KODEPOLI, "tanggal": SLOT_DAY.isoformat()}
    )
    assert schedules.status_code == 200, schedules.text
    assert KODEDOKTER in [s["kodedokter"] for s in schedules.json()["schedules"]]

    booked = client.book(patient)
    assert booked.status_code == 201, booked.text
    kodebooking = booked.json()["kodebooking"]
    [ledger_booking] = _ledger(stack.app)["bookings"]
    assert ledger_booking["kodebooking"] == kodebooking
    queue = client.http.get(f"/bookings/{kodebooking}/queue", params=_login(patient))
    assert queue.status_code == 200, queue.text
    assert queue.json()["nomorantrean"] == booked.json()["nomorantrean"]

    results = client.http.get("/lab-results", params=_login(patient))
    assert results.status_code == 200, results.text
    first = results.json()["results"][0]
    document = client.http.get(f"/lab-results/{first['id']}/document", params=_login(patient))
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF-")
    assert len(document.content) == first["ukuranBerkas"]

    certificate = client.http.get(
        f"/certificates/{patient.nik}", params={"tglLahir": patient.tglLahir}
    )
    assert certificate.status_code == 200, certificate.text
    assert certificate.json()["certificate"]["nik"] == patient.nik
    assert certificate.json()["signature"]["value"]

    declared = client.declare(patient)
    assert declared.status_code == 201, declared.text
    [declaration] = _ledger(stack.app)["declarations"]
    assert declared.json()["receipt"]["nomorResi"] == declaration["nomorResi"]
    assert declaration["naturalKey"]["nomorPenerbangan"] == "GA410"

    bad = client.http.post("/registrations", json={"nik": "123", "kodepoli": "INT"})
    assert bad.status_code == 400
    assert "nik" in bad.json()["error"]
    wrong_birth = client.http.get(
        "/lab-results", params={"nik": patient.nik, "tglLahir": "1900-01-01"}
    )
    assert wrong_birth.status_code == 401


# -- BPJS down: eligibility --------------------------------------------------------------------


def test_naive_registration_fails_during_bpjs_maintenance(
    stack: Stack, start_client: StartClient
) -> None:
    client = start_client("naive")
    _fault(
        stack.bpjs, kind="maintenance", route="/vclaim-rest/Peserta/*", params={"retry_after": 1800}
    )
    response = client.register(ACTIVE[1])
    assert response.status_code >= 500
    assert "bpjs" in response.json()["error"]
    assert _visits_of(stack.erm, ACTIVE[1]) == []


def test_resilient_registers_pending_and_verifies_when_bpjs_returns(
    stack: Stack, start_client: StartClient
) -> None:
    client = start_client("resilient")
    patient = ACTIVE[1]
    _fault(
        stack.bpjs, kind="maintenance", route="/vclaim-rest/Peserta/*", params={"retry_after": 1800}
    )

    response = client.register(patient)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["eligibility"] == "pending_verification"
    assert _degraded(response) == ["eligibility-pending"]
    [visit] = _visits_of(stack.erm, patient)  # the queue keeps moving: the visit is in the ERM
    assert body["visit_id"] == visit["id"]
    assert client.status()["pending_verification"] == 1

    _heal(stack.bpjs)

    def verified() -> bool:
        record = client.http.get(f"/registrations/{body['registration_id']}").json()
        return bool(record["eligibility"] == "AKTIF")

    wait_until(verified, timeout=DEADLINE, what="the pending registration to be verified")
    again = client.register(patient)
    assert again.json()["eligibility"] == "AKTIF"
    assert _degraded(again) == []
    [visit_after] = _visits_of(stack.erm, patient)
    assert visit_after["status"] == "waiting"  # nothing cancelled, nothing added
    assert visit_after["id"] == visit["id"]


# -- ERM down: offline queue and exactly-once sync ----------------------------------------------


def test_resilient_issues_offline_numbers_and_syncs_exactly_once(
    stack: Stack, start_client: StartClient, supervisor: Supervisor
) -> None:
    client = start_client("resilient")
    before, during = ACTIVE[2], ACTIVE[3:6]
    assert client.register(before).status_code == 201

    stack.erm.process.stop()
    answers = [client.register(patient) for patient in during]
    for response in answers:
        assert response.status_code == 201, response.text
        assert _degraded(response) == ["offline-queue"]
        assert "-OFF-" in response.json()["nomorantrean"]
        assert response.json()["visit_id"] is None
    assert [r.json()["angkaantrean"] for r in answers] == [1, 2, 3]
    retried = client.register(during[0])  # the patient asks again: same number, nothing new
    assert retried.json()["nomorantrean"] == answers[0].json()["nomorantrean"]
    assert client.status()["outbox"]["pending"] == 3

    supervisor.restart(stack.erm.process)  # same port, same --db

    wait_until(
        lambda: client.status()["outbox"]["delivered"] == 3,
        timeout=DEADLINE,
        what="the outbox to be replayed into the ERM",
    )
    ledger = _ledger(stack.erm)
    assert ledger["counts"]["duplicate_visit_groups"] == 0
    for patient, answer in zip(during, answers, strict=True):
        [visit] = _visits_of(stack.erm, patient)
        key = registration_key(patient.nik, TODAY, KODEPOLI)
        assert visit["idempotency_key"] == key
        record = client.http.get(f"/registrations/{answer.json()['registration_id']}").json()
        assert record["visit_id"] == visit["id"]
        assert record["nomorantrean"] == answer.json()["nomorantrean"]  # what the patient holds
    assert len(_visits_of(stack.erm, before)) == 1
    after = client.register(during[1])
    assert _degraded(after) == []
    assert len(_visits_of(stack.erm, during[1])) == 1


def test_a_timeout_after_the_erm_committed_is_replayed_not_duplicated(
    stack: Stack, start_client: StartClient, toxiproxy: ToxiproxyClient
) -> None:
    """The ERM commits, its answer comes too late: the replay must get Idempotent-Replayed."""
    listen = f"127.0.0.1:{free_port()}"
    upstream = f"127.0.0.1:{stack.erm.port}"
    name = f"erm-{stack.erm.port}"
    with toxiproxy.proxy(name, listen=listen, upstream=upstream):
        client = start_client("resilient", erm_url=f"http://{listen}")
        patient = ACTIVE[6]
        assert client.register(ACTIVE[7]).status_code == 201  # token fetched while it is fast
        # Answers slower than the client's 3 s read timeout; requests arrive at once.
        with toxiproxy.fault(name, Toxic.build("latency", {"latency": 3500})):
            response = client.register(patient)
            assert response.status_code == 201, response.text
            assert _degraded(response) == ["offline-queue"]
            [committed] = _visits_of(stack.erm, patient)  # it did arrive, once
        wait_until(
            lambda: client.status()["outbox"]["delivered"] == 1,
            timeout=DEADLINE,
            what="the outbox replay",
        )
        assert client.status()["outbox"]["replayed"] == 1  # the ERM said Idempotent-Replayed
        [visit] = _visits_of(stack.erm, patient)
        assert visit["id"] == committed["id"]
        assert visit["replays"] >= 1
        assert _ledger(stack.erm)["counts"]["duplicate_visit_groups"] == 0


# -- retries -------------------------------------------------------------------------------------


def test_resilient_retries_never_duplicate(stack: Stack, start_client: StartClient) -> None:
    client = start_client("resilient")
    patient = ACTIVE[8]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: client.register(patient), range(4)))
    answers.append(client.register(patient))
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["nomorantrean"] for r in answers}) == 1
    assert len(_visits_of(stack.erm, patient)) == 1

    bookings = [client.book(patient) for _ in range(3)]
    assert {r.status_code for r in bookings} == {201}
    assert len({r.json()["kodebooking"] for r in bookings}) == 1
    declarations = [client.declare(patient, with_birth_date=True) for _ in range(2)]
    assert len({r.json()["receipt"]["nomorResi"] for r in declarations}) == 1
    app_ledger = _ledger(stack.app)
    assert app_ledger["counts"]["bookings"] == 1
    assert app_ledger["counts"]["declarations"] == 1
    assert app_ledger["duplicates"] == {"bookings": [], "declarations": []}


def test_naive_retries_do_duplicate(stack: Stack, start_client: StartClient) -> None:
    """The contrast that makes the resilient test meaningful: no Idempotency-Key, two visits."""
    client = start_client("naive")
    patient = ACTIVE[8]
    first, second = client.register(patient), client.register(patient)
    assert first.status_code == second.status_code == 201
    assert first.json()["visit_id"] != second.json()["visit_id"]
    assert _ledger(stack.erm)["counts"]["duplicate_visit_groups"] == 1


# -- patient app down: cache and outbox ----------------------------------------------------------


def test_certificate_served_from_cache_during_maintenance(
    stack: Stack, start_client: StartClient
) -> None:
    client = start_client("resilient")
    patient = ACTIVE[9]
    path, params = f"/certificates/{patient.nik}", {"tglLahir": patient.tglLahir}
    live = client.http.get(path, params=params)
    assert live.status_code == 200, live.text
    assert _degraded(live) == []

    _fault(stack.app, kind="maintenance", route="/api/v1/*", params={"retry_after": 7200})
    stored = client.http.get(path, params=params)
    assert stored.status_code == 200, stored.text
    assert _degraded(stored) == ["cache"]
    assert stored.json() == live.json()
    never_seen = client.http.get(
        f"/certificates/{ACTIVE[10].nik}", params={"tglLahir": ACTIVE[10].tglLahir}
    )
    assert never_seen.status_code == 503  # nothing stored for this one: an honest failure

    _heal(stack.app)
    wait_until(
        lambda: _degraded(client.http.get(path, params=params)) == [],
        timeout=DEADLINE,
        what="live certificates again",
    )


def test_naive_certificate_fails_during_maintenance(
    stack: Stack, start_client: StartClient
) -> None:
    client = start_client("naive")
    patient = ACTIVE[9]
    path, params = f"/certificates/{patient.nik}", {"tglLahir": patient.tglLahir}
    assert client.http.get(path, params=params).status_code == 200
    _fault(stack.app, kind="maintenance", route="/api/v1/*", params={"retry_after": 7200})
    assert client.http.get(path, params=params).status_code == 503


def test_declaration_and_booking_stored_and_forwarded_exactly_once(
    stack: Stack, start_client: StartClient
) -> None:
    client = start_client("resilient")
    patient = ACTIVE[11]
    _fault(stack.app, kind="http_error", route="/api/v1/*", params={"status": 503})

    declared = client.declare(patient)
    assert declared.status_code == 202, declared.text
    assert _degraded(declared) == ["outbox"]
    local_receipt = declared.json()["receipt"]["nomorResi"]
    assert local_receipt.startswith("LOCAL-")
    assert client.declare(patient).json()["receipt"]["nomorResi"] == local_receipt
    booked = client.book(patient)
    assert booked.status_code == 202, booked.text
    local_booking = booked.json()["kodebooking"]
    pending_queue = client.http.get(f"/bookings/{local_booking}/queue", params=_login(patient))
    assert pending_queue.json()["status"] == "pending"
    assert _degraded(pending_queue) == ["outbox"]
    assert _ledger(stack.app)["counts"] == {
        "bookings": 0,
        "activeBookings": 0,
        "cancelledBookings": 0,
        "declarations": 0,
    }

    _heal(stack.app)
    wait_until(
        lambda: client.status()["outbox"]["delivered"] == 2,
        timeout=DEADLINE,
        what="the declaration and the booking to be forwarded",
    )
    ledger = _ledger(stack.app)
    [declaration] = ledger["declarations"]
    key = declaration_key(patient.nik, TODAY + dt.timedelta(days=3), "GA410")
    assert declaration["idempotencyKey"] == key
    assert len(ledger["bookings"]) == 1
    forwarded = client.declare(patient)  # asking again now shows the real receipt
    assert forwarded.json()["receipt"]["nomorResi"] == declaration["nomorResi"]
    queue = client.http.get(f"/bookings/{local_booking}/queue", params=_login(patient))
    assert queue.status_code == 200, queue.text
    assert queue.json()["kodebooking"] == ledger["bookings"][0]["kodebooking"]
    assert _degraded(queue) == []
    assert _ledger(stack.app)["counts"]["declarations"] == 1


# -- what is shown must be true: checked answers, and the lenient build that shows anything ------


def _schedules(client: Client) -> httpx.Response:
    return client.http.get(
        "/schedules", params={"kodepoli": KODEPOLI, "tanggal": SLOT_DAY.isoformat()}
    )


def _slots(response: httpx.Response) -> set[tuple[Any, Any, Any]]:
    return {
        (s.get("kodedokter"), s.get("jadwal"), s.get("kapasitaspasien"))
        for s in response.json()["schedules"]
    }


TRUE_SLOTS = {
    (s.kodedokter, s.jadwal, s.kapasitaspasien) for s in DATA.schedules_on(KODEPOLI, SLOT_DAY)
}
SCHEDULE_DRIFTS = [
    {"field": "jadwal", "mode": "null"},
    {"field": "jadwal", "mode": "missing"},
    {"field": "kodedokter", "mode": "wrong_type"},
    {"field": "kapasitaspasien", "mode": "rename", "to": "kuota"},
]


@pytest.mark.parametrize("drift", SCHEDULE_DRIFTS, ids=lambda d: f"{d['field']}-{d['mode']}")
def test_resilient_never_shows_a_drifted_timetable(
    drift: dict[str, str], stack: Stack, start_client: StartClient
) -> None:
    client = start_client("resilient")
    live = _schedules(client)
    assert live.status_code == 200, live.text
    assert _degraded(live) == []
    assert _slots(live) == TRUE_SLOTS

    _fault(stack.bpjs, kind="schema_drift", route="/antreanrs/jadwaldokter/*", params=drift)
    stored = _schedules(client)
    assert stored.status_code == 200, stored.text
    assert _degraded(stored) == ["cache"]  # the last good copy, said to be one
    assert _slots(stored) == TRUE_SLOTS
    other_day = SLOT_DAY + dt.timedelta(days=1)
    never_seen = client.http.get(
        "/schedules", params={"kodepoli": KODEPOLI, "tanggal": other_day.isoformat()}
    )
    if DATA.schedules_on(KODEPOLI, other_day):
        # Not warmed yet for that weekday, or warmed: either the true copy, said to be one, or an
        # honest failure: 502 (the drifted answer refused) or 503 (the breaker opened on them).
        if never_seen.status_code in (502, 503):
            assert "schedules" not in never_seen.json(), never_seen.text
        else:
            assert never_seen.status_code == 200, never_seen.text
            assert _degraded(never_seen) == ["cache"]
            true_slots = {
                (s.kodedokter, s.jadwal, s.kapasitaspasien)
                for s in DATA.schedules_on(KODEPOLI, other_day)
            }
            assert _slots(never_seen) == true_slots


def test_naive_refuses_a_drifted_timetable(stack: Stack, start_client: StartClient) -> None:
    client = start_client("naive")
    _fault(
        stack.bpjs,
        kind="schema_drift",
        route="/antreanrs/jadwaldokter/*",
        params={"field": "jadwal", "mode": "null"},
    )
    assert _schedules(client).status_code == 502


CERTIFICATE_FAULTS = [
    # Dates moved by a day inside the signed certificate: its signature no longer verifies.
    {"kind": "stale_data", "params": {"days": 1}},
    {"kind": "schema_drift", "params": {"field": "certificate", "mode": "null"}},
    {"kind": "schema_drift", "params": {"field": "nama", "mode": "missing"}},
]


@pytest.mark.parametrize(
    "fault", CERTIFICATE_FAULTS, ids=["altered", "certificate-null", "nama-missing"]
)
def test_resilient_never_shows_an_altered_or_missing_certificate(
    fault: dict[str, Any], stack: Stack, start_client: StartClient
) -> None:
    client = start_client("resilient")
    patient = ACTIVE[12]
    path, params = f"/certificates/{patient.nik}", {"tglLahir": patient.tglLahir}
    live = client.http.get(path, params=params)
    assert live.status_code == 200, live.text
    assert _degraded(live) == []

    _fault(stack.app, route="/api/v1/certificates/vaccination", **fault)
    stored = client.http.get(path, params=params)
    assert stored.status_code == 200, stored.text
    assert _degraded(stored) == ["cache"]
    assert stored.json() == live.json()
    never_seen = client.http.get(
        f"/certificates/{ACTIVE[13].nik}", params={"tglLahir": ACTIVE[13].tglLahir}
    )
    assert never_seen.status_code >= 500, never_seen.text  # nothing true to show: it says so


def test_resilient_never_shows_drifted_lab_results(stack: Stack, start_client: StartClient) -> None:
    client = start_client("resilient")
    patient = ACTIVE[14]
    _fault(
        stack.app,
        kind="schema_drift",
        route="/api/v1/lab-results",
        params={"field": "hasil", "mode": "null"},
    )
    answer = client.http.get("/lab-results", params=_login(patient))
    assert answer.status_code == 502, answer.text  # nothing good cached: an honest failure


def test_queue_answered_from_the_booking_confirmation_while_the_app_fails(
    stack: Stack, start_client: StartClient
) -> None:
    """A booking confirmed live, its queue never read: the queue read during an outage answers
    what the confirmation said, marked degraded, and leaves what only the app knows empty."""
    client = start_client("resilient")
    patient = ACTIVE[15]
    booked = client.book(patient)
    assert booked.status_code == 201, booked.text
    booking = booked.json()

    _fault(stack.app, kind="http_error", route="/api/v1/*", params={"status": 502})
    queue = client.http.get(f"/bookings/{booking['kodebooking']}/queue", params=_login(patient))
    assert queue.status_code == 200, queue.text
    assert _degraded(queue) == ["cache"]
    body = queue.json()
    for field in ("kodebooking", "nomorantrean", "angkaantrean", "tanggalperiksa", "namadokter"):
        assert body[field] == booking[field], field
    for unknown in ("sedangdilayani", "sisaantrean", "totalantrean", "estimasiMenit"):
        assert body[unknown] is None, unknown
    wrong_birth = client.http.get(
        f"/bookings/{booking['kodebooking']}/queue",
        params={"nik": patient.nik, "tglLahir": "1900-01-01"},
    )
    assert wrong_birth.status_code >= 500  # another login never reads this patient's booking

    _heal(stack.app)
    wait_until(
        lambda: (
            _degraded(
                client.http.get(f"/bookings/{booking['kodebooking']}/queue", params=_login(patient))
            )
            == []
        ),
        timeout=DEADLINE,
        what="the live queue status again",
    )


def test_lenient_shows_failed_and_drifted_reads_as_normal_answers(
    stack: Stack, start_client: StartClient
) -> None:
    """The lenient build's defect, pinned: no failure and no marker, but answers that are wrong."""
    client = start_client("lenient")
    patient = ACTIVE[16]
    _fault(stack.bpjs, kind="http_error", route="/antreanrs/jadwaldokter/*", params={"status": 500})
    empty = _schedules(client)
    assert (empty.status_code, _degraded(empty), empty.json()["schedules"]) == (200, [], [])
    _heal(stack.bpjs)
    _fault(
        stack.bpjs,
        kind="schema_drift",
        route="/antreanrs/jadwaldokter/*",
        params={"field": "jadwal", "mode": "null"},
    )
    drifted = _schedules(client)
    assert drifted.status_code == 200, drifted.text
    assert _degraded(drifted) == []
    assert {s["jadwal"] for s in drifted.json()["schedules"]} == {None}  # shown as received

    _fault(stack.app, kind="malformed_json", route="/api/v1/lab-results")
    _fault(
        stack.app,
        kind="schema_drift",
        route="/api/v1/certificates/vaccination",
        params={"field": "certificate", "mode": "null"},
    )
    results = client.http.get("/lab-results", params=_login(patient))
    assert (results.status_code, _degraded(results), results.json()) == (200, [], {"results": []})
    certificate = client.http.get(
        f"/certificates/{patient.nik}", params={"tglLahir": patient.tglLahir}
    )
    assert (certificate.status_code, _degraded(certificate)) == (200, [])
    assert certificate.json()["certificate"] is None
    _heal(stack.app)

    # Writes are never invented: a booking the app did not take is a failure ...
    _fault(stack.app, kind="http_error", route="/api/v1/bookings", params={"status": 503})
    refused = client.book(patient)
    assert refused.status_code == 503, refused.text
    assert _ledger(stack.app)["counts"]["bookings"] == 0
    _heal(stack.app)
    # ... and one it did take is relayed as the app answered, drifted or not.
    _fault(
        stack.app,
        kind="schema_drift",
        route="/api/v1/bookings",
        methods=["POST"],
        params={"field": "kodebooking", "mode": "rename", "to": "kodeBooking"},
    )
    booked = client.book(patient)
    assert booked.status_code == 201, booked.text
    [ledger_booking] = _ledger(stack.app)["bookings"]
    assert booked.json()["kodeBooking"] == ledger_booking["kodebooking"]
    assert client.status() == {
        "build": "lenient",
        "breakers": {},
        "outbox": None,
        "pending_verification": None,
    }


# -- client definition files ---------------------------------------------------------------------


@pytest.mark.parametrize("build", ["naive", "resilient", "lenient"])
def test_client_files_validate_with_the_harness_loader(build: str) -> None:
    client = load_client(ROOT / "examples" / "clients" / f"{build}.yaml")
    assert client.command is not None
    assert "examples.reference_client" in client.command
    assert build in client.command
    assert client.readiness.path == "/health"
    assert client.degraded_marker is not None
    assert client.degraded_marker.header == "X-Degraded"
    sample = {name: f"<{name}>" for name in TEMPLATE_NAMES}
    env = {name: render(value, sample) for name, value in client.env.items()}
    assert env["BPJS_URL"] == "<bpjs_url>"
    assert env["ERM_URL"] == "<erm_url>"
    assert env["PATIENT_APP_URL"] == "<patient_app_url>"
    assert env["CA_BUNDLE"] == "<ca_bundle>"  # the CA to trust with stack.tls, else empty
    assert (ROOT / "examples" / "clients" / (client.cwd or ".")).resolve() == ROOT


def test_ca_bundle_is_the_ca_to_trust_and_empty_means_the_system_store(tmp_path: Path) -> None:
    urls = {name: "https://127.0.0.1:18201" for name in ("BPJS_URL", "ERM_URL", "PATIENT_APP_URL")}
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")

    assert settings_from_env(Build.NAIVE, urls).ca_bundle is None
    assert settings_from_env(Build.NAIVE, {**urls, "CA_BUNDLE": ""}).ca_bundle is None
    assert settings_from_env(Build.NAIVE, {**urls, "CA_BUNDLE": str(ca)}).ca_bundle == ca
    with pytest.raises(ConfigError, match=r"CA_BUNDLE='/nowhere/ca\.pem' is not a file"):
        settings_from_env(Build.NAIVE, {**urls, "CA_BUNDLE": "/nowhere/ca.pem"})


# -- the resilience pieces on their own (pure logic, an injected clock) -------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _state(breaker: CircuitBreaker) -> BreakerState:
    return breaker.state  # a call, so that each assertion reads the state afresh


def test_breaker_opens_probes_once_and_closes() -> None:
    clock = _Clock()
    breaker = CircuitBreaker(name="erm", failure_threshold=3, reset_timeout=2.0, clock=clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert _state(breaker) is BreakerState.OPEN
    assert not breaker.allow()
    clock.now = 2.0
    assert _state(breaker) is BreakerState.HALF_OPEN
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one at a time
    breaker.record_failure()
    assert _state(breaker) is BreakerState.OPEN
    clock.now = 4.0
    assert breaker.allow()
    breaker.record_success()
    assert _state(breaker) is BreakerState.CLOSED
    assert breaker.allow()


def test_retry_backs_off_with_jitter_and_only_when_worth_it() -> None:
    policy = RetryPolicy(attempts=3, base_delay=0.1, max_delay=1.0, budget=10.0)
    pauses: list[float] = []
    calls: list[int] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    def failing(kind: FailureKind, retry_after: float | None = None) -> Any:
        async def call() -> None:
            calls.append(1)
            raise UpstreamFailure(Upstream.ERM, kind, "test", retry_after=retry_after)

        return call

    rng = random.Random(1)
    with pytest.raises(UpstreamFailure):
        asyncio.run(retrying(failing(FailureKind.UNREACHABLE), policy=policy, rng=rng, sleep=sleep))
    assert len(calls) == 3
    assert len(pauses) == 2
    assert 0 <= pauses[0] <= 0.2
    assert 0 <= pauses[1] <= 0.4
    for kind, retry_after in ((FailureKind.CIRCUIT_OPEN, None), (FailureKind.UNAVAILABLE, 1800)):
        calls.clear()
        with pytest.raises(UpstreamFailure):
            asyncio.run(retrying(failing(kind, retry_after), policy=policy, rng=rng, sleep=sleep))
        assert len(calls) == 1


def test_birth_date_read_from_the_nik() -> None:
    today = dt.date(2025, 10, 27)
    assert birth_date("3271014508900001", today=today) == dt.date(1990, 8, 5)  # day 45: a woman
    assert birth_date("3271010503240001", today=today) == dt.date(2024, 3, 5)
    assert birth_date("3271010503260001", today=today) == dt.date(1926, 3, 5)  # not in the future
    assert birth_date("3271013213900001", today=today) is None
    for patient in DATA.patients:
        assert birth_date(patient.nik, today=TODAY) == dt.date.fromisoformat(patient.tglLahir)


def test_resilient_shows_the_week_timetable_during_a_bpjs_outage(
    stack: Stack, start_client: StartClient
) -> None:
    client = start_client("resilient")
    week = [TODAY + dt.timedelta(days=d) for d in range(7)]  # the client's day: WIB
    wanted = len(DATA.polyclinics) * len(week)

    def warmed() -> bool:
        stats = httpx.get(f"{stack.bpjs.url}/__admin/stats", timeout=10).json()["requests"]
        return sum(n for route, n in stats.items() if "jadwaldokter" in route) >= wanted

    wait_until(warmed, timeout=DEADLINE, what="the schedule cache to be warmed")
    _fault(stack.bpjs, kind="maintenance", route="/antreanrs/*", params={"retry_after": 7200})
    # Nobody asked for these before the outage: they come from the warmed cache.
    for poli in DATA.polyclinics:
        day = week[-1]
        answer = client.http.get("/schedules", params={"kodepoli": poli.kodepoli, "tanggal": day})
        assert answer.status_code == 200, answer.text
        assert _degraded(answer) == ["cache"]
        expected = {s.kodedokter for s in DATA.schedules_on(poli.kodepoli, day)}
        assert {s["kodedokter"] for s in answer.json()["schedules"]} == expected
