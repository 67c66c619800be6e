"""The shared application-fault layer (mock_services/common/faults.py), observed by a real httpx
client against a real patient-app process: every fault kind, route and method filters, the admin
API, stats, and probabilities within a statistical bound."""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.patient_app_support import API, active_patients, authed, running_patient_app, slot

pytestmark = pytest.mark.integration

FACILITY = f"{API}/facility"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with running_patient_app(tmp_path_factory.mktemp("faults")) as (_, client):
        yield client


@pytest.fixture
def app(server: httpx.Client) -> Iterator[httpx.Client]:
    """The shared server with no faults before and after each test."""
    server.delete("/__admin/faults").raise_for_status()
    yield server
    server.delete("/__admin/faults").raise_for_status()


def add_fault(app: httpx.Client, kind: str, **spec: Any) -> dict[str, Any]:
    response = app.post("/__admin/faults", json={"kind": kind, **spec})
    assert response.status_code == 201, response.text
    fault: dict[str, Any] = response.json()
    return fault


def fired(app: httpx.Client, fault_id: str) -> int:
    stats = app.get("/__admin/stats").json()
    return int(next(f["fired"] for f in stats["faults"] if f["id"] == fault_id))


def parses_as_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


# --- faults that answer instead of the app -----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "title"),
    [(500, "Runtime Error"), (502, "502 Bad Gateway"), (503, "503 Service"), (504, "504 Gateway")],
)
def test_http_error_answers_with_a_gateway_html_page(
    app: httpx.Client, status: int, title: str
) -> None:
    fault = add_fault(app, "http_error", route=FACILITY, params={"status": status})
    response = app.get(FACILITY)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert title in response.text
    assert not parses_as_json(response.content)
    assert fired(app, fault["id"]) == 1


def test_maintenance_is_503_with_retry_after_and_an_html_page(app: httpx.Client) -> None:
    message = "Pemeliharaan sistem terjadwal"
    add_fault(app, "maintenance", params={"retry_after": 120, "message": message})
    response = app.get(FACILITY)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "120"
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text
    assert "Retry after 120 seconds" in response.text


def test_service_error_uses_the_apps_own_envelope(app: httpx.Client) -> None:
    add_fault(app, "service_error", route=FACILITY)
    default = app.get(FACILITY)
    assert default.status_code == 500
    assert default.headers["content-type"] == "application/json"
    assert default.json() == {
        "success": False,
        "code": "INTERNAL_ERROR",
        "message": "Terjadi kesalahan pada server",
        "data": None,
    }
    app.delete("/__admin/faults")
    add_fault(
        app,
        "service_error",
        route=FACILITY,
        params={"code": "SERVER_BUSY", "message": "Gagal memuat data", "status": 200},
    )
    busy = app.get(FACILITY)
    assert busy.status_code == 200
    assert busy.json() == {
        "success": False,
        "code": "SERVER_BUSY",
        "message": "Gagal memuat data",
        "data": None,
    }


def test_service_error_with_an_http_like_code_takes_its_status(app: httpx.Client) -> None:
    add_fault(app, "service_error", params={"code": "503", "message": "sedang sibuk"})
    response = app.get(FACILITY)
    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"


def test_delay_holds_the_response_at_least_that_long(app: httpx.Client) -> None:
    add_fault(app, "delay", route=FACILITY, params={"ms": 400})
    started = time.monotonic()
    response = app.get(FACILITY)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert elapsed >= 0.4


