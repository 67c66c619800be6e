"""Publish the JSON Schemas of scenario and client files: `python -m harness.scenario.schema`.

    harness/schemas/scenario.schema.json   a scenario file (scenarios/*.yaml)
    harness/schemas/client.schema.json     a client file (examples/clients/*.yaml)

Both are generated from the pydantic models (Scenario, ClientDefinition) in validation mode, so
they describe what a file may hold (durations as "30s" or a number, rates as 0.95 or "95%",
`nothing_lost: true`, ...). Editors use them to validate and complete YAML as it is typed
(docs/scenario-format.md, "Editor set-up"). Rules that span several fields (a step's target must
be in the stack, ...) are the loader's: `harness validate` is the final word.

Without arguments the command (re)writes both files; with --check it exits 1 if either is stale
(tests/test_scenario_schema.py does the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel

from harness.client import ClientDefinition
from harness.scenario.model import Scenario

SCHEMA_DIR: Final = Path(__file__).resolve().parents[1] / "schemas"
SCENARIO_SCHEMA_PATH: Final = SCHEMA_DIR / "scenario.schema.json"
CLIENT_SCHEMA_PATH: Final = SCHEMA_DIR / "client.schema.json"
_ID_BASE: Final = "https://health-resilience-harness.local/schemas/"

# pydantic puts the bounds of a constrained type whose input may also be a string ("30s") next to
# the anyOf, under its own names, where JSON Schema ignores them; they belong on the number branch.
_BOUNDS: Final = {
    "gt": "exclusiveMinimum",
    "ge": "minimum",
    "lt": "exclusiveMaximum",
    "le": "maximum",
}


def _move_bounds(node: Any) -> Any:
    if isinstance(node, list):
        return [_move_bounds(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _move_bounds(value) for key, value in node.items()}
    bounds = {_BOUNDS[key]: out.pop(key) for key in list(out) if key in _BOUNDS}
    if bounds and "anyOf" in out:
        out["anyOf"] = [
            {**branch, **bounds} if branch.get("type") in ("number", "integer") else branch
            for branch in out["anyOf"]
        ]
    return out


def _schema_of(model: type[BaseModel], file_name: str, title: str) -> dict[str, Any]:
    schema = _move_bounds(model.model_json_schema(mode="validation", by_alias=True))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _ID_BASE + file_name,
        **schema,
        "title": title,
    }


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, as published in harness/schemas/."""
    return _schema_of(Scenario, SCENARIO_SCHEMA_PATH.name, "Harness scenario file")


def client_schema() -> dict[str, Any]:
    """The JSON Schema of a client file, as published in harness/schemas/."""
    return _schema_of(ClientDefinition, CLIENT_SCHEMA_PATH.name, "Harness client file")


def render() -> dict[Path, str]:
    """Each published file's expected text."""
    return {
        path: json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for path, schema in (
            (SCENARIO_SCHEMA_PATH, scenario_schema()),
            (CLIENT_SCHEMA_PATH, client_schema()),
        )
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.scenario.schema")
    parser.add_argument("--check", action="store_true", help="fail if a published file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in render().items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current == text:
            continue
        if args.check:
            stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    for path in stale:
        print(f"{path} is stale; run python -m harness.scenario.schema", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
