"""The fault catalogue as the console's inject form needs it: kinds by layer, each field with
its type, default, bounds, choices and description, from the catalogue's own models.

    {"layers": {"network": ["latency", ...], ...},
     "kinds": {"latency": {"layer": "network", "only": null, "fields": [
        {"name": "latency", "type": "integer", "required": true, "minimum": 0, ...}, ...]}}}

What the form sends back is `key=value` words, read by harness.stack.words.parse_fault as
`harness inject` reads them, so the console and the CLI give the same messages.
"""

from __future__ import annotations

from typing import Any

from harness.faults import INSTANTANEOUS_KINDS, SERVICE_ONLY_KINDS
from harness.stack.words import FAULT_MODELS, KINDS_BY_LAYER


def _field(name: str, spec: dict[str, Any], defs: dict[str, Any], required: bool) -> dict[str, Any]:
    if "$ref" in spec:
        own = {k: v for k, v in spec.items() if k != "$ref"}
        spec = {**defs[spec["$ref"].rsplit("/", 1)[-1]], **own}
    kind = spec.get("type", "string")
    choices = spec.get("enum")
    if "anyOf" in spec:  # a list of methods, or absent
        items = next((s for s in spec["anyOf"] if s.get("type") == "array"), None)
        if items is not None:
            kind = "list"
            ref = items.get("items", {}).get("$ref")
            choices = defs[ref.rsplit("/", 1)[-1]].get("enum") if ref else None
        else:
            kind = next((s.get("type") for s in spec["anyOf"] if s.get("type") != "null"), "string")
    return {
        "name": name,
        "type": kind,
        "required": required,
        "default": spec.get("default"),
        "minimum": spec.get("minimum"),
        "maximum": spec.get("maximum"),
        "exclusive_maximum": spec.get("exclusiveMaximum"),
        "choices": choices,
        "description": spec.get("description", ""),
    }


def catalogue() -> dict[str, Any]:
    kinds: dict[str, Any] = {}
    for layer, names in KINDS_BY_LAYER.items():
        for kind in names:
            schema = FAULT_MODELS[kind].model_json_schema()
            defs = schema.get("$defs", {})
            required = set(schema.get("required", ()))
            fields = [
                _field(name, spec, defs, name in required)
                for name, spec in schema.get("properties", {}).items()
                if name != "kind"
            ]
            kinds[kind] = {
                "layer": layer,
                "only": SERVICE_ONLY_KINDS.get(kind),
                "instantaneous": kind in INSTANTANEOUS_KINDS,
                "client": layer == "process",
                "fields": fields,
            }
    layers = {layer: list(names) for layer, names in KINDS_BY_LAYER.items()}
    return {"layers": layers, "kinds": kinds}


__all__ = ["catalogue"]