def test_delay_after_commits_first_and_holds_back_only_the_answer(app: httpx.Client) -> None:
    """The slow but successful case: the client gives up, yet the booking was made."""
    patient = active_patients()[23]
    headers = authed(app, patient)
    where = slot(9)
    add_fault(
        app,
        "delay",
        route=f"{API}/bookings",
        methods=["POST"],
        params={"ms": 3000, "when": "after"},
    )
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        app.post(f"{API}/bookings", json=where.body(), headers=headers, timeout=0.5)
    mine = [
        b
        for b in app.get("/__admin/ledger").json()["bookings"]
        if b["naturalKey"]["nik"] == patient.nik
    ]
    assert len(mine) == 1  # committed before the client timed out
    assert time.monotonic() - started < 3.0  # and seen in the ledger while the answer waits
    # `before` (the default) holds the request itself: nothing happens until the delay is over
    app.delete("/__admin/faults").raise_for_status()
    add_fault(app, "delay", route=f"{API}/bookings", methods=["POST"], params={"ms": 3000})
    other = active_patients()[24]
    with pytest.raises(httpx.ReadTimeout):
        app.post(f"{API}/bookings", json=where.body(), headers=authed(app, other), timeout=0.5)
    assert not [
        b
        for b in app.get("/__admin/ledger").json()["bookings"]
        if b["naturalKey"]["nik"] == other.nik
    ]


# --- faults on the response bytes --------------------------------------------------------------


def test_malformed_json_does_not_parse(app: httpx.Client) -> None:
    add_fault(app, "malformed_json", route=FACILITY)
    response = app.get(FACILITY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()


def _pdf_url(app: httpx.Client, headers: dict[str, str]) -> tuple[str, int]:
    item = app.get(f"{API}/lab-results", headers=headers).json()["data"][0]
    return str(item["berkasUrl"]), int(item["ukuranBerkas"])


def test_truncated_body_with_full_length_declared_is_an_incomplete_read(app: httpx.Client) -> None:
    headers = authed(app, active_patients()[0])
    url, size = _pdf_url(app, headers)
    add_fault(app, "truncated_body", route="*/pdf", params={"keep": 0.25})
    received = bytearray()
    with (
        httpx.Client(base_url=str(app.base_url), timeout=15) as fresh,
        fresh.stream("GET", url, headers=headers) as response,
    ):
        declared = int(response.headers["content-length"])

        def read_all() -> None:
            for chunk in response.iter_bytes():
                received.extend(chunk)

        with pytest.raises(httpx.RemoteProtocolError):
            read_all()
    assert declared == size
    assert len(received) < size


def test_truncated_body_without_full_length_is_a_short_unparseable_body(
    app: httpx.Client,
) -> None:
    full = app.get(FACILITY).content
    add_fault(
        app, "truncated_body", route=FACILITY, params={"keep": 0.5, "declare_full_length": False}
    )
    response = app.get(FACILITY)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content) == len(full) // 2
    assert full.startswith(response.content)
    assert not parses_as_json(response.content)


def test_wrong_content_type_keeps_the_body(app: httpx.Client) -> None:
    add_fault(app, "wrong_content_type", route=FACILITY, params={"content_type": "text/plain"})
    response = app.get(FACILITY)
    assert response.headers["content-type"] == "text/plain"
    assert response.json()["success"] is True


# --- faults on the payload ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "check"),
    [
        (
            {"mode": "rename", "field": "nama", "to": "namaFaskes"},
            lambda d: "nama" not in d and isinstance(d["namaFaskes"], str),
        ),
        ({"mode": "rename", "field": "nama"}, lambda d: "nama" not in d and "nama_v2" in d),
        ({"mode": "missing", "field": "nama"}, lambda d: "nama" not in d and "kode" in d),
        ({"mode": "null", "field": "nama"}, lambda d: d["nama"] is None),
        ({"mode": "wrong_type", "field": "nama"}, lambda d: isinstance(d["nama"], list)),
        ({"mode": "wrong_type", "field": "telepon"}, lambda d: isinstance(d["telepon"], int)),
    ],
)
def test_schema_drift_changes_the_named_field(
    app: httpx.Client, params: dict[str, str], check: Any
) -> None:
    before = app.get(FACILITY).json()["data"]
    add_fault(app, "schema_drift", route=FACILITY, params=params)
    data = app.get(FACILITY).json()["data"]
    assert check(data)
    untouched = {k: v for k, v in before.items() if k not in (params["field"], "polyclinics")}
    assert {k: data[k] for k in untouched} == untouched


