"""The ledger reader and the integrity checks against the real ERM mock's GET /__admin/ledger,
and against the patient-app ledger's model in the contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.errors import ExitCode, UsageError
from harness.results.checks import no_duplicates, nothing_lost
from harness.results.ledger import NATURAL_KEYS, Ledger, RecordKind, parse_ledger
from harness.results.run import RunData
from harness.results.timeline import Accepted, RequestLog, RequestRecorder, read_request_log
from harness.scenario.checks import NoDuplicatesCheck, NothingLostCheck
from service_contract import ledger as contract
from service_contract.ledger import BookingStatus
from tests.conftest import StartMock

pytestmark = pytest.mark.integration

SEED = 11
BOOKED, CANCELLED = BookingStatus.BOOKED, BookingStatus.CANCELLED
CLIENT_ID = "ledger-test-client"
CLIENT_SECRET = "ledger-test-secret"


def dataset() -> dict[str, list[dict[str, str]]]:
    out = subprocess.run(
        [sys.executable, "-m", "mock_services", "dataset", "--seed", str(SEED)],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    data: dict[str, list[dict[str, str]]] = json.loads(out)
    return data


def run_with(ledger: Ledger, accepted: list[Accepted]) -> RunData:
    return RunData(duration=60, requests=RequestLog(t0=0, accepted=tuple(accepted)), ledger=ledger)


def test_erm_ledger_from_the_real_mock(start_mock: StartMock, tmp_path: Path) -> None:
    data = dataset()
    first, second, never = (p["nik"] for p in data["patients"][:3])
    kodepoli = data["polyclinics"][0]["kodepoli"]
    erm = start_mock(
        "erm",
        seed=SEED,
        db=tmp_path / "erm.db",
        extra=("--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET),
    )
    with httpx.Client(base_url=erm.url, timeout=10) as http:
        token = http.post(
            "/oauth2/v1/accesstoken",
            params={"grant_type": "client_credentials"},
            data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
        assert token.status_code == 200, token.text
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        visit = {"tanggal": "2019-03-25", "kodepoli": kodepoli}
        for _ in range(2):  # a naive client retrying without a key: entered twice
            done = http.post("/api/v1/visits", json={**visit, "nik": first}, headers=auth)
            assert done.status_code == 201, done.text
        for _ in range(2):  # an outbox replaying with its key: entered once
            done = http.post(
                "/api/v1/visits",
                json={**visit, "nik": second},
                headers={**auth, "Idempotency-Key": "outbox-7"},
            )
            assert done.status_code == 201, done.text
        payload = http.get("/__admin/ledger").json()

    ledger = parse_ledger(payload)
    assert {r.kind for r in ledger.records} == {RecordKind.REGISTRATION}
    assert len(ledger.records) == 3
    assert any(r.idempotency_key == "outbox-7" for r in ledger.records)

    duplicates = no_duplicates(NoDuplicatesCheck(), run_with(ledger, []))
    assert not duplicates.passed
    assert duplicates.measured == 1
    assert first in duplicates.reason

    told = [
        Accepted(t=1, kind=RecordKind.REGISTRATION, key={"nik": first, **visit}),
        Accepted(t=2, kind=RecordKind.REGISTRATION, key={"nik": "-"}, idempotency_key="outbox-7"),
    ]
    assert nothing_lost(NothingLostCheck(), run_with(ledger, told)).passed
    lost = Accepted(t=3, kind=RecordKind.REGISTRATION, key={"nik": never, **visit})
    result = nothing_lost(NothingLostCheck(), run_with(ledger, [*told, lost]))
    assert not result.passed
    assert never in result.reason


def test_patient_app_ledger_shape_is_understood() -> None:
    booking_key = contract.BookingKey(nik="3201", tanggalperiksa="2019-03-25", kodepoli="INT")
    declaration_key = contract.DeclarationKey(
        nik="3201", tanggalPerjalanan="2020-12-19", nomorPenerbangan="GA410"
    )

    def booking(code: str, status: BookingStatus, idem: str | None) -> contract.LedgerBooking:
        return contract.LedgerBooking(
            kodebooking=code,
            naturalKey=booking_key,
            kodedokter=1,
            angkaantrean=1,
            status=status,
            idempotencyKey=idem,
            replays=0,
            createdAt="2019-03-25T08:00:00Z",
            cancelledAt=None,
        )

    payload = contract.PatientAppLedger(
        counts=contract.PatientAppCounts(
            bookings=3, activeBookings=2, cancelledBookings=1, declarations=1
        ),
        bookings=[
            booking("B1", BOOKED, "k1"),
            booking("B2", BOOKED, None),
            booking("B3", CANCELLED, None),
        ],
        declarations=[
            contract.LedgerDeclaration(
                nomorResi="R1",
                naturalKey=declaration_key,
                accountNik="3201",
                idempotencyKey=None,
                replays=1,
                createdAt="2020-12-19T06:00:00Z",
            )
        ],
        duplicates=contract.PatientAppDuplicates(
            bookings=[
                contract.BookingDuplicate(naturalKey=booking_key, count=2, kodebooking=["B1", "B2"])
            ],
            declarations=[],
        ),
    ).model_dump(mode="json")
    ledger = parse_ledger(payload)
    kinds = [(r.kind, r.id, r.active) for r in ledger.records]
    assert kinds == [
        (RecordKind.BOOKING, "B1", True),
        (RecordKind.BOOKING, "B2", True),
        (RecordKind.BOOKING, "B3", False),
        (RecordKind.SUBMISSION, "R1", True),
    ]
    groups = ledger.duplicates()
    assert [(g.kind, g.ids) for g in groups] == [(RecordKind.BOOKING, ("B1", "B2"))]
    # accepted records are keyed as the ledger keys them (docs/custom-load.md)
    told = [
        Accepted(
            t=1,
            kind=RecordKind.BOOKING,
            key={"nik": "3201", "tanggalperiksa": "2019-03-25", "kodepoli": "INT"},
        ),
        Accepted(
            t=2,
            kind=RecordKind.SUBMISSION,
            key={"nik": "3201", "tanggalPerjalanan": "2020-12-19", "nomorPenerbangan": "GA410"},
        ),
    ]
    assert nothing_lost(NothingLostCheck(), run_with(ledger, told)).passed


def test_a_payload_that_is_no_mock_ledger_is_refused() -> None:
    with pytest.raises(ValueError, match="not a mock's ledger"):
        parse_ledger({"service": "erm", "visits": []})
    with pytest.raises(ValueError, match="asked for the patient-app ledger, got the erm ledger"):
        parse_ledger(
            {
                "service": "erm",
                "counts": dict.fromkeys(contract.ErmCounts.model_fields, 0),
                "visits": [],
                "encounters": [],
                "duplicates": {"visits": [], "encounters": []},
            },
            service="patient-app",
        )


@pytest.mark.unit
def test_an_accepted_record_keyed_otherwise_than_its_ledger_is_a_usage_error(
    tmp_path: Path,
) -> None:
    key = {"nik": "3201", "tanggal": "2025-03-25", "kodepoli": "INT"}
    good = tmp_path / "good.jsonl"
    with RequestRecorder(good, t0=0.0) as recorder:
        recorder.accepted(RecordKind.REGISTRATION, key, at=1)
        recorder.accepted(RecordKind.BOOKING, {}, idempotency_key="outbox-1", at=2)
    assert len(read_request_log([good]).accepted) == 2

    bad = tmp_path / "bad.jsonl"
    with RequestRecorder(bad, t0=0.0) as recorder:  # a registration's date name on a booking
        recorder.accepted(RecordKind.BOOKING, key, at=3)
    with pytest.raises(UsageError) as refused:
        read_request_log([bad])
    assert str(refused.value) == (
        f"{bad}:2: an accepted booking is keyed by nik, tanggal, kodepoli; a booking's natural"
        " key is nik, tanggalperiksa, kodepoli, named as its ledger names them"
        ' (docs/custom-load.md, "A locustfile of your own")'
    )
    assert refused.value.exit_code == ExitCode.USAGE


@pytest.mark.unit
@pytest.mark.parametrize(
    ("kind", "key"),
    [
        (RecordKind.SUBMISSION, {"nik": "3201", "tanggal_perjalanan": "2020-12-19"}),
        (RecordKind.REGISTRATION, {"nik": "3201"}),  # a part of the key would match too much
        (RecordKind.BOOKING, {}),  # neither a natural key nor an idempotency key
    ],
)
def test_a_key_the_checks_cannot_match_names_what_was_expected(
    tmp_path: Path, kind: RecordKind, key: dict[str, str]
) -> None:
    log = tmp_path / "requests.jsonl"
    with RequestRecorder(log, t0=0.0) as recorder:
        recorder.accepted(kind, key, at=1)
    expected = ", ".join(NATURAL_KEYS[kind])
    with pytest.raises(UsageError, match=f"keyed by .*; a {kind}'s natural key is {expected},"):
        read_request_log([log])
