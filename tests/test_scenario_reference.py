"""docs/scenario-format.md documents every key of every model, generated from the models."""

from __future__ import annotations

import pytest

from harness.scenario.reference import DOC_PATH, blocks, documented_models, main, render

pytestmark = pytest.mark.unit


def test_the_reference_page_is_up_to_date() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    new, missing = render(text)
    assert missing == [], f"docs/scenario-format.md lacks generated blocks: {missing}"
    assert new == text, "docs/scenario-format.md is stale: run python -m harness.scenario.reference"
    assert main(["--check"]) == 0


def test_every_key_of_every_model_is_in_the_page_with_a_description() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    models = documented_models()
    assert {"Scenario", "Step", "Load", "Checks", "ClientDefinition", "DegradedMarker"} <= set(
        models
    )
    for name, model in models.items():
        table = blocks()[name]
        assert table in text
        for field, info in model.model_fields.items():
            key = info.alias or field
            assert f"| `{key}` |" in table, f"{name}.{key} is not in its table"
            assert info.description, f"{name}.{key} has no description: add Field(description=...)"
    for kind in ("latency", "maintenance", "schema_drift", "kill", "restart"):
        assert f"| `{kind}` |" in blocks()["faults"]


def test_a_hand_edit_inside_a_block_is_detected_and_a_missing_block_reported() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    edited = text.replace("| `drain` |", "| `drainage` |")
    assert edited != text
    assert render(edited)[0] == text
    start = "<!-- BEGIN GENERATED: Stage ("
    without = text[: text.index(start)] + text[text.index("<!-- END GENERATED: Stage -->") + 30 :]
    assert render(without)[1] == ["Stage"]
