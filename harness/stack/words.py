"""Faults from command-line words: `harness inject bpjs http_error status=503 probability=0.5`.

Every value arrives as text; each is read by the type of the catalogue field it fills: text
fields keep it as typed, `methods` is a comma list, and numbers and booleans are read as JSON.
Unknown faults and attributes are usage errors that list what is allowed.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping, Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, JsonValue, TypeAdapter, ValidationError

from harness.errors import UsageError
from harness.faults import AnyFault, AppFault, DownFault, Fault, ProcessFault, ToxicFault

_FAULT = TypeAdapter(Fault)


def _kind_of(model: type[BaseModel]) -> str:
    (kind,) = get_args(model.model_fields["kind"].annotation)
    return str(kind)


_MODELS: Mapping[str, type[BaseModel]] = {_kind_of(model): model for model in get_args(AnyFault)}
_BY_LAYER: Mapping[str, tuple[str, ...]] = {
    "network": (*map(_kind_of, get_args(ToxicFault)), _kind_of(DownFault)),
    "app": tuple(map(_kind_of, get_args(AppFault))),
    "process": tuple(map(_kind_of, get_args(ProcessFault))),
}


def options_of(words: Sequence[str]) -> dict[str, str]:
    """`key=value` words as a mapping; a word without `=` or a repeated key is a usage error."""
    options: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise UsageError(f"expected key=value, got {word!r} (e.g. latency=300 stream=upstream)")
        if key in options:
            raise UsageError(f"{key} is given twice ({options[key]!r} and {value!r})")
        options[key] = value
    return options


def fault_names() -> str:
    """Every fault kind by layer, for messages."""
    return "; ".join(f"{layer}: {', '.join(kinds)}" for layer, kinds in _BY_LAYER.items())


def parse_fault(kind: str, words: Sequence[str]) -> AnyFault:
    """The catalogue fault `kind` with attributes from `key=value` words, fully validated."""
    model = _model(kind)
    values: dict[str, JsonValue] = {}
    for key, raw in options_of(words).items():
        field = model.model_fields.get(key)
        values[key] = raw if field is None else _read(key, raw, field.annotation)
    return build_fault(kind, values)


def build_fault(kind: str, attributes: Mapping[str, JsonValue]) -> AnyFault:
    """The catalogue fault `kind` with typed `attributes` (as the pytest plugin's keywords give
    them), fully validated; an unknown kind or attribute is a usage error listing the allowed."""
    model = _model(kind)
    allowed = [name for name in model.model_fields if name != "kind"]
    for key in attributes:
        if key not in model.model_fields or key == "kind":
            listed = ", ".join(allowed) or "none"
            raise UsageError(f"{kind} has no attribute {key!r}; allowed: {listed}")
    values: dict[str, JsonValue] = {"kind": kind, **attributes}
    try:
        fault: AnyFault = _FAULT.validate_python(values)
    except ValidationError as exc:
        raise UsageError(_one_line(kind, exc, allowed)) from None
    if hasattr(fault, "network_fault"):
        fault.network_fault()  # the toxiproxy layer validates once more (e.g. rate >= 1)
    return fault


def _model(kind: str) -> type[BaseModel]:
    model = _MODELS.get(kind)
    if model is None:
        raise UsageError(f"unknown fault {kind!r}; choose one of: {fault_names()}")
    return model


def _read(key: str, raw: str, annotation: Any) -> JsonValue:
    if key == "methods":
        return [method.strip().upper() for method in raw.split(",") if method.strip()]
    if _accepts_text(annotation):
        return raw
    try:
        decoded: JsonValue = json.loads(raw)
    except ValueError:
        return raw  # let validation say what it should have been
    return decoded


def _accepts_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return str in get_args(annotation)
    return False


def _one_line(kind: str, exc: ValidationError, allowed: list[str]) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"][1:]) or "value"
    if first["type"] == "missing":
        return f"{kind} needs {where}=...; its attributes: {', '.join(allowed)}"
    return f"{kind} {where}={first.get('input')!r}: {first['msg']}"


FAULT_MODELS: Mapping[str, type[BaseModel]] = _MODELS
"""Each fault kind's model, for tools that describe the catalogue (the console's form)."""
KINDS_BY_LAYER: Mapping[str, tuple[str, ...]] = _BY_LAYER
"""The fault kinds of each layer (network, app, process), in catalogue order."""
