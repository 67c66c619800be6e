"""A scenario file run as a test: the harness starts its own stack, the resilient reference
client as a process and the load, applies the timeline, and the scenario's checks are the
assertions. The body then asks the run for more."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from harness.pytest_plugin import RunResult


@pytest.mark.scenario(
    "scenarios/blocks/bpjs-clock-skew.yaml", client="examples/clients/resilient.yaml"
)
def test_bpjs_clock_skew_block_loses_and_duplicates_nothing(scenario_run: RunResult) -> None:
    """15 s of BPJS refusing every signature (its clock 10 minutes ahead) under front-desk load.
    Beyond the block's own checks: the fault really bit (answers went degraded while it lasted),
    and every registration the desk accepted is in the ERM's ledger exactly once."""
    journal = scenario_run.journal
    during = next(p for p in journal.timeline.per_phase if p.phase == "during")
    assert during.degraded > 0

    integrity = journal.integrity
    accepted = {str(kind): count for kind, count in integrity.accepted.items()}
    assert accepted.get("registration", 0) > 0
    assert integrity.lost == 0
    assert integrity.duplicate_groups == ()
    nothing_lost = next(c for c in journal.checks if c.check == "nothing_lost")
    assert nothing_lost.passed
