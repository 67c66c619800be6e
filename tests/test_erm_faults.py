"""Each application fault's effect on the ERM, as an HTTP client sees it.

The app runs in this process (tests.erm_inprocess), except for the truncated bodies: a short body
under a full Content-Length is an error only where a server closes the connection, so those two
tests keep the real process and its socket (`real_erm`).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import StartMock
from tests.erm_inprocess import InProcessERM, erm_in_process
from tests.erm_support import (
    ERM,
    FHIR,
    FHIR_JSON,
    NIK_SYSTEM,
    VISITS,
    assert_fhir_r4,
    assert_operation_outcome,
    patient,
    register,
    start_erm,
    visit_body,
)

pytestmark = pytest.mark.integration

PATIENT_ROUTE = "/fhir-r4/v1/Patient*"


@pytest.fixture
def erm() -> Iterator[InProcessERM]:
    with erm_in_process() as running:
        yield running


@pytest.fixture
def client(erm: InProcessERM) -> Iterator[httpx.Client]:
    with erm.client() as c:
        yield c


@pytest.fixture
def real_erm(start_mock: StartMock) -> ERM:
    return start_erm(start_mock)


@pytest.fixture
def real_client(real_erm: ERM) -> Iterator[httpx.Client]:
    with real_erm.client() as c:
        yield c


def add_fault(
    erm: ERM | InProcessERM, kind: str, *, route: str = PATIENT_ROUTE, **spec: Any
) -> str:
    response = erm.request("POST", "/__admin/faults", json={"kind": kind, "route": route, **spec})
    assert response.status_code == 201, response.text
    fault_id: str = response.json()["id"]
    return fault_id


def fired(erm: ERM | InProcessERM, fault_id: str) -> int:
    stats = erm.request("GET", "/__admin/stats").json()
    return int(next(f["fired"] for f in stats["faults"] if f["id"] == fault_id))


def read_patient(client: httpx.Client) -> httpx.Response:
    return client.get(f"{FHIR}/Patient/{patient().ihs_number}")


@pytest.mark.unit
def test_http_error_is_a_gateway_html_page(erm: InProcessERM, client: httpx.Client) -> None:
    fault = add_fault(erm, "http_error", params={"status": 502})
    response = read_patient(client)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "Bad Gateway" in response.text
    assert fired(erm, fault) == 1
    # Other routes are untouched, and removing the fault restores service.
    assert client.get(VISITS, params={"tanggal": "2025-10-27"}).status_code == 200
    assert erm.http.delete(f"/__admin/faults/{fault}").status_code == 200
    assert read_patient(client).status_code == 200


@pytest.mark.unit
def test_maintenance_is_503_with_retry_after_and_html(
    erm: InProcessERM, client: httpx.Client
) -> None:
    add_fault(erm, "maintenance", route="*", params={"retry_after": 120})
    for response in (read_patient(client), register(client, visit_body(patient(0)))):
        assert response.status_code == 503
        assert response.headers["retry-after"] == "120"
        assert response.headers["content-type"].startswith("text/html")
        assert "maintenance" in response.text
    # A request answered by the gateway never reached the ERM: nothing was registered.
    assert erm.http.get("/__admin/ledger").json()["counts"]["visits"] == 0
    assert erm.http.get("/__admin/health").status_code == 200  # admin is never faulted


@pytest.mark.unit
def test_service_error_is_an_operation_outcome(erm: InProcessERM, client: httpx.Client) -> None:
    add_fault(erm, "service_error", params={"code": "E042", "message": "Sistem sedang sibuk"})
    body = assert_operation_outcome(read_patient(client), status=500, code="exception")
    assert body["issue"][0]["details"]["text"] == "Sistem sedang sibuk"
    assert body["issue"][0]["diagnostics"] == "error code E042"
    erm.http.delete("/__admin/faults")
    add_fault(
        erm,
        "service_error",
        params={"code": "invalid-access-token", "message": "Invalid Access Token.", "status": 401},
    )
    assert_operation_outcome(
        read_patient(client), status=401, code="invalid-access-token", text="Invalid Access Token."
    )


@pytest.mark.unit
def test_delay_holds_the_response(erm: InProcessERM, client: httpx.Client) -> None:
    fault = add_fault(erm, "delay", params={"ms": 400})
    started = time.monotonic()
    response = read_patient(client)
    # A lower bound only: the fault can make the answer slower, never faster.
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200
    assert_fhir_r4(response.json())
    assert fired(erm, fault) == 1


@pytest.mark.unit
def test_malformed_json(erm: InProcessERM, client: httpx.Client) -> None:
    add_fault(erm, "malformed_json")
    response = read_patient(client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(FHIR_JSON)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_truncated_body_breaks_the_read(real_erm: ERM, real_client: httpx.Client) -> None:
    erm, client = real_erm, real_client
    full = len(read_patient(client).content)
    add_fault(erm, "truncated_body", params={"keep": 0.5})
    with pytest.raises(httpx.RemoteProtocolError):
        read_patient(client)
    httpx.delete(f"{erm.url}/__admin/faults")
    add_fault(erm, "truncated_body", params={"keep": 0.5, "declare_full_length": False})
    response = read_patient(client)
    assert response.status_code == 200
    assert len(response.content) == full // 2
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_truncated_registration_is_safe_to_retry_with_the_same_key(
    real_erm: ERM, real_client: httpx.Client
) -> None:
    erm, client = real_erm, real_client
    fault = add_fault(erm, "truncated_body", route=VISITS, methods=["POST"])
    with pytest.raises(httpx.RemoteProtocolError):
        register(client, visit_body(patient(0)), key="outbox-9")
    httpx.delete(f"{erm.url}/__admin/faults/{fault}")
    retry = register(client, visit_body(patient(0)), key="outbox-9")
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    ledger = httpx.get(f"{erm.url}/__admin/ledger").json()
    assert ledger["counts"]["visits"] == 1
    assert ledger["counts"]["duplicate_visits"] == 0


@pytest.mark.unit
def test_wrong_content_type(erm: InProcessERM, client: httpx.Client) -> None:
    add_fault(erm, "wrong_content_type", params={"content_type": "text/plain"})
    response = read_patient(client)
    assert response.headers["content-type"] == "text/plain"
    assert response.json()["resourceType"] == "Patient"  # the body itself is intact


@pytest.mark.unit
@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"mode": "rename", "field": "total", "to": "jumlah"}, lambda b: "jumlah" in b),
        ({"mode": "missing", "field": "total"}, lambda b: "total" not in b),
        ({"mode": "null", "field": "total"}, lambda b: b["total"] is None),
        ({"mode": "wrong_type", "field": "total"}, lambda b: b["total"] == "1"),
    ],
)
def test_schema_drift_on_patient_search(
    erm: InProcessERM, client: httpx.Client, params: dict[str, str], check: Any
) -> None:
    add_fault(erm, "schema_drift", params=params)
    response = client.get(f"{FHIR}/Patient", params={"identifier": f"{NIK_SYSTEM}|{patient().nik}"})
    assert response.status_code == 200
    body = response.json()
    assert check(body)
    assert body["entry"][0]["resource"]["id"] == patient().ihs_number


@pytest.mark.unit
def test_schema_drift_reaches_cached_patient_reads(erm: InProcessERM, client: httpx.Client) -> None:
    add_fault(erm, "schema_drift", params={"mode": "rename", "field": "identifier", "to": "ids"})
    body = read_patient(client).json()
    assert "identifier" not in body
    assert len(body["ids"]) == 2


@pytest.mark.unit
def test_stale_data_on_a_fhir_resource(erm: InProcessERM, client: httpx.Client) -> None:
    fresh = read_patient(client).json()
    add_fault(erm, "stale_data", params={"days": 30})
    stale = read_patient(client).json()
    shift = dt.timedelta(days=30)
    assert (
        dt.date.fromisoformat(stale["birthDate"])
        == dt.date.fromisoformat(fresh["birthDate"]) - shift
    )
    assert (
        stale["meta"]["lastUpdated"][:10]
        == (dt.date.fromisoformat(fresh["meta"]["lastUpdated"][:10]) - shift).isoformat()
    )
    assert_fhir_r4(stale)  # still a valid resource, just old


@pytest.mark.unit
def test_request_counts_per_route(erm: InProcessERM, client: httpx.Client) -> None:
    erm.http.post("/__admin/stats/reset")
    for _ in range(3):
        read_patient(client)
    register(client, visit_body(patient(0)))
    counts = erm.http.get("/__admin/stats").json()["requests"]
    assert counts["GET /fhir-r4/v1/Patient/{patient_id}"] == 3
    assert counts["POST /api/v1/visits"] == 1
