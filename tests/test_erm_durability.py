"""ERM persistence: visits, encounters and tokens survive a kill -9 and a clean restart."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import StartMock
from tests.erm_support import (
    FHIR,
    VISITS,
    encounter_body,
    patient,
    register,
    start_erm,
    visit_body,
)

pytestmark = pytest.mark.integration


def test_data_survives_kill_9_and_restart(start_mock: StartMock, tmp_path: Path) -> None:
    db = tmp_path / "erm.sqlite3"
    erm = start_erm(start_mock, db=db)
    with erm.client() as client:
        first = register(client, visit_body(patient(0)), key="outbox-1")
        assert first.status_code == 201
        second = register(client, visit_body(patient(1))).json()
        encounter = client.post(f"{FHIR}/Encounter", json=encounter_body(patient(0))).json()
        url = f"{FHIR}/Encounter/{encounter['id']}"
        assert client.put(url, json={**encounter, "status": "in-progress"}).status_code == 200
    ledger_before = httpx.get(f"{erm.url}/__admin/ledger").json()

    erm.mock.process.kill()  # SIGKILL: no shutdown hook runs
    assert not erm.mock.process.alive()

    again = start_mock("erm", db=db)
    headers = erm.auth  # the token issued before the crash still works
    with httpx.Client(base_url=again.url, headers=headers, timeout=30) as client:
        replay = register(client, visit_body(patient(0)), key="outbox-1")
        assert replay.status_code == 201
        assert replay.json() == first.json()
        assert replay.headers["idempotent-replayed"] == "true"
        third = register(client, visit_body(patient(2))).json()
        assert third["angkaantrean"] == second["angkaantrean"] + 1  # numbering continues
        stored = client.get(url).json()
        assert stored["status"] == "in-progress"
        assert [h["status"] for h in stored["statusHistory"]] == ["arrived", "in-progress"]
        queue = client.get(VISITS, params={"tanggal": "2025-10-27"}).json()
        assert queue["total"] == 3
    ledger_after = httpx.get(f"{again.url}/__admin/ledger").json()
    before_ids = [v["id"] for v in ledger_before["visits"]]
    assert [v["id"] for v in ledger_after["visits"]][:2] == before_ids
    assert ledger_after["counts"]["encounters"] == 1
    assert ledger_after["counts"]["replays"] == 1


def test_data_survives_a_clean_restart(start_mock: StartMock, tmp_path: Path) -> None:
    db = tmp_path / "erm.sqlite3"
    erm = start_erm(start_mock, db=db)
    with erm.client() as client:
        visit = register(client, visit_body(patient(3), kodepoli="MAT")).json()
        client.post(f"{VISITS}/{visit['id']}/call")
    erm.mock.process.stop()
    again = start_mock("erm", db=db)
    with httpx.Client(base_url=again.url, headers=erm.auth, timeout=30) as client:
        now = client.get(f"{VISITS}/{visit['id']}").json()
    assert now["status"] == "called"
    assert now["nomorantrean"] == visit["nomorantrean"]


def test_without_db_nothing_is_kept(start_mock: StartMock) -> None:
    erm = start_erm(start_mock)
    with erm.client() as client:
        assert register(client, visit_body(patient(0))).status_code == 201
    erm.mock.process.kill()
    again = start_erm(start_mock)
    assert httpx.get(f"{again.url}/__admin/ledger").json()["counts"]["visits"] == 0
