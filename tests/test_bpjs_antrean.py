"""Antrean RS endpoints of the real mock process: references, idempotent add, task order."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mock_services.common.dataset import generate
from tests.bpjs_protocol import ANTREAN, BpjsClient, Reply, running_bpjs, signed_headers

pytestmark = pytest.mark.integration

DATA = generate(1)
PATIENTS = [p for p in DATA.patients if p.aktif]
SCHEDULE = DATA.schedules[0]
DOCTOR = next(d for d in DATA.doctors if d.kodedokter == SCHEDULE.kodedokter)
_booking_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def bpjs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BpjsClient]:
    # Shared by the module: every test uses its own kodebooking.
    with running_bpjs(tmp_path_factory.mktemp("bpjs-antrean")) as client:
        yield client


def _add_body(*, pasienbaru: int = 0, kodebooking: str | None = None) -> dict[str, Any]:
    n = next(_booking_numbers)
    patient = PATIENTS[n % len(PATIENTS)]
    return {
        "kodebooking": kodebooking or f"T{time.time_ns()}-{n}",
        "jenispasien": "JKN",
        "nomorkartu": patient.noKartu,
        "nik": patient.nik,
        "nohp": patient.noTelepon,
        "kodepoli": SCHEDULE.kodepoli,
        "namapoli": DATA.polyclinic(SCHEDULE.kodepoli).namapoli,  # type: ignore[union-attr]
        "pasienbaru": pasienbaru,
        "norm": patient.noMR,
        "tanggalperiksa": "2025-10-27",
        "kodedokter": DOCTOR.kodedokter,
        "namadokter": DOCTOR.namadokter,
        "jampraktek": SCHEDULE.jadwal,
        "jeniskunjungan": 1,
        "nomorreferensi": "0301U0011025Y000001",
        "nomorantrean": f"A-{n}",
        "angkaantrean": n,
        "estimasidilayani": 1761530400000,
        "sisakuotajkn": 5,
        "kuotajkn": 30,
        "sisakuotanonjkn": 5,
        "kuotanonjkn": 30,
        "keterangan": "Peserta harap 30 menit lebih awal guna pencatatan administrasi.",
    }


def _ok(reply: Reply) -> None:
    assert reply.status == 200
    assert reply.body == {"metadata": {"code": 200, "message": "Ok"}}, reply.body


def _refused(reply: Reply, words: str) -> None:
    assert reply.status == 200
    assert reply.body["metadata"]["code"] == 201, reply.body
    assert words in reply.body["metadata"]["message"]


def test_ref_poli_and_dokter_come_from_the_dataset(bpjs: BpjsClient) -> None:
    poli = bpjs.get(f"{ANTREAN}/ref/poli")
    assert poli.body["metadata"] == {"code": 200, "message": "Ok"}
    assert {p["kdpoli"] for p in poli.payload()} == {p.kodepoli for p in DATA.polyclinics}
    assert all(
        set(p) == {"nmpoli", "nmsubspesialis", "kdsubspesialis", "kdpoli"} for p in poli.payload()
    )
    dokter = bpjs.get(f"{ANTREAN}/ref/dokter").payload()
    assert {d["kodedokter"] for d in dokter} == {d.kodedokter for d in DATA.doctors}
    assert all(isinstance(d["kodedokter"], int) and d["namadokter"] for d in dokter)


def test_jadwaldokter_lists_the_schedules_of_that_weekday(bpjs: BpjsClient) -> None:
    day = dt.date(2025, 10, 27) + dt.timedelta(days=SCHEDULE.hari - 1)  # 27 October is a Monday
    expected = {s.kodedokter for s in DATA.schedules_on(SCHEDULE.kodepoli, day)}
    reply = bpjs.get(f"{ANTREAN}/jadwaldokter/kodepoli/{SCHEDULE.kodepoli}/tanggal/{day}")
    jadwal = reply.payload()
    assert SCHEDULE.kodedokter in expected
    assert {j["kodedokter"] for j in jadwal} == expected
    for item in jadwal:
        assert item["kodepoli"] == SCHEDULE.kodepoli
        assert item["namahari"] == SCHEDULE.namahari
        assert item["libur"] == 0
        assert isinstance(item["kapasitaspasien"], int)
    _refused(bpjs.get(f"{ANTREAN}/jadwaldokter/kodepoli/NOPE/tanggal/{day}"), "unknown kodepoli")
    sunday = dt.date(2025, 11, 2)
    _refused(
        bpjs.get(f"{ANTREAN}/jadwaldokter/kodepoli/{SCHEDULE.kodepoli}/tanggal/{sunday}"),
        "no doctor practises",
    )
    bad_date = bpjs.get(f"{ANTREAN}/jadwaldokter/kodepoli/{SCHEDULE.kodepoli}/tanggal/2025-99-01")
    assert bad_date.body["metadata"]["code"] == 400


def test_add_is_idempotent_on_kodebooking(bpjs: BpjsClient) -> None:
    body = _add_body()
    first = bpjs.post(f"{ANTREAN}/antrean/add", body)
    second = bpjs.post(f"{ANTREAN}/antrean/add", body, content_type="application/json")
    _ok(first)
    assert second.body == first.body
    stored = [b for b in bpjs.ledger()["antrean"] if b["kodebooking"] == body["kodebooking"]]
    assert len(stored) == 1
    changed = {**body, "nomorantrean": "B-999"}
    _refused(bpjs.post(f"{ANTREAN}/antrean/add", changed), "already exists with different data")


def test_concurrent_identical_adds_make_one_booking(bpjs: BpjsClient) -> None:
    body = _add_body()
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda _: bpjs.post(f"{ANTREAN}/antrean/add", body), range(16)))
    for reply in replies:
        _ok(reply)
    stored = [b for b in bpjs.ledger()["antrean"] if b["kodebooking"] == body["kodebooking"]]
    assert len(stored) == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"kodepoli": "XXX"}, "unknown kodepoli"),
        ({"kodedokter": 1}, "does not practise"),
        ({"nomorkartu": "123"}, "13-digit"),
        ({"jeniskunjungan": 9}, "jeniskunjungan"),
        ({"nik": "12"}, "nik"),
    ],
)
def test_add_refuses_bad_bodies_with_clear_messages(
    bpjs: BpjsClient, change: dict[str, Any], words: str
) -> None:
    reply = bpjs.post(f"{ANTREAN}/antrean/add", {**_add_body(), **change})
    assert reply.status == 200
    assert reply.body["metadata"]["code"] in (201, 400)
    assert words in reply.body["metadata"]["message"]


def _update(bpjs: BpjsClient, kodebooking: str, taskid: int, waktu: int) -> Reply:
    body = {"kodebooking": kodebooking, "taskid": taskid, "waktu": waktu}
    return bpjs.post(f"{ANTREAN}/antrean/updatewaktu", body)


def _listed(bpjs: BpjsClient, kodebooking: str) -> list[int]:
    reply = bpjs.post(f"{ANTREAN}/antrean/getlisttask", {"kodebooking": kodebooking})
    tasks = reply.payload()
    for task in tasks:
        assert set(task) == {"wakturs", "waktu", "taskname", "taskid", "kodebooking"}
        assert task["waktu"].endswith(" WIB")
    return [t["taskid"] for t in tasks]


def test_new_patient_goes_1_to_7_in_order_with_increasing_times(bpjs: BpjsClient) -> None:
    body = _add_body(pasienbaru=1)
    code = body["kodebooking"]
    _ok(bpjs.post(f"{ANTREAN}/antrean/add", body))
    t0 = 1761530400000
    _refused(_update(bpjs, code, 3, t0), "expected 1")
    for taskid in range(1, 6):
        _ok(_update(bpjs, code, taskid, t0 + taskid * 60_000))
    _ok(_update(bpjs, code, 5, t0 + 5 * 60_000))  # the same update again: accepted, no change
    _refused(_update(bpjs, code, 5, t0 + 9 * 60_000), "already recorded")
    _refused(_update(bpjs, code, 7, t0 + 7 * 60_000), "expected 6")
    _refused(_update(bpjs, code, 6, t0 + 5 * 60_000), "strictly increase")
    _ok(_update(bpjs, code, 6, t0 + 6 * 60_000))
    _ok(_update(bpjs, code, 7, t0 + 7 * 60_000))
    assert _listed(bpjs, code) == [1, 2, 3, 4, 5, 6, 7]
    _refused(_update(bpjs, code, 8, t0 + 9 * 60_000), "invalid taskid")


def test_returning_patient_starts_at_3_and_cancel_ends_it(bpjs: BpjsClient) -> None:
    body = _add_body(pasienbaru=0)
    code = body["kodebooking"]
    _ok(bpjs.post(f"{ANTREAN}/antrean/add", body))
    t0 = 1761530400000
    _refused(_update(bpjs, code, 1, t0), "expected 3")
    _ok(_update(bpjs, code, 3, t0))
    _ok(_update(bpjs, code, 99, t0 + 60_000))
    _refused(_update(bpjs, code, 4, t0 + 120_000), "cancelled")
    assert _listed(bpjs, code) == [3, 99]
    _refused(_update(bpjs, "NO-SUCH-BOOKING", 3, t0), "not found")


def test_batal_cancels_once_and_not_after_service(bpjs: BpjsClient) -> None:
    body = _add_body()
    code = body["kodebooking"]
    _ok(bpjs.post(f"{ANTREAN}/antrean/add", body))
    batal = {"kodebooking": code, "keterangan": "pasien berhalangan"}
    _ok(bpjs.post(f"{ANTREAN}/antrean/batal", batal))
    _refused(bpjs.post(f"{ANTREAN}/antrean/batal", batal), "already cancelled")
    _refused(_update(bpjs, code, 3, 1761530400000), "cancelled")
    assert [b["status"] for b in bpjs.ledger()["antrean"] if b["kodebooking"] == code] == [
        "cancelled"
    ]

    served = _add_body()
    _ok(bpjs.post(f"{ANTREAN}/antrean/add", served))
    _ok(_update(bpjs, served["kodebooking"], 3, 1761530400000))
    _ok(_update(bpjs, served["kodebooking"], 4, 1761530460000))
    _refused(
        bpjs.post(f"{ANTREAN}/antrean/batal", {"kodebooking": served["kodebooking"]}),
        "already been served",
    )


@pytest.mark.parametrize(
    "path", ["antrean/add", "antrean/updatewaktu", "antrean/batal", "antrean/getlisttask"]
)
def test_malformed_bodies_get_the_antrean_envelope(bpjs: BpjsClient, path: str) -> None:
    response = bpjs.http.post(f"{ANTREAN}/{path}", content=b"{oops", headers=signed_headers())
    assert response.status_code == 200
    meta = response.json()["metadata"]
    assert meta["code"] == 400
    assert "not valid JSON" in meta["message"]
