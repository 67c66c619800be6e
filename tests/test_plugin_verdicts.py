"""What a @pytest.mark.scenario test makes of a run's verdict, on journals built by the checks:
a failed or (by default) inconclusive run fails the test with the evidence that was missing;
--harness-inconclusive pass lets an inconclusive run pass with a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.pytest_plugin.scenario import failure_message, missing_evidence, passed_with_warning
from harness.results.checks import InconclusivePolicy
from harness.results.journal import Journal
from harness.runner.engine import RunResult
from tests.test_checks import NAIVE, RESILIENT
from tests.test_journal import inconclusive_check, inconclusive_journal, journal_for

pytestmark = pytest.mark.unit


def _result(journal: Journal) -> RunResult:
    run_dir = Path("reports") / journal.run_id
    return RunResult(
        run_dir=run_dir,
        journal_path=run_dir / "journal.json",
        junit_path=run_dir / "junit.xml",
        journal=journal,
    )


def test_a_passing_run_passes_without_a_warning() -> None:
    result = _result(journal_for(RESILIENT))
    assert failure_message(result) is None
    assert passed_with_warning(result) is None


def test_a_failed_run_fails_with_its_checks() -> None:
    message = failure_message(_result(journal_for(NAIVE)))
    assert message is not None
    assert message.startswith("scenario bpjs-outage: 3 of 8 checks failed (verdict FAIL, exit 1)")
    assert "INCONCLUSIVE" not in message


@pytest.mark.parametrize(
    ("policy", "exit_code"), [(InconclusivePolicy.ERROR, 4), (InconclusivePolicy.FAIL, 1)]
)
def test_an_inconclusive_run_fails_saying_how_much_evidence_was_missing(
    policy: InconclusivePolicy, exit_code: int
) -> None:
    result = _result(inconclusive_journal(policy))
    message = failure_message(result)
    assert message is not None
    lines = message.splitlines()
    assert lines[0] == (
        "scenario bpjs-outage: INCONCLUSIVE, no check failed but 1 of 8 had too little evidence "
        f"to pass (exit {exit_code})"
    )
    assert lines[1] == (
        "  served_rate.during: n=31 (31 good), 95% CI 89.0%-100.0% against >= 90.0%: at least "
        "35 requests are needed even if all are good"
    )
    assert "--harness-inconclusive pass, HARNESS_INCONCLUSIVE=pass" in lines[2]
    assert any(line.lstrip().startswith("INCONCLUSIVE  served_rate.during") for line in lines)
    assert lines[-2] == f"report: {result.run_dir / 'report.html'}"
    assert passed_with_warning(result) is None


def test_an_inconclusive_run_under_pass_passes_with_a_warning() -> None:
    result = _result(inconclusive_journal(InconclusivePolicy.PASS))
    assert failure_message(result) is None
    warning = passed_with_warning(result)
    assert warning is not None
    assert warning.startswith(
        "scenario bpjs-outage was INCONCLUSIVE and passes by --harness-inconclusive pass: "
        "served_rate.during: n=31 (31 good)"
    )


def test_enough_requests_whose_interval_still_crosses_asks_for_more() -> None:
    check = inconclusive_check()
    assert check.evidence is not None
    wide = check.model_copy(
        update={"evidence": check.evidence.model_copy(update={"n": 60, "good": 55})}
    )
    assert missing_evidence(wide).endswith(
        "the interval still crosses the threshold; it takes more requests"
    )
