"""Key tables of docs/scenario-format.md from the models: `python -m harness.scenario.reference`.

The page keeps its hand-written prose; each table lives between two markers,

    <!-- BEGIN GENERATED: Load (python -m harness.scenario.reference) -->
    ...
    <!-- END GENERATED: Load -->

and is rewritten from the model of that name (every field: key, type, default, description), or,
for `faults`, from the fault catalogue (harness.faults). Every model a scenario or client file can
hold must have its block, so a new nested model cannot go undocumented. With --check the command
exits 1 if the page is stale or a block is missing (tests/test_scenario_reference.py does the same).
"""

from __future__ import annotations

import argparse
import enum
import json
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from harness import durations
from harness.client import ClientDefinition
from harness.faults import AnyFault, FaultLayer
from harness.scenario import types as scenario_types
from harness.scenario.model import Scenario

DOC_PATH: Final = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"
COMMAND: Final = "python -m harness.scenario.reference"
FAULTS_BLOCK: Final = "faults"
_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[\w-]+) \(.*?\) -->\n)(?P<body>.*?)"
    r"(<!-- END GENERATED: (?P=name) -->)",
    re.DOTALL,
)

# Value types known by the validator that reads them (their JSON form is only "string or number").
_NAMED_VALIDATORS: Final = {
    scenario_types._duration: "duration",
    durations.parse_duration: "duration",
    scenario_types._time_point: "time point",
    scenario_types._clock: "clock time",
    scenario_types._rate: "rate",
}
_BOUND_WORDS: Final = (
    (annotated_types.Ge, "ge", ">="),
    (annotated_types.Gt, "gt", ">"),
    (annotated_types.Le, "le", "<="),
    (annotated_types.Lt, "lt", "<"),
)


# --- types -----------------------------------------------------------------------------------


def _bounds(metadata: list[Any]) -> str:
    words = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            words.append(_bounds(item.metadata))
        for kind, attribute, symbol in _BOUND_WORDS:
            if isinstance(item, kind):
                words.append(f"{symbol} {getattr(item, attribute)}")
    return ", ".join(word for word in words if word)