def test_stale_data_shifts_dates_back(app: httpx.Client) -> None:
    headers = authed(app, active_patients()[1])
    where = slot(0)
    query = {"kodepoli": where.schedule.kodepoli, "tanggal": where.day.isoformat()}
    add_fault(app, "stale_data", route=f"{API}/schedules", params={"days": 30})
    items = app.get(f"{API}/schedules", params=query, headers=headers).json()["data"]
    assert items
    assert {item["tanggal"] for item in items} == {(where.day - dt.timedelta(days=30)).isoformat()}


def test_stale_certificate_no_longer_matches_its_signature(app: httpx.Client) -> None:
    """Stale dates under the original signature: a client that verifies what it stores sees it."""
    headers = authed(app, active_patients()[2])
    clean = app.get(f"{API}/certificates/vaccination", headers=headers).json()["data"]
    add_fault(app, "stale_data", route=f"{API}/certificates/*", params={"days": 1})
    stale = app.get(f"{API}/certificates/vaccination", headers=headers).json()["data"]
    assert stale["signature"] == clean["signature"]
    assert stale["certificate"]["diterbitkan"] != clean["certificate"]["diterbitkan"]


# --- targeting -----------------------------------------------------------------------------------


def test_route_glob_limits_the_fault(app: httpx.Client) -> None:
    headers = authed(app, active_patients()[3])
    url, _ = _pdf_url(app, headers)
    add_fault(app, "http_error", route=f"{API}/lab-results/*/pdf", params={"status": 502})
    assert app.get(url, headers=headers).status_code == 502
    assert app.get(f"{API}/lab-results", headers=headers).status_code == 200
    assert app.get(FACILITY).status_code == 200


def test_method_filter_limits_the_fault(app: httpx.Client) -> None:
    patient = active_patients()[4]
    add_fault(app, "http_error", methods=["POST"], params={"status": 503})
    assert app.get(FACILITY).status_code == 200
    login = app.post(
        f"{API}/auth/login", json={"username": patient.username, "password": patient.password}
    )
    assert login.status_code == 503


def test_lower_case_methods_are_matched(app: httpx.Client) -> None:
    fault = add_fault(app, "http_error", route=FACILITY, methods=["get"])
    assert fault["methods"] == ["GET"]
    assert app.get(FACILITY).status_code == 500


def test_several_faults_combine(app: httpx.Client) -> None:
    add_fault(app, "delay", route=FACILITY, params={"ms": 50})
    add_fault(app, "wrong_content_type", route=FACILITY)
    add_fault(app, "schema_drift", route=FACILITY, params={"mode": "null", "field": "kode"})
    response = app.get(FACILITY)
    assert response.headers["content-type"].startswith("text/html")
    assert response.json()["data"]["kode"] is None


# --- the admin API -----------------------------------------------------------------------------


def test_admin_add_list_delete_and_clear(app: httpx.Client) -> None:
    spec = {
        "kind": "http_error",
        "route": FACILITY,
        "methods": ["GET"],
        "probability": 1.0,
        "params": {"status": 504},
    }
    created = app.post("/__admin/faults", json=spec)
    assert created.status_code == 201
    fault = created.json()
    assert fault["id"]
    assert {k: fault[k] for k in spec} == spec
    second = add_fault(app, "delay", params={"ms": 1})
    listed = app.get("/__admin/faults").json()["faults"]
    assert [f["id"] for f in listed] == [fault["id"], second["id"]]

    assert app.get(FACILITY).status_code == 504
    removed = app.delete(f"/__admin/faults/{fault['id']}")
    assert removed.status_code == 200
    assert app.get(FACILITY).status_code == 200
    assert [f["id"] for f in app.get("/__admin/faults").json()["faults"]] == [second["id"]]
    missing = app.delete(f"/__admin/faults/{fault['id']}")
    assert missing.status_code == 404
    assert "no active fault" in missing.json()["error"]
    assert app.delete("/__admin/faults/f999999").status_code == 404

    add_fault(app, "delay", params={"ms": 1})
    assert app.delete("/__admin/faults").json() == {"cleared": 2}
    assert app.get("/__admin/faults").json() == {"faults": []}
    assert app.delete("/__admin/faults").json() == {"cleared": 0}


