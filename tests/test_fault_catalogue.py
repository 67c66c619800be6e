"""The harness's fault catalogue covers every fault of the contract, and builds what the mocks and
the toxiproxy layer take."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import TypeAdapter

from harness import faults
from harness.toxiproxy.faults import Down, Toxic
from service_contract.admin import AppFaultRequest
from service_contract.faults import AppFaultKind, ToxicType

pytestmark = pytest.mark.unit


def _kinds(union: Any) -> set[str]:
    return {get_args(model.model_fields["kind"].annotation)[0] for model in get_args(union)}


def test_every_fault_of_the_contract_has_a_scenario_value() -> None:
    assert _kinds(faults.ToxicFault) == {t.value for t in ToxicType}
    assert _kinds(faults.AppFault) == {k.value for k in AppFaultKind}


@pytest.mark.parametrize("kind", list(AppFaultKind))
def test_admin_requests_are_the_bodies_the_mocks_validate(kind: AppFaultKind) -> None:
    raw: dict[str, Any] = {"kind": kind.value, "route": "/api/*", "probability": 0.5}
    if kind is AppFaultKind.SCHEMA_DRIFT:
        raw["field"] = "nama"
    fault = TypeAdapter(faults.Fault).validate_python(raw)
    request = fault.admin_request()  # type: ignore[union-attr]
    sent = AppFaultRequest.model_validate_json(request.model_dump_json())
    assert sent == request
    assert sent.kind is kind
    assert sent.probability == 0.5


def test_network_faults_build_the_toxiproxy_layers_values() -> None:
    adapter = TypeAdapter(faults.Fault)
    latency = adapter.validate_python(
        {"kind": "latency", "latency": 300, "jitter": 20, "stream": "upstream", "toxicity": 0.5}
    )
    built = latency.network_fault()  # type: ignore[union-attr]
    assert built == Toxic.build(
        "latency", {"latency": 300, "jitter": 20}, stream="upstream", toxicity=0.5
    )
    assert adapter.validate_python({"kind": "down"}).network_fault() == Down()  # type: ignore[union-attr]


def test_every_kind_is_listed_once() -> None:
    # toxics, down, app faults, process faults (kill, restart, pause)
    assert len(faults.FAULT_KINDS) == len(set(faults.FAULT_KINDS)) == 7 + 1 + 11 + 3
