"""Patient-app schedules, booking (Idempotency-Key, also under concurrency), cancel, queue."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.patient_app_support import (
    API,
    WIB,
    Slot,
    active_patients,
    authed,
    dataset,
    ledger,
    running_patient_app,
    slot,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with running_patient_app(tmp_path_factory.mktemp("patient-app-bookings")) as (_, client):
        yield client


def _book(
    app: httpx.Client, headers: dict[str, str], body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return app.post(f"{API}/bookings", json=body, headers={**headers, **extra})


def test_facility_and_polyclinics_are_public(app: httpx.Client) -> None:
    facility = app.get(f"{API}/facility").json()["data"]
    data = dataset()
    assert facility["kode"] == data.facility.kode
    assert facility["nama"] == data.facility.nama
    assert [p["kodepoli"] for p in facility["polyclinics"]] == [
        p.kodepoli for p in data.polyclinics
    ]
    polyclinics = app.get(f"{API}/polyclinics").json()["data"]
    assert polyclinics == facility["polyclinics"]


def test_schedules_match_the_dataset_weekday(app: httpx.Client) -> None:
    headers = authed(app, active_patients()[0])
    data = dataset()
    poli = data.polyclinics[0].kodepoli
    today = dt.datetime.now(WIB).date()
    for offset in range(7):
        day = today + dt.timedelta(days=offset)
        response = app.get(
            f"{API}/schedules",
            params={"kodepoli": poli, "tanggal": day.isoformat()},
            headers=headers,
        )
        assert response.status_code == 200
        got = {(s["kodedokter"], s["jadwal"]) for s in response.json()["data"]}
        expected = {(s.kodedokter, s.jadwal) for s in data.schedules_on(poli, day)}
        assert got == expected
        for item in response.json()["data"]:
            assert item["tanggal"] == day.isoformat()
            assert item["hari"] == day.isoweekday()


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"kodepoli": "XXX", "tanggal": "2030-01-07"}, 404, "NOT_FOUND"),
        ({"kodepoli": "INT", "tanggal": "07-01-2030"}, 400, "INVALID_REQUEST"),
        ({"kodepoli": "INT"}, 400, "INVALID_REQUEST"),
    ],
)
def test_bad_schedule_queries_get_clear_errors(
    app: httpx.Client, params: dict[str, str], status: int, code: str
) -> None:
    headers = authed(app, active_patients()[0])
    response = app.get(f"{API}/schedules", params=params, headers=headers)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["success"] is False


def test_schedules_need_a_token(app: httpx.Client) -> None:
    response = app.get(f"{API}/schedules", params={"kodepoli": "INT", "tanggal": "2030-01-07"})
    assert response.status_code == 401


def test_booking_returns_code_and_increasing_queue_numbers(app: httpx.Client) -> None:
    where = slot(2)
    first = _book(app, authed(app, active_patients()[10]), where.body())
    second = _book(app, authed(app, active_patients()[11]), where.body())
    assert first.status_code == second.status_code == 201
    a, b = first.json()["data"], second.json()["data"]
    assert a["kodebooking"] != b["kodebooking"]
    assert b["angkaantrean"] == a["angkaantrean"] + 1
    assert a["nomorantrean"] == f"{where.schedule.kodepoli}-{a['angkaantrean']:03d}"
    assert a["status"] == "BOOKED"
    assert a["jampraktek"] == where.schedule.jadwal
    assert b["estimasidilayani"] > a["estimasidilayani"]
    schedules = app.get(
        f"{API}/schedules",
        params={"kodepoli": where.schedule.kodepoli, "tanggal": where.day.isoformat()},
        headers=authed(app, active_patients()[10]),
    ).json()["data"]
    mine = next(s for s in schedules if s["kodedokter"] == where.schedule.kodedokter)
    assert mine["terisi"] >= 2
    assert mine["sisakuota"] == mine["kapasitaspasien"] - mine["terisi"]


def test_same_idempotency_key_replays_and_never_books_twice(app: httpx.Client) -> None:
    headers = authed(app, active_patients()[12])
    key = str(uuid.uuid4())
    first = _book(app, headers, slot(3).body(), key)
    again = _book(app, headers, slot(3).body(), key)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.json() == first.json()
    records = [b for b in ledger(app)["bookings"] if b["idempotencyKey"] == key]
    assert len(records) == 1
    assert records[0]["replays"] == 1


def test_concurrent_identical_requests_make_one_booking(app: httpx.Client) -> None:
    headers = authed(app, active_patients()[13])
    key = str(uuid.uuid4())
    body = slot(4).body()

    def attempt(_: int) -> httpx.Response:
        with httpx.Client(base_url=str(app.base_url), timeout=30) as own:
            return _book(own, headers, body, key)

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(attempt, range(16)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["data"]["kodebooking"] for r in responses}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
    records = [b for b in ledger(app)["bookings"] if b["idempotencyKey"] == key]
    assert len(records) == 1
    assert records[0]["replays"] == 15


def test_same_key_with_another_body_is_a_clear_error(app: httpx.Client) -> None:
    headers = authed(app, active_patients()[14])
    key = str(uuid.uuid4())
    assert _book(app, headers, slot(5).body(), key).status_code == 201
    other = _book(app, headers, slot(5).body(keluhan="batuk"), key)
    assert other.status_code == 422
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert key in other.json()["message"]
    assert len([b for b in ledger(app)["bookings"] if b["idempotencyKey"] == key]) == 1


def test_key_order_in_the_body_does_not_matter(app: httpx.Client) -> None:
    headers = authed(app, active_patients()[15])
    key = str(uuid.uuid4())
    body = slot(6).body()
    assert _book(app, headers, body, key).status_code == 201
    reordered = dict(reversed(list(body.items())))
    assert _book(app, headers, reordered, key).headers["Idempotent-Replayed"] == "true"


def test_invalid_idempotency_key_is_rejected(app: httpx.Client) -> None:
    response = _book(app, authed(app, active_patients()[15]), slot(6).body(), "has space")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["message"]


def test_retry_without_key_double_books_and_the_ledger_shows_it(app: httpx.Client) -> None:
    patient = active_patients()[16]
    headers = authed(app, patient)
    where = slot(7)
    codes = [_book(app, headers, where.body()).json()["data"]["kodebooking"] for _ in range(2)]
    duplicates = ledger(app)["duplicates"]["bookings"]
    mine = [
        d
        for d in duplicates
        if d["naturalKey"]
        == {
            "nik": patient.nik,
            "tanggalperiksa": where.day.isoformat(),
            "kodepoli": where.schedule.kodepoli,
        }
    ]
    assert len(mine) == 1
    assert mine[0]["count"] == 2
    assert mine[0]["kodebooking"] == codes


def test_cancel_is_idempotent_and_leaves_no_duplicate(app: httpx.Client) -> None:
    patient = active_patients()[17]
    headers = authed(app, patient)
    where = slot(8)
    first = _book(app, headers, where.body()).json()["data"]["kodebooking"]
    cancelled = app.post(
        f"{API}/bookings/{first}/cancel", json={"alasan": "sembuh"}, headers=headers
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["data"]["status"] == "CANCELLED"
    assert cancelled.json()["data"]["alasanBatal"] == "sembuh"
    again = app.post(f"{API}/bookings/{first}/cancel", headers=headers)
    assert again.status_code == 200
    assert again.json()["data"]["dibatalkanPada"] == cancelled.json()["data"]["dibatalkanPada"]
    rebooked = _book(app, headers, where.body())
    assert rebooked.status_code == 201
    book = ledger(app)
    assert not [d for d in book["duplicates"]["bookings"] if d["naturalKey"]["nik"] == patient.nik]
    statuses = {b["kodebooking"]: b["status"] for b in book["bookings"]}
    assert statuses[first] == "CANCELLED"
    assert statuses[rebooked.json()["data"]["kodebooking"]] == "BOOKED"


def test_bookings_list_get_and_queue_status(app: httpx.Client) -> None:
    patient = active_patients()[18]
    headers = authed(app, patient)
    where = slot(9)
    booked = _book(app, headers, where.body()).json()["data"]
    code = booked["kodebooking"]
    listed = app.get(f"{API}/bookings", headers=headers).json()["data"]
    assert [b["kodebooking"] for b in listed] == [code]
    assert app.get(f"{API}/bookings/{code}", headers=headers).json()["data"] == booked
    queue = app.get(f"{API}/bookings/{code}/queue", headers=headers)
    assert queue.status_code == 200
    status = queue.json()["data"]
    assert status["nomorantrean"] == booked["nomorantrean"]
    # The booking is for a later day: nobody is being served yet, and everyone issued is ahead.
    assert status["sedangdilayani"] == 0
    assert status["totalantrean"] >= booked["angkaantrean"]
    assert status["sisaantrean"] == booked["angkaantrean"] - 1
    assert status["estimasidilayani"] == booked["estimasidilayani"]
    assert status["estimasiMenit"] > 0


def test_another_patients_booking_is_not_found(app: httpx.Client) -> None:
    owner = authed(app, active_patients()[19])
    code = _book(app, owner, slot(10).body()).json()["data"]["kodebooking"]
    stranger = authed(app, active_patients()[20])
    for response in (
        app.get(f"{API}/bookings/{code}", headers=stranger),
        app.get(f"{API}/bookings/{code}/queue", headers=stranger),
        app.post(f"{API}/bookings/{code}/cancel", headers=stranger),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("change", "status", "code", "fragment"),
    [
        ({"kodepoli": "ZZZ"}, 404, "NOT_FOUND", "unknown kodepoli"),
        ({"kodedokter": 1}, 422, "NO_SCHEDULE", "no practice"),
        ({"tanggalperiksa": "2020-01-06"}, 400, "INVALID_REQUEST", "booking window"),
        ({"jeniskunjungan": 9}, 400, "INVALID_REQUEST", "jeniskunjungan"),
        ({"unknown": True}, 400, "INVALID_REQUEST", "unknown"),
    ],
)
def test_bad_bookings_get_clear_errors(
    app: httpx.Client, change: dict[str, Any], status: int, code: str, fragment: str
) -> None:
    response = _book(app, authed(app, active_patients()[21]), {**slot(11).body(), **change})
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert fragment in response.json()["message"]


def test_quota_full_is_a_409_and_not_stored_for_the_key(app: httpx.Client) -> None:
    where: Slot = slot(12)
    capacity = where.schedule.kapasitaspasien
    patients = active_patients()[30 : 30 + capacity]
    for patient in patients:
        assert _book(app, authed(app, patient), where.body()).status_code == 201
    late = authed(app, active_patients()[100])
    key = str(uuid.uuid4())
    full = _book(app, late, where.body(), key)
    assert full.status_code == 409
    assert full.json()["code"] == "QUOTA_FULL"
    # Errors are not remembered for the key: a retry is evaluated again (still full).
    assert _book(app, late, where.body(), key).json()["code"] == "QUOTA_FULL"


def test_schedule_quota_follows_bookings_and_cancellations(app: httpx.Client) -> None:
    headers = authed(app, active_patients()[22])
    where = slot(13)
    query = {"kodepoli": where.schedule.kodepoli, "tanggal": where.day.isoformat()}

    def taken() -> int:
        items = app.get(f"{API}/schedules", params=query, headers=headers).json()["data"]
        return int(next(s["terisi"] for s in items if s["kodedokter"] == where.schedule.kodedokter))

    before = taken()
    assert taken() == before  # asked twice, answered the same
    code = _book(app, headers, where.body()).json()["data"]["kodebooking"]
    assert taken() == before + 1
    app.post(f"{API}/bookings/{code}/cancel", headers=headers).raise_for_status()
    assert taken() == before