@pytest.mark.parametrize(
    ("spec", "fragments"),
    [
        ({"kind": "explode"}, ["kind", "http_error"]),
        ({"kind": "http_error", "params": {"status": 418}}, ["http_error", "status", "500"]),
        ({"kind": "delay", "params": {"seconds": 1}}, ["delay", "seconds"]),
        ({"kind": "schema_drift", "params": {"mode": "rename"}}, ["schema_drift", "field"]),
        ({"kind": "delay", "probability": 1.5}, ["probability"]),
        ({"kind": "delay", "route": "/__admin/*"}, ["admin API"]),
        ({"kind": "delay", "colour": "red"}, ["colour"]),
        ({"route": "*"}, ["kind"]),
    ],
)
def test_admin_rejects_bad_faults_with_a_clear_json_message(
    app: httpx.Client, spec: dict[str, Any], fragments: list[str]
) -> None:
    response = app.post("/__admin/faults", json=spec)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    message = response.json()["error"]  # valid JSON whatever quotes the message holds
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    assert app.get("/__admin/faults").json() == {"faults": []}


def test_admin_rejects_a_non_json_body(app: httpx.Client) -> None:
    response = app.post(
        "/__admin/faults", content=b"kind=delay", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_admin_routes_are_never_faulted(app: httpx.Client) -> None:
    add_fault(app, "http_error", params={"status": 500})
    add_fault(app, "malformed_json")
    add_fault(app, "delay", params={"ms": 2000})
    started = time.monotonic()
    assert app.get("/__admin/health").json()["status"] == "ok"
    assert len(app.get("/__admin/faults").json()["faults"]) == 3
    assert app.get("/__admin/stats").status_code == 200
    assert "bookings" in app.get("/__admin/ledger").json()
    assert time.monotonic() - started < 2.0 * 4  # none of the four waited out the delay
    assert app.get(FACILITY).status_code == 500


# --- stats and probability ---------------------------------------------------------------------


def test_stats_count_requests_per_route_template_and_fired_faults(app: httpx.Client) -> None:
    app.post("/__admin/stats/reset").raise_for_status()
    headers = authed(app, active_patients()[5])
    for code in ("A1", "B2", "C3"):
        assert app.get(f"{API}/bookings/{code}", headers=headers).status_code == 404
    fault = add_fault(app, "http_error", route=f"{API}/bookings/*", params={"status": 502})
    for code in ("D4", "E5"):
        assert app.get(f"{API}/bookings/{code}", headers=headers).status_code == 502
    app.get(FACILITY)
    stats = app.get("/__admin/stats").json()
    # Faulted requests never reach the router, yet they count under the same template.
    assert stats["requests"]["GET /api/v1/bookings/{kodebooking}"] == 5
    assert stats["requests"]["GET /api/v1/facility"] == 1
    assert stats["requests"]["POST /api/v1/auth/login"] == 1
    assert not any(key.startswith("GET /__admin") for key in stats["requests"])
    entry = next(f for f in stats["faults"] if f["id"] == fault["id"])
    assert entry == {
        "id": fault["id"],
        "kind": "http_error",
        "route": f"{API}/bookings/*",
        "fired": 2,
        "active": True,
    }
    app.delete(f"/__admin/faults/{fault['id']}")
    after = app.get("/__admin/stats").json()
    assert next(f for f in after["faults"] if f["id"] == fault["id"])["active"] is False


def test_probability_is_honoured_within_a_binomial_bound(app: httpx.Client) -> None:
    n, p = 400, 0.3
    fault = add_fault(app, "http_error", route=FACILITY, probability=p, params={"status": 503})
    failures = sum(app.get(FACILITY).status_code == 503 for _ in range(n))
    # 99.9% two-sided normal bound on a Binomial(400, 0.3): 120 +- 3.29 * 9.17 = 120 +- 30.
    margin = 3.29 * math.sqrt(n * p * (1 - p))
    assert n * p - margin <= failures <= n * p + margin
    assert fired(app, fault["id"]) == failures


def test_probability_zero_never_fires(app: httpx.Client) -> None:
    fault = add_fault(app, "http_error", route=FACILITY, probability=0.0)
    assert all(app.get(FACILITY).status_code == 200 for _ in range(50))
    assert fired(app, fault["id"]) == 0