def type_name(tp: Any, metadata: list[Any] | None = None) -> str:
    """A reader's name for a field's type: "duration", "list of Step", "integer >= 0", ..."""
    metadata = list(metadata or [])
    while get_origin(tp) is Annotated:
        tp, *extra = get_args(tp)
        metadata += extra
    for item in metadata:
        if not isinstance(item, BeforeValidator):
            continue
        if item.func in _NAMED_VALIDATORS:
            base = _NAMED_VALIDATORS[item.func]
            bounds = _bounds(metadata)
            return f"{base} ({bounds})" if bounds and base == "duration" else base
        if item.json_schema_input_type is not PydanticUndefined:  # what a file may write
            return type_name(item.json_schema_input_type)
    if get_origin(tp) in (Union, types.UnionType):
        members = [m for m in get_args(tp) if m is not type(None)]
        if set(members) <= set(_fault_models()):
            return f"[fault](#{FAULTS_BLOCK})"
        return " or ".join(type_name(m) for m in members)
    if get_origin(tp) is Literal:
        return " | ".join(json.dumps(v) for v in get_args(tp))
    if get_origin(tp) in (tuple, list):
        return f"list of {type_name(get_args(tp)[0])}"
    if get_origin(tp) is dict:
        key, value = get_args(tp)
        return f"mapping of {type_name(key)} to {type_name(value)}"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return " | ".join(f"`{member.value}`" for member in tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    names = {int: "integer", float: "number", str: "string", bool: "boolean"}
    base = names.get(tp, getattr(tp, "__name__", str(tp)))
    bounds = _bounds(metadata)
    return f"{base} {bounds}" if bounds else base


def _default(info: FieldInfo, type_text: str = "") -> str:
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "**required**"
    else:
        value = info.default
    if value is None:
        return "absent"
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    elif isinstance(value, enum.Enum):
        value = value.value
    elif isinstance(value, tuple):
        value = [item.value if isinstance(item, enum.Enum) else item for item in value]
    if value in ({}, []):
        return "none"
    if type_text.startswith("duration") and isinstance(value, float):
        return f"`{durations.format_duration(value)}`"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _rows(model: type[BaseModel], *, skip: frozenset[str] = frozenset()) -> Iterator[str]:
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        key = info.alias or name
        kind = type_name(info.annotation, list(info.metadata))
        description = _cell(info.description or "")
        yield f"| `{key}` | {_cell(kind)} | {_cell(_default(info, kind))} | {description} |"


def _anchor(name: str) -> str:
    return f'<a id="{name.lower()}"></a>\n\n'


def model_table(model: type[BaseModel]) -> str:
    """The key table of one model, with an anchor that type links point at."""
    header = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    lines = [_anchor(model.__name__) + header[0], header[1], *_rows(model)]
    return "\n".join(lines) + "\n"


# --- faults ----------------------------------------------------------------------------------


def _fault_models() -> list[type[AnyFault]]:
    return list(get_args(AnyFault))


def _common_fields(layer: FaultLayer) -> list[tuple[str, FieldInfo]]:
    """The options every fault of a layer has (a toxic's stream, an app fault's route, ...)."""
    models = [m for m in _fault_models() if m.layer is layer and len(m.model_fields) > 1]
    if not models:
        return []
    names = set.intersection(*(set(m.model_fields) for m in models)) - {"kind"}
    return [(n, i) for n, i in models[0].model_fields.items() if n in names]


def _attribute(name: str, info: FieldInfo) -> str:
    type_text = type_name(info.annotation, list(info.metadata))
    text = f"`{info.alias or name}` ({type_text}, {_default(info, type_text)})"
    return _cell(f"{text}: {info.description}" if info.description else text)


def faults_table() -> str:
    """One row per fault kind: its layer and its own attributes, after the layers' common ones."""
    lines = [
        _anchor(FAULTS_BLOCK) + "| kind | layer | attributes (type, default: meaning) |",
        "| --- | --- | --- |",
    ]
    for layer, label in ((FaultLayer.NETWORK, "every toxic"), (FaultLayer.APP, "every app fault")):
        common = "; ".join(_attribute(name, info) for name, info in _common_fields(layer))
        lines.append(f"| *{label}* | {layer.value} | {common} |")
    for model in _fault_models():
        fault_kind = get_args(model.model_fields["kind"].annotation)[0]
        common_names = {name for name, _ in _common_fields(model.layer)}
        attributes = [
            _attribute(name, info)
            for name, info in model.model_fields.items()
            if name != "kind" and name not in common_names
        ]
        doc = _cell((model.__doc__ or "").strip().split("\n\n")[0])
        text = "; ".join(attributes) or doc or "none"
        lines.append(f"| `{fault_kind}` | {model.layer.value} | {text} |")
    return "\n".join(lines) + "\n"


# --- which models a file can hold ------------------------------------------------------------


def _models_in(tp: Any) -> Iterator[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        yield tp
        return
    for arg in get_args(tp):
        yield from _models_in(arg)


def documented_models() -> dict[str, type[BaseModel]]:
    """Every model reachable from a scenario or a client file, but the faults (one table)."""
    faults = set(_fault_models())
    found: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = [Scenario, ClientDefinition]
    while pending:
        model = pending.pop(0)
        if model in faults or model.__name__ in found:
            continue
        found[model.__name__] = model
        for info in model.model_fields.values():
            pending += list(_models_in(info.annotation))
            for item in info.metadata:
                pending += list(_models_in(getattr(item, "json_schema_input_type", None)))
    return found


def blocks() -> dict[str, str]:
    """Every generated block's expected body, by name."""
    out = {name: model_table(model) for name, model in documented_models().items()}
    out[FAULTS_BLOCK] = faults_table()
    return out


def render(text: str) -> tuple[str, list[str]]:
    """The page with every block regenerated, and the names of the blocks it lacks."""
    expected = blocks()
    seen: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in expected:
            return match.group(0)  # an unknown block is left for the check to report
        seen.add(name)
        return match.group(1) + expected[name] + match.group(4)

    new = _BLOCK.sub(replace, text)
    unknown = [m.group("name") for m in _BLOCK.finditer(text) if m.group("name") not in expected]
    missing = [name for name in expected if name not in seen]
    return new, missing + [f"{name} (no such model)" for name in unknown]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND)
    parser.add_argument("--check", action="store_true", help="fail if the page is stale")
    args = parser.parse_args(argv)
    text = DOC_PATH.read_text(encoding="utf-8")
    new, problems = render(text)
    for name in problems:
        print(
            f"{DOC_PATH}: no generated block for {name}; add the markers "
            f"<!-- BEGIN GENERATED: {name} ({COMMAND}) --> and <!-- END GENERATED: {name} -->",
            file=sys.stderr,
        )
    if args.check:
        if new != text:
            print(f"{DOC_PATH} is stale; run {COMMAND}", file=sys.stderr)
            return 1
        return 1 if problems else 0
    if new != text:
        DOC_PATH.write_text(new, encoding="utf-8")
        print(f"wrote {DOC_PATH}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
