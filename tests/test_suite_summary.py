"""A suite's summary.md and merged junit.xml, rendered from journals built by the real checks.

The end-to-end runs (real stacks, real suite folders) are in tests/test_suite_run.py.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from harness.errors import UsageError
from harness.report.suite_markdown import MAX_TEXT, render_suite_summary
from harness.report.summary_file import append_summary, check_summary_target
from harness.results.checks import InconclusivePolicy
from harness.results.journal import Journal
from harness.results.junit import write_junit, write_suite_junit
from harness.results.suite import SuiteEntry, SuiteSummary, SuiteVerdict, suite_verdict
from tests.test_checks import NAIVE, RESILIENT
from tests.test_journal import UNSURE_REASON, inconclusive_journal, journal_for

pytestmark = pytest.mark.unit

START = dt.datetime(2019, 3, 25, 8, 0, tzinfo=dt.UTC)
ONE_MIB = 1024 * 1024


def _journal(outcomes: dict[int, tuple[int, int, int]], run_id: str) -> Journal:
    return journal_for(outcomes).model_copy(update={"run_id": run_id})


@pytest.fixture(scope="module")
def naive() -> Journal:
    return _journal(NAIVE, "20190325-080000-bpjs-outage-naive")


@pytest.fixture(scope="module")
def resilient() -> Journal:
    return _journal(RESILIENT, "20190325-080200-bpjs-outage-resilient")


def _entry(journal: Journal, scenario: str) -> SuiteEntry:
    return SuiteEntry(
        run_id=journal.run_id,
        scenario=scenario,
        scenario_path=f"scenarios/{scenario}.yaml",
        verdict=SuiteVerdict(journal.verdict.value),
        exit_code=journal.exit_code,
        journal=f"{journal.run_id}/journal.json",
    )


def _summary(
    *entries: SuiteEntry,
    verdict: SuiteVerdict,
    exit_code: int,
    not_run: tuple[str, ...] = (),
    inconclusive: InconclusivePolicy = InconclusivePolicy.ERROR,
) -> SuiteSummary:
    return SuiteSummary(
        inconclusive=inconclusive,
        suite_id="20190325-080000-suite-ci-ab12",
        selector="ci",
        started_at=START,
        finished_at=START + dt.timedelta(seconds=490),
        verdict=verdict,
        exit_code=exit_code,
        runs=entries,
        not_run=not_run,
    )


def _stopped(scenario: str, error: str, exit_code: int = 3) -> SuiteEntry:
    return SuiteEntry(
        run_id=None,
        scenario=scenario,
        scenario_path=f"scenarios/{scenario}.yaml",
        verdict=SuiteVerdict.ERROR,
        exit_code=exit_code,
        journal=None,
        error=error,
    )


def test_a_failed_suite_leads_with_the_verdict_and_lists_each_failed_check(
    naive: Journal, resilient: Journal
) -> None:
    summary = _summary(
        _entry(resilient, "bpjs-outage"),
        _entry(naive, "bpjs-outage-again"),
        verdict=SuiteVerdict.FAIL,
        exit_code=1,
    )
    text = render_suite_summary(summary, {j.run_id: j for j in (naive, resilient)})
    lines = text.splitlines()
    assert lines[0] == "## ❌ FAIL: 1 of 2 scenarios passed"
    assert "**Exit code 1**: a check failed: a fallback regressed" in lines[2]
    assert "against resilient" in lines[2]
    assert ", 8m10s of wall time." in lines[2]
    rows = [line for line in lines if line.startswith("| [`")]
    assert len(rows) == 2
    good, bad = rows
    assert good.startswith(f"| [`bpjs-outage`]({resilient.run_id}/report.html) | ✅ PASS |")
    assert bad.startswith(f"| [`bpjs-outage-again`]({naive.run_id}/report.html) | ❌ FAIL |")
    failed = [c for c in naive.checks if not c.passed]
    during = next(c for c in naive.checks if c.id == "served_rate.during")
    assert f"| 0.0% (>= 90.0%) | {len(naive.checks) - len(failed)} / {len(naive.checks)} |" in bad
    for check in failed:
        assert f"`{check.id}`" in bad
        assert f"- `bpjs-outage-again` `{check.id}`: {check.reason}" in text
    assert not during.passed
    # nothing from the passing run is listed as failed
    assert "- `bpjs-outage` `" not in text
    assert "Exit codes: 0 pass, 1 a check failed, 2 invalid scenario, client or usage" in text


def test_a_passing_suite_says_so_and_has_no_failed_section(resilient: Journal) -> None:
    summary = _summary(_entry(resilient, "bpjs-outage"), verdict=SuiteVerdict.PASS, exit_code=0)
    text = render_suite_summary(summary, {resilient.run_id: resilient})
    assert text.startswith("## ✅ PASS: 1 of 1 scenarios passed\n")
    assert "**Exit code 0**: pass: every check of every scenario passed" in text
    assert "### Failed checks" not in text
    assert "### Errors" not in text


def test_a_suite_stopped_by_an_error_names_it_and_what_did_not_run(resilient: Journal) -> None:
    error = "toxiproxy-server exited at start: " + "x" * 5000
    summary = _summary(
        _entry(resilient, "bpjs-outage"),
        _stopped("incident-2-erm-down", error),
        verdict=SuiteVerdict.ERROR,
        exit_code=3,
        not_run=("incident-3-maintenance", "incident-4-ehac-unreachable"),
    )
    text = render_suite_summary(summary, {resilient.run_id: resilient})
    assert text.startswith("## ⚠️ ERROR: the suite stopped at incident-2-erm-down (1 of 4 passed)\n")
    assert "**Exit code 3**: infrastructure" in text
    assert "| `incident-2-erm-down` | ⚠️ ERROR (exit 3) |" in text
    assert "| `incident-3-maintenance` | not run |" in text
    assert "| `incident-4-ehac-unreachable` | not run |" in text
    error_line = next(line for line in text.splitlines() if line.startswith("- `incident-2"))
    assert "toxiproxy-server exited at start" in error_line
    # a process's output tail is clipped, not pasted whole into a PR comment
    assert "x" * MAX_TEXT not in error_line
    assert error_line.endswith("…")


@pytest.mark.parametrize(
    ("policy", "unsure_exit", "expected"),
    [
        (InconclusivePolicy.ERROR, 4, (SuiteVerdict.INCONCLUSIVE, 4)),
        (InconclusivePolicy.FAIL, 1, (SuiteVerdict.INCONCLUSIVE, 1)),
        (InconclusivePolicy.PASS, 0, (SuiteVerdict.INCONCLUSIVE, 0)),
    ],
)
def test_the_suite_verdict_is_inconclusive_when_no_run_failed_but_one_was(
    resilient: Journal, policy: InconclusivePolicy, unsure_exit: int, expected: object
) -> None:
    unsure = _entry(inconclusive_journal(policy), "incident-2")
    assert unsure.exit_code == unsure_exit
    passed = _entry(resilient, "bpjs-outage")
    assert suite_verdict([passed, unsure], policy) == expected
    assert suite_verdict([passed], policy) == (SuiteVerdict.PASS, 0)


def test_a_failed_run_beats_an_inconclusive_one_and_an_error_beats_both(
    naive: Journal,
) -> None:
    unsure = _entry(inconclusive_journal(InconclusivePolicy.FAIL), "incident-2")
    failed = _entry(naive, "bpjs-outage")
    for policy in InconclusivePolicy:
        assert suite_verdict([unsure, failed], policy) == (SuiteVerdict.FAIL, 1)
    stopped = _stopped("incident-3", "ERM mock did not become ready", exit_code=3)
    assert suite_verdict([unsure, failed, stopped]) == (SuiteVerdict.ERROR, 3)


def test_an_inconclusive_suite_says_so_and_lists_each_inconclusive_check(
    resilient: Journal,
) -> None:
    unsure = inconclusive_journal().model_copy(update={"run_id": "run-unsure"})
    summary = _summary(
        _entry(resilient, "bpjs-outage"),
        _entry(unsure, "incident-2"),
        verdict=SuiteVerdict.INCONCLUSIVE,
        exit_code=4,
    )
    text = render_suite_summary(summary, {j.run_id: j for j in (resilient, unsure)})
    lines = text.splitlines()
    assert lines[0] == "## ❔ INCONCLUSIVE: 1 of 2 scenarios passed, 1 inconclusive"
    assert (
        "**Exit code 4**: inconclusive: no check failed, but at least one had too few" in (lines[2])
    )
    row = next(line for line in lines if line.startswith("| [`incident-2`]"))
    assert "| ❔ INCONCLUSIVE |" in row
    assert row.endswith("| 7 / 8 | `served_rate.during` (inconclusive) |")
    assert "### Failed checks" not in text
    assert "### Inconclusive checks" in text
    assert (
        "- `incident-2` `served_rate.during` (n=31 (31 good), 95% CI 89.0%-100.0%): "
        f"{UNSURE_REASON}"
    ) in lines
    assert "4 inconclusive, 130 interrupted." in lines[-1]


def test_an_inconclusive_suite_under_a_policy_says_what_it_counted_as(
    resilient: Journal,
) -> None:
    unsure = inconclusive_journal(InconclusivePolicy.PASS)
    summary = _summary(
        _entry(unsure, "incident-2"),
        verdict=SuiteVerdict.INCONCLUSIVE,
        exit_code=0,
        inconclusive=InconclusivePolicy.PASS,
    )
    text = render_suite_summary(summary, {unsure.run_id: unsure})
    assert (
        "**Exit code 0**: inconclusive, counted as a pass by --inconclusive pass (exit 0)."
    ) in text


def test_the_suite_junit_writes_an_inconclusive_check_as_its_policy_made_it(
    tmp_path: Path, resilient: Journal
) -> None:
    unsure = inconclusive_journal().model_copy(update={"run_id": "run-unsure"})
    summary = _summary(
        _entry(resilient, "bpjs-outage"),
        _entry(unsure, "incident-2"),
        verdict=SuiteVerdict.INCONCLUSIVE,
        exit_code=4,
    )
    path = write_suite_junit(summary, {j.run_id: j for j in (resilient, unsure)}, tmp_path / "j")
    xml = JUnitXml.fromfile(str(path))
    assert (xml.failures, xml.errors, xml.skipped) == (0, 1, 0)
    errors = [r for s in xml for c in s for r in c.result if isinstance(r, Error)]
    assert [(e.type, e.message) for e in errors] == [
        ("inconclusive", f"inconclusive: {UNSURE_REASON}")
    ]


def test_text_from_files_cannot_break_the_table_or_inject_html(resilient: Journal) -> None:
    hostile = "a|b<script>"
    entry = _stopped(hostile, "bad <img src=x> | value", exit_code=2)
    summary = _summary(entry, verdict=SuiteVerdict.ERROR, exit_code=2)
    text = render_suite_summary(summary, {})
    assert "<script>" not in text
    assert "<img" not in text
    row = next(line for line in text.splitlines() if "ERROR (exit 2)" in line)
    assert len(re.findall(r"(?<!\\)\|", row)) == 6  # five cells, whatever the name holds


def test_a_large_suite_stays_far_below_the_step_summary_limit(
    naive: Journal, resilient: Journal
) -> None:
    runs = []
    journals = {}
    for i in range(300):
        journal = (naive if i % 2 else resilient).model_copy(update={"run_id": f"run-{i}"})
        journals[journal.run_id] = journal
        runs.append(_entry(journal, f"scenario-{i}"))
    text = render_suite_summary(_summary(*runs, verdict=SuiteVerdict.FAIL, exit_code=1), journals)
    assert text.count("| [`scenario-") == 300
    assert len(text.encode()) < ONE_MIB / 4


def test_the_suite_junit_holds_each_runs_testsuite_and_the_errors(
    tmp_path: Path, naive: Journal, resilient: Journal
) -> None:
    summary = _summary(
        _entry(resilient, "bpjs-outage"),
        _entry(naive, "bpjs-outage-naive"),
        _stopped("incident-2-erm-down", "ERM mock did not become ready"),
        verdict=SuiteVerdict.ERROR,
        exit_code=3,
        not_run=("incident-3-maintenance",),
    )
    path = write_suite_junit(
        summary, {j.run_id: j for j in (naive, resilient)}, tmp_path / "junit.xml"
    )
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert [s.name for s in suites] == [
        "bpjs-outage",  # both journals replay bpjs-outage.yaml
        "bpjs-outage",
        "incident-2-erm-down",
        "incident-3-maintenance",
    ]
    # the same testsuite element each run's own junit.xml holds, in the suite's order
    for merged, journal in zip(suites, (resilient, naive), strict=False):
        own = next(iter(JUnitXml.fromfile(str(write_junit(journal, tmp_path / journal.run_id)))))
        assert _prop(merged, "run_id") == journal.run_id
        assert [c.name for c in merged] == [c.name for c in own]
        assert (merged.tests, merged.failures) == (own.tests, own.failures)
    errored, not_run = suites[2], suites[3]
    (case,) = list(errored)
    (error,) = case.result
    assert isinstance(error, Error)
    assert error.message == "ERM mock did not become ready"
    assert error.type == "exit 3"
    (skipped_case,) = list(not_run)
    assert isinstance(skipped_case.result[0], Skipped)
    assert "stopped at incident-2-erm-down" in (skipped_case.result[0].message or "")
    failed = [c for c in naive.checks if not c.passed]
    assert xml.tests == 2 * len(naive.checks) + 2
    assert xml.failures == len(failed)
    assert xml.errors == 1
    assert xml.skipped == 1
    failures = [r for s in xml for c in s for r in c.result if isinstance(r, Failure)]
    assert sorted(f.message or "" for f in failures) == sorted(c.reason for c in failed)


def _prop(suite: object, name: str) -> str | None:
    for prop in suite.properties():  # type: ignore[attr-defined]
        if prop.name == name:
            return str(prop.value)
    return None


def test_summary_to_appends_after_what_the_file_holds(tmp_path: Path) -> None:
    target = tmp_path / "step-summary.md"
    target.write_text("# Build\nearlier step\n", encoding="utf-8")
    check_summary_target(target)
    append_summary(target, "## suite one\n")
    append_summary(target, "## suite two\n")
    assert target.read_text(encoding="utf-8") == (
        "# Build\nearlier step\n\n## suite one\n\n## suite two\n"
    )


@pytest.mark.parametrize(
    ("relative", "message"),
    [("missing/summary.md", "does not exist; create it first"), (".", "is a directory")],
)
def test_summary_to_an_unwritable_place_is_a_usage_error(
    tmp_path: Path, relative: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        check_summary_target(tmp_path / relative)
