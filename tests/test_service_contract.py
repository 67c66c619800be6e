"""The contract package: pure data that imports neither side, and bodies that survive the wire."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from service_contract.admin import (
    ActiveAppFault,
    AdminError,
    AppFaultRequest,
    Cleared,
    FaultList,
    FaultStats,
    Health,
    Removed,
    Stats,
    StatsReset,
)
from service_contract.faults import AppFaultKind, MaintenanceParams, ToxicType, toxic_attribute
from service_contract.ledger import (
    BookingKey,
    BpjsLedger,
    ErmCounts,
    ErmLedger,
    LedgerAntrean,
    MockLedger,
    PatientAppLedger,
    RepeatedClaim,
    VerifyAnswer,
    VisitClaim,
)
from service_contract.services import ServiceName

pytestmark = pytest.mark.unit

FORBIDDEN = ("harness", "mock_services", "fastapi", "starlette", "httpx")

IMPORT_ALL = """
import json, pkgutil, sys
import service_contract
for module in pkgutil.walk_packages(service_contract.__path__, "service_contract."):
    __import__(module.name)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.integration  # a fresh interpreter: this one has both sides loaded already
def test_the_contract_imports_neither_side() -> None:
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded = set(json.loads(out))
    assert "service_contract" in loaded
    assert loaded.isdisjoint(FORBIDDEN), sorted(loaded & set(FORBIDDEN))


DELAY = AppFaultRequest(
    kind=AppFaultKind.DELAY, route="/api/v1/*", methods=("GET",), params={"ms": 250}
)
ADMIN_BODIES: list[BaseModel] = [
    DELAY,
    ActiveAppFault(id="f1", **dict(DELAY)),
    FaultList(faults=[ActiveAppFault(id="f1", **dict(DELAY))]),
    Cleared(cleared=2),
    Removed(),
    AdminError(error="no active fault with that id"),
    Stats(
        requests={"GET /api/v1/schedules": 3},
        faults=[FaultStats(id="f1", kind=AppFaultKind.DELAY, route="*", fired=1, active=False)],
    ),
    StatsReset(),
    Health(service=ServiceName.PATIENT_APP, seed=7),
]


@pytest.mark.parametrize("body", ADMIN_BODIES, ids=lambda body: type(body).__name__)
def test_admin_bodies_round_trip_through_json(body: BaseModel) -> None:
    assert type(body).model_validate_json(body.model_dump_json()) == body


def test_an_active_fault_is_listed_as_its_request_with_its_id_first() -> None:
    listed = ActiveAppFault(id="f1", **dict(DELAY)).model_dump(mode="json")
    assert list(listed) == ["id", "kind", "route", "methods", "probability", "params"]
    assert {k: v for k, v in listed.items() if k != "id"} == DELAY.model_dump(mode="json")


def test_a_toxic_attribute_is_described_with_its_unit_then_its_special_value() -> None:
    assert toxic_attribute(ToxicType.LATENCY, "latency").description == (
        "delay added to the data (ms)"
    )
    assert toxic_attribute(ToxicType.TIMEOUT, "timeout").description == (
        "drop all data, close the connection after this long (ms); 0 holds it open until removed"
    )


def test_a_fault_request_checks_its_params_route_and_methods() -> None:
    request = AppFaultRequest.model_validate(
        {"kind": "maintenance", "methods": ["get"], "params": {"retry_after": 60}}
    )
    assert request.methods == ("GET",)
    assert request.typed_params() == MaintenanceParams(retry_after=60)
    with pytest.raises(ValidationError, match=r"params of http_error: status: "):
        AppFaultRequest.model_validate({"kind": "http_error", "params": {"status": 418}})
    with pytest.raises(ValidationError, match="the admin API, which is never faulted"):
        AppFaultRequest(kind=AppFaultKind.DELAY, route="/__admin/*")


def _patient_app_ledger() -> PatientAppLedger:
    key = BookingKey(nik="3201", tanggalperiksa="2019-03-25", kodepoli="INT")
    return PatientAppLedger.model_validate(
        {
            "counts": {
                "bookings": 1,
                "activeBookings": 1,
                "cancelledBookings": 0,
                "declarations": 0,
            },
            "bookings": [
                {
                    "kodebooking": "B1",
                    "naturalKey": dict(key),
                    "kodedokter": 1,
                    "angkaantrean": 1,
                    "status": "BOOKED",
                    "idempotencyKey": None,
                    "replays": 0,
                    "createdAt": "2019-03-25T08:00:00Z",
                    "cancelledAt": None,
                }
            ],
            "declarations": [],
            "duplicates": {"bookings": [], "declarations": []},
        }
    )


def _erm_ledger() -> ErmLedger:
    return ErmLedger.model_validate(
        {
            "service": "erm",
            "counts": dict.fromkeys(ErmCounts.model_fields, 0),
            "visits": [],
            "encounters": [],
            "duplicates": {"visits": [], "encounters": []},
        }
    )


def test_a_mock_ledger_is_told_apart_by_its_service() -> None:
    adapter: TypeAdapter[ErmLedger | PatientAppLedger] = TypeAdapter(MockLedger)
    for ledger in (_erm_ledger(), _patient_app_ledger()):
        wire = json.loads(ledger.model_dump_json())
        assert wire["service"] == ledger.service.value
        assert adapter.validate_python(wire) == ledger


def test_the_bpjs_ledger_and_the_erm_verify_answer_round_trip() -> None:
    bpjs = BpjsLedger(
        antrean=[
            LedgerAntrean(
                kodebooking="K1", status="active", request={"nomorkartu": "0001"}, tasks=[1, 2]
            )
        ],
        sep=[],
    )
    assert BpjsLedger.model_validate_json(bpjs.model_dump_json()) == bpjs
    answer = VerifyAnswer(
        ok=False,
        checked=2,
        exactly_once=0,
        missing=[VisitClaim(idempotency_key="outbox-42")],
        more_than_once=[
            RepeatedClaim(nik="3201", tanggal="2019-03-25", kodepoli="INT", ids=["v1", "v2"])
        ],
        duplicate_visit_groups=1,
    )
    wire = answer.model_dump(mode="json", exclude_none=True)  # as the ERM sends it
    assert wire["missing"] == [{"idempotency_key": "outbox-42"}]
    assert VerifyAnswer.model_validate(wire) == answer
