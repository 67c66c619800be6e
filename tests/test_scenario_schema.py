"""The published JSON Schemas of scenario and client files match the models and the files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from harness.scenario import load_scenario
from harness.scenario.schema import CLIENT_SCHEMA_PATH, SCENARIO_SCHEMA_PATH, main, render
from harness.yamlmodel import read_yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_FILES = sorted((ROOT / "scenarios").rglob("*.yaml")) + sorted(
    (ROOT / "examples").rglob("scenario*.yaml")
)
CLIENT_FILES = sorted((ROOT / "examples" / "clients").glob("*.yaml")) + sorted(
    (ROOT / "examples").rglob("client*.yaml")
)


def _validator(path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator: jsonschema.Draft202012Validator, data: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


def test_published_schemas_match_the_models() -> None:
    for path, text in render().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run python -m harness.scenario.schema"
        )
    assert main(["--check"]) == 0


def test_the_library_has_files_to_check() -> None:
    assert ROOT / "scenarios" / "bpjs-outage.yaml" in SCENARIO_FILES
    assert ROOT / "examples" / "custom_load" / "scenario.yaml" in SCENARIO_FILES
    assert ROOT / "examples" / "clients" / "resilient.yaml" in CLIENT_FILES


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_scenario_file_validates_against_the_published_schema(path: Path) -> None:
    data, _ = read_yaml(path)
    assert _errors(_validator(SCENARIO_SCHEMA_PATH), data) == []


@pytest.mark.parametrize("path", CLIENT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_client_file_validates_against_the_published_schema(path: Path) -> None:
    data, _ = read_yaml(path)
    assert _errors(_validator(CLIENT_SCHEMA_PATH), data) == []


def _bpjs_outage() -> dict[str, Any]:
    data, _ = read_yaml(ROOT / "scenarios" / "bpjs-outage.yaml")
    assert isinstance(data, dict)
    return data


def test_the_schema_rejects_what_the_loader_rejects() -> None:
    validator = _validator(SCENARIO_SCHEMA_PATH)
    typo = _bpjs_outage()
    typo["timeline"]["steps"][1]["fault"] = {"kind": "latency", "latency": 300, "jiter": 50}
    assert any("jiter" in error for error in _errors(validator, typo))
    unknown_kind = _bpjs_outage()
    unknown_kind["timeline"]["steps"][0]["fault"] = {"kind": "outage"}
    assert _errors(validator, unknown_kind)
    bad_rate = _bpjs_outage()
    bad_rate["checks"]["served_rate"]["during"] = 1.5
    assert any("1.5" in error for error in _errors(validator, bad_rate))
    bad_name = _bpjs_outage()
    bad_name["name"] = "BPJS Outage"
    assert any("does not match" in error for error in _errors(validator, bad_name))
    missing = _bpjs_outage()
    del missing["load"]
    assert any("'load' is a required property" in error for error in _errors(validator, missing))


def test_the_schema_accepts_the_loaders_shorthands() -> None:
    validator = _validator(SCENARIO_SCHEMA_PATH)
    data = _bpjs_outage()
    data["timeline"] = [{"at": "10s", "for": 30, "target": "bpjs", "fault": {"kind": "down"}}]
    data["checks"] = {"served_rate": {"during": "90%"}, "nothing_lost": True, "client_alive": False}
    data["drain"] = "1m30s"
    data["client"] = {"name": "mine", "command": "python -m mine --port {port}"}
    assert _errors(validator, data) == []


def test_the_editor_schema_comment_points_at_the_published_schema() -> None:
    path = ROOT / "scenarios" / "bpjs-outage.yaml"
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    assert (path.parent / match.group(1)).resolve() == SCENARIO_SCHEMA_PATH
    assert load_scenario(path).scenario.name == "bpjs-outage"  # a comment to the loader
