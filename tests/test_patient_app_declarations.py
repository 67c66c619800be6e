"""Patient-app e-HAC style health declarations: receipt, idempotent by key and natural key."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from mock_services.common.dataset import Patient
from tests.patient_app_support import API, active_patients, authed, ledger, running_patient_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with running_patient_app(tmp_path_factory.mktemp("patient-app-ehac")) as (_, client):
        yield client


def form(patient: Patient, **change: Any) -> dict[str, Any]:
    return {
        "nik": patient.nik,
        "nama": patient.nama,
        "nomorPenerbangan": "GA 410",
        "tanggalPerjalanan": "2030-12-19",
        "bandaraAsal": "DPS",
        "bandaraTujuan": "CGK",
        "suhuTubuh": 36.6,
        "gejala": [],
        **change,
    }


def submit(
    app: httpx.Client, headers: dict[str, str], body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return app.post(f"{API}/health-declarations", json=body, headers={**headers, **extra})


def test_submission_returns_a_receipt_that_can_be_read_back(app: httpx.Client) -> None:
    patient = active_patients()[0]
    headers = authed(app, patient)
    response = submit(app, headers, form(patient))
    assert response.status_code == 201
    receipt = response.json()["data"]
    assert receipt["status"] == "DITERIMA"
    assert receipt["nomorResi"].startswith("EHAC")
    assert receipt["nomorPenerbangan"] == "GA410"  # normalised
    assert receipt["nik"] == patient.nik
    read = app.get(f"{API}/health-declarations/{receipt['nomorResi']}", headers=headers)
    assert read.json()["data"] == receipt


def test_resubmitting_the_same_trip_returns_the_first_receipt(app: httpx.Client) -> None:
    patient = active_patients()[1]
    headers = authed(app, patient)
    first = submit(app, headers, form(patient), str(uuid.uuid4()))
    # Another key, other spelling of the flight, changed symptoms: the same trip all the same.
    second = submit(app, headers, form(patient, nomorPenerbangan="ga410", gejala=["batuk"]))
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["data"]["nomorResi"] == first.json()["data"]["nomorResi"]
    records = [d for d in ledger(app)["declarations"] if d["naturalKey"]["nik"] == patient.nik]
    assert len(records) == 1
    assert records[0]["replays"] == 1


def test_idempotency_key_replays_and_rejects_another_body(app: httpx.Client) -> None:
    patient = active_patients()[2]
    headers = authed(app, patient)
    key = str(uuid.uuid4())
    first = submit(app, headers, form(patient), key)
    replay = submit(app, headers, form(patient), key)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    other = submit(app, headers, form(patient, nomorPenerbangan="QZ7510"), key)
    assert other.status_code == 422
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_concurrent_submissions_of_one_form_make_one_card(app: httpx.Client) -> None:
    patient = active_patients()[3]
    headers = authed(app, patient)
    body = form(patient, tanggalPerjalanan="2031-01-02")

    def attempt(index: int) -> httpx.Response:
        with httpx.Client(base_url=str(app.base_url), timeout=30) as own:
            return submit(own, headers, body, f"key-{index % 2}")

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(attempt, range(12)))
    assert {r.status_code for r in responses} <= {200, 201}
    assert (
        sum(r.status_code == 201 and "Idempotent-Replayed" not in r.headers for r in responses) == 1
    )
    assert len({r.json()["data"]["nomorResi"] for r in responses}) == 1
    book = ledger(app)
    mine = [d for d in book["declarations"] if d["naturalKey"]["tanggalPerjalanan"] == "2031-01-02"]
    assert len(mine) == 1
    assert book["duplicates"]["declarations"] == []


def test_a_family_member_declared_from_one_account_is_its_own_card(app: httpx.Client) -> None:
    account, relative = active_patients()[4], active_patients()[5]
    headers = authed(app, account)
    mine = submit(app, headers, form(account))
    theirs = submit(app, headers, form(relative))
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["data"]["nomorResi"] != theirs.json()["data"]["nomorResi"]
    entry = next(
        d
        for d in ledger(app)["declarations"]
        if d["nomorResi"] == theirs.json()["data"]["nomorResi"]
    )
    assert entry["accountNik"] == account.nik
    assert entry["naturalKey"]["nik"] == relative.nik


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"nomorPenerbangan": "garuda"}, "flight number"),
        ({"nik": "12345"}, "nik"),
        ({"bandaraAsal": "D1S"}, "IATA"),
        ({"suhuTubuh": 80}, "suhuTubuh"),
        ({"tanggalPerjalanan": "besok"}, "tanggalPerjalanan"),
    ],
)
def test_bad_forms_get_clear_400s(app: httpx.Client, change: dict[str, Any], fragment: str) -> None:
    patient = active_patients()[6]
    response = submit(app, authed(app, patient), form(patient, **change))
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert fragment in response.json()["message"]


def test_unknown_receipt_is_not_found(app: httpx.Client) -> None:
    response = app.get(
        f"{API}/health-declarations/EHAC000", headers=authed(app, active_patients()[7])
    )
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
