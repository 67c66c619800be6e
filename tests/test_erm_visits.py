"""ERM visit registration: queue numbers, Idempotency-Key (also under concurrency), the queue, and
the ledger that proves nothing was lost or entered twice.

The app `python -m mock_services erm` serves, in this process (tests.erm_inprocess).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.erm_inprocess import InProcessERM, erm_in_process
from tests.erm_support import (
    VISITS,
    assert_operation_outcome,
    patient,
    register,
    visit_body,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def erm() -> Iterator[InProcessERM]:
    with erm_in_process() as running:
        yield running


def ledger(erm: InProcessERM) -> dict[str, object]:
    response = erm.http.get("/__admin/ledger")
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def test_registration_gives_queue_numbers_per_date_and_polyclinic(erm: InProcessERM) -> None:
    with erm.client() as client:
        first = register(client, visit_body(patient(0)))
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["nik"] == patient(0).nik
        assert body["nama"] == patient(0).nama
        assert (body["angkaantrean"], body["nomorantrean"], body["status"]) == (
            1,
            "INT-001",
            "waiting",
        )
        assert body["namapoli"] == "PENYAKIT DALAM"
        second = register(client, visit_body(patient(1))).json()
        other_poli = register(client, visit_body(patient(2), kodepoli="ANA")).json()
        other_day = register(client, visit_body(patient(3), tanggal="2025-10-28")).json()
        assert second["angkaantrean"] == 2
        assert other_poli["nomorantrean"] == "ANA-001"
        assert other_day["angkaantrean"] == 1
        assert len({first.json()["id"], second["id"], other_poli["id"], other_day["id"]}) == 4


def test_same_idempotency_key_replays_the_first_result(erm: InProcessERM) -> None:
    with erm.client() as client:
        first = register(client, visit_body(patient(0)), key="desk-1-0001")
        again = register(client, visit_body(patient(0)), key="desk-1-0001")
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert register(client, visit_body(patient(1))).json()["angkaantrean"] == 2
    book = ledger(erm)
    assert book["counts"] == {
        "visits": 2,
        "encounters": 0,
        "observations": 0,
        "replays": 1,
        "duplicate_visit_groups": 0,
        "duplicate_visits": 0,
        "duplicate_encounter_groups": 0,
        "duplicate_encounters": 0,
    }


def test_same_key_with_a_different_body_is_rejected(erm: InProcessERM) -> None:
    with erm.client() as client:
        assert register(client, visit_body(patient(0)), key="k-1").status_code == 201
        other = register(client, visit_body(patient(0), kodepoli="ANA"), key="k-1")
        assert_operation_outcome(other, status=422, code="conflict", text="Idempotency-Key")
    assert ledger(erm)["counts"]["visits"] == 1  # type: ignore[index]


def test_concurrent_identical_requests_create_exactly_one_visit(erm: InProcessERM) -> None:
    body = visit_body(patient(7))

    async def burst() -> list[httpx.Response]:
        # The app's ASGI interface, called 20 times at once on its own event loop (erm.portal),
        # the one loop every other request of this test is served on, as uvicorn serves it.
        transport = httpx.ASGITransport(app=erm.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url=erm.url, headers=erm.auth, timeout=60
        ) as client:
            return await asyncio.gather(
                *(
                    client.post(VISITS, json=body, headers={"Idempotency-Key": "outbox-7"})
                    for _ in range(20)
                )
            )

    responses = erm.portal.call(burst)
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
    book = ledger(erm)
    assert book["counts"]["visits"] == 1  # type: ignore[index]
    assert book["counts"]["replays"] == 19  # type: ignore[index]


def test_duplicates_without_a_key_show_in_the_ledger(erm: InProcessERM) -> None:
    with erm.client() as client:
        a = register(client, visit_body(patient(0))).json()
        b = register(client, visit_body(patient(0))).json()
        register(client, visit_body(patient(0), kodepoli="ANA"))
        register(client, visit_body(patient(1)))
    assert a["id"] != b["id"]
    book = ledger(erm)
    assert book["counts"]["visits"] == 4  # type: ignore[index]
    assert book["counts"]["duplicate_visit_groups"] == 1  # type: ignore[index]
    assert book["counts"]["duplicate_visits"] == 1  # type: ignore[index]
    assert book["duplicates"]["visits"] == [  # type: ignore[index]
        {
            "natural_key": {"nik": patient(0).nik, "tanggal": "2025-10-27", "kodepoli": "INT"},
            "count": 2,
            "ids": [a["id"], b["id"]],
        }
    ]
    entry = book["visits"][0]  # type: ignore[index]
    assert set(entry) >= {"id", "natural_key", "idempotency_key", "created", "angkaantrean"}


def test_ledger_filters_and_verify(erm: InProcessERM) -> None:
    with erm.client() as client:
        register(client, visit_body(patient(0)), key="a")
        register(client, visit_body(patient(1)))
    filtered = erm.http.get("/__admin/ledger", params={"idempotency_key": "a"}).json()
    assert [v["natural_key"]["nik"] for v in filtered["visits"]] == [patient(0).nik]
    claims = {
        "visits": [
            {"idempotency_key": "a"},
            visit_body(patient(1)),
            {**visit_body(patient(0)), "idempotency_key": "a"},
        ]
    }
    ok = erm.http.post("/__admin/ledger/verify", json=claims).json()
    assert ok == {
        "ok": True,
        "checked": 3,
        "exactly_once": 3,
        "missing": [],
        "more_than_once": [],
        "duplicate_visit_groups": 0,
    }
    with erm.client() as client:
        register(client, visit_body(patient(1)))  # entered twice
    lost = {"visits": [{"idempotency_key": "never-sent"}, visit_body(patient(1))]}
    report = erm.http.post("/__admin/ledger/verify", json=lost).json()
    assert report["ok"] is False
    assert report["missing"] == [{"idempotency_key": "never-sent"}]
    assert report["more_than_once"][0]["nik"] == patient(1).nik
    assert len(report["more_than_once"][0]["ids"]) == 2
    bad = erm.http.post("/__admin/ledger/verify", json={"visits": [{"nik": "1"}]})
    assert bad.status_code == 400
    assert "natural key" in bad.json()["error"]


def test_queue_listing_call_and_finish(erm: InProcessERM) -> None:
    with erm.client() as client:
        ids = [register(client, visit_body(patient(i))).json()["id"] for i in range(3)]
        register(client, visit_body(patient(4), kodepoli="ANA"))
        queue = client.get(VISITS, params={"tanggal": "2025-10-27", "kodepoli": "INT"}).json()
        assert [v["id"] for v in queue["visits"]] == ids
        assert (queue["total"], queue["sisaantrean"], queue["sedangdilayani"]) == (3, 3, None)
        assert client.get(VISITS, params={"tanggal": "2025-10-27"}).json()["total"] == 4

        called = client.post(f"{VISITS}/{ids[0]}/call")
        assert called.status_code == 200
        assert called.json()["status"] == "called"
        assert client.post(f"{VISITS}/{ids[0]}/call").json() == called.json()  # no-op
        finished = client.post(f"{VISITS}/{ids[0]}/finish").json()
        assert finished["status"] == "finished"
        assert finished["finished"]
        assert client.get(f"{VISITS}/{ids[0]}").json() == finished

        assert_operation_outcome(
            client.post(f"{VISITS}/{ids[1]}/finish"), status=422, code="business-rule"
        )
        assert_operation_outcome(
            client.post(f"{VISITS}/{ids[0]}/call"), status=422, code="business-rule"
        )
        client.post(f"{VISITS}/{ids[1]}/call")
        queue = client.get(VISITS, params={"tanggal": "2025-10-27", "kodepoli": "INT"}).json()
        assert (queue["sisaantrean"], queue["sedangdilayani"]) == (1, "INT-002")
        assert_operation_outcome(client.post(f"{VISITS}/V0/call"), status=404, code="not-found")
    book = ledger(erm)
    states = {v["id"]: v["status"] for v in book["visits"]}  # type: ignore[attr-defined]
    assert [states[i] for i in ids] == ["finished", "called", "waiting"]


def test_bad_registrations_get_clear_operation_outcomes(erm: InProcessERM) -> None:
    p = patient(0)
    with erm.client() as client:
        unknown = register(client, {**visit_body(p), "nik": "1234567890123456"}, key="x1")
        assert_operation_outcome(unknown, status=422, code="not-found", text="Unknown NIK")
        poli = register(client, visit_body(p, kodepoli="XXX"))
        assert_operation_outcome(poli, status=422, code="value", text="use one of INT")
        for body, where in (
            ({**visit_body(p), "nik": "12"}, "nik"),
            ({**visit_body(p), "tanggal": "2025-02-30"}, "tanggal"),
            ({"nik": p.nik, "tanggal": "2025-10-27"}, "kodepoli"),
        ):
            assert_operation_outcome(register(client, body), status=400, text=where)
        broken = client.post(VISITS, content=b"{", headers={"Content-Type": "application/json"})
        assert_operation_outcome(broken, status=400)
        too_long = register(client, visit_body(p), key="k" * 300)
        assert_operation_outcome(too_long, status=400, text="Idempotency-Key")
        assert_operation_outcome(
            client.get(VISITS, params={"tanggal": "today"}), status=400, text="tanggal"
        )
        # The failed keyed request stored nothing: the same key now creates the visit.
        assert register(client, visit_body(p), key="x1").status_code == 201
    assert ledger(erm)["counts"]["visits"] == 1  # type: ignore[index]
