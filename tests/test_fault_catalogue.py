"""The harness's fault catalogue stays in sync with the mocks and the toxiproxy layer.

The harness never imports mock_services (it drives the mocks over HTTP); these tests import both
sides to prove that what a scenario validates is exactly what the mocks and toxiproxy accept.
"""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import TypeAdapter

from harness import faults
from harness.toxiproxy.faults import TOXIC_ATTRIBUTES, Down, Toxic, ToxicType
from mock_services.common import faults as mock_faults

pytestmark = pytest.mark.unit


def _without_titles(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            k: _without_titles(v) for k, v in schema.items() if k not in ("title", "description")
        }
    if isinstance(schema, list):
        return [_without_titles(v) for v in schema]
    return schema


def test_app_fault_kinds_match_the_mocks() -> None:
    assert [k.value for k in faults.AppFaultKind] == [k.value for k in mock_faults.FaultKind]
    assert [m.value for m in faults.DriftMode] == [m.value for m in mock_faults.DriftMode]


@pytest.mark.parametrize("kind", list(mock_faults.FaultKind))
def test_app_fault_params_match_the_mocks(kind: mock_faults.FaultKind) -> None:
    ours = faults.PARAMS_BY_KIND[faults.AppFaultKind(kind.value)]
    theirs = mock_faults.PARAMS_BY_KIND[kind]
    assert _without_titles(ours.model_json_schema()) == _without_titles(theirs.model_json_schema())


@pytest.mark.parametrize("kind", list(faults.AppFaultKind))
def test_admin_requests_are_accepted_by_the_mocks_fault_spec(kind: faults.AppFaultKind) -> None:
    raw: dict[str, Any] = {"kind": kind.value, "route": "/api/*", "probability": 0.5}
    if kind is faults.AppFaultKind.SCHEMA_DRIFT:
        raw["field"] = "nama"
    fault = TypeAdapter(faults.Fault).validate_python(raw)
    request = fault.admin_request()  # type: ignore[union-attr]
    spec = mock_faults.FaultSpec.model_validate(request.model_dump(mode="json"))
    assert spec.kind.value == kind.value
    assert spec.probability == 0.5


def test_every_toxic_is_in_the_catalogue_with_the_same_attributes() -> None:
    catalogue = {
        get_args(model.model_fields["kind"].annotation)[0]: model
        for model in get_args(faults.ToxicFault)
    }
    assert set(catalogue) == {t.value for t in ToxicType}
    for toxic_type, specs in TOXIC_ATTRIBUTES.items():
        model = catalogue[toxic_type.value]
        own = {
            n: f for n, f in model.model_fields.items() if n not in ("kind", "stream", "toxicity")
        }
        assert list(own) == [spec.name for spec in specs], toxic_type
        for spec in specs:
            field = own[spec.name]
            default = None if field.is_required() else field.default
            assert default == spec.default, (toxic_type, spec.name)
            minimum = next(m.ge for m in field.metadata if hasattr(m, "ge"))
            assert minimum == spec.minimum, (toxic_type, spec.name)


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
    assert len(faults.FAULT_KINDS) == len(set(faults.FAULT_KINDS)) == 7 + 1 + 11 + 2
