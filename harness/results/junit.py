"""junit.xml for CI systems: one testcase per check; a failed check carries its reason.

write_junit(journal, run_dir / "junit.xml")
write_suite_junit(summary, journals, suite_dir / "junit.xml")   # one testsuite per scenario

The suite's file holds the same testsuite element each run's own junit.xml holds, so a CI system
can take the one file; a scenario that stopped the suite (exit 2, 3, 130) is a testsuite with one
errored testcase, and the scenarios it kept from running are skipped testcases.

Every check's testcase has <properties>: status (pass, fail, inconclusive), measured, threshold,
comparison and unit, and, when the check has evidence, method, n, good (rates), ci_low, ci_high
("inf": unbounded above) and confidence, for tools that read them (the placement pytest's own
junit.xml uses); the interval is also in the message and the text, for viewers that show only
those.

An inconclusive check (its interval straddles the threshold) is written as what the run's exit
code made of it, `harness run --inconclusive error|fail|pass`, so that the test report and the
pipeline agree:

    error (default, exit 4)  <error type="inconclusive">   counted in errors
    fail (exit 1)            <failure type="inconclusive"> counted in failures
    pass (exit 0)            <skipped type="inconclusive"> counted in skipped

Why not always <skipped>: GitLab's and GitHub's JUnit viewers (and Jenkins) show a skipped case
grey and do not fail on it, so an undecided check would look like a passing build while the job
fails with exit 4. Why not always <failure>: a pipeline that accepts inconclusive runs
(--inconclusive pass) would show red tests in a green job, and a failure says the client
regressed, which an inconclusive check does not. JUnit's <error> ("could not be judged")
matches exit 4 the way the suite's errored scenarios match exit 2 and 3: every viewer shows it
as not passed, apart from the failures. The message always starts with "inconclusive: ".
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from harness.results.checks import CheckResult, CheckStatus, InconclusivePolicy
from harness.results.journal import Journal
from harness.results.suite import SuiteEntry, SuiteSummary

RUN_CASE: Final = "run"
"""The testcase name of a scenario that did not produce checks (it errored, or did not run)."""


def _value(result: CheckResult) -> str:
    measured = "not measured" if result.measured is None else f"{result.measured:g}"
    return f"measured {measured} {result.unit}, threshold {result.comparison} {result.threshold:g}"


def _classname(scenario: str) -> str:
    return f"harness.{scenario}"


INCONCLUSIVE_ELEMENT: Final = {
    InconclusivePolicy.ERROR: "error",
    InconclusivePolicy.FAIL: "failure",
    InconclusivePolicy.PASS: "skipped",
}
"""How an inconclusive check is written, by the run's --inconclusive policy."""


def _number(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:g}"


def check_properties(result: CheckResult) -> list[tuple[str, str]]:
    """(name, value) pairs of a check's testcase: its status, value, threshold and evidence."""
    pairs = [
        ("status", result.status.value),
        ("measured", "" if result.measured is None else _number(result.measured)),
        ("threshold", _number(result.threshold)),
        ("comparison", result.comparison.value),
        ("unit", result.unit.value),
    ]
    evidence = result.evidence
    if evidence is None:
        return pairs
    pairs += [("method", evidence.method), ("n", str(evidence.n))]
    if evidence.good is not None:
        pairs.append(("good", str(evidence.good)))
    if evidence.confidence is not None:
        low = 0.0 if evidence.low is None else evidence.low
        high = math.inf if evidence.high is None else evidence.high
        pairs += [
            ("ci_low", _number(low)),
            ("ci_high", _number(high)),
            ("confidence", _number(evidence.confidence)),
        ]
    return pairs


def _counts(journal: Journal) -> dict[str, str]:
    """failures, errors and skipped of a run's testsuite (see the module docstring)."""
    inconclusive = sum(r.inconclusive for r in journal.checks)
    element = INCONCLUSIVE_ELEMENT[journal.inconclusive]
    return {
        "failures": str(
            sum(r.status is CheckStatus.FAIL for r in journal.checks)
            + (inconclusive if element == "failure" else 0)
        ),
        "errors": str(inconclusive if element == "error" else 0),
        "skipped": str(inconclusive if element == "skipped" else 0),
    }


def _testsuite(journal: Journal) -> ET.Element:
    """The <testsuite> of one run: a testcase per check."""
    suite = ET.Element(
        "testsuite",
        _counts(journal),
        name=journal.scenario.name,
        tests=str(len(journal.checks)),
        time=_seconds(journal),
        timestamp=journal.started_at.isoformat(timespec="seconds"),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", journal.run_id),
        ("verdict", journal.verdict.value),
        ("inconclusive", journal.inconclusive.value),
        ("exit_code", str(journal.exit_code)),
        ("incident", str(journal.scenario.incident or "")),
        ("time_scale", f"{journal.time_scale:g}"),
        ("client", journal.client.name if journal.client else ""),
        ("wrong_answers", str(journal.wrong_answers.count)),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    for result in journal.checks:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_classname(journal.scenario.name),
            name=result.id,
            time="0",
        )
        props = ET.SubElement(case, "properties")
        for name, value in check_properties(result):
            ET.SubElement(props, "property", name=name, value=value)
        evidence = [result.evidence.interval()] if result.evidence is not None else []
        text = "\n".join([_value(result), *evidence, *result.details])
        if result.status is CheckStatus.PASS:
            ET.SubElement(case, "system-out").text = f"{result.reason}\n{text}"
        elif result.status is CheckStatus.FAIL:
            failure = ET.SubElement(case, "failure", message=result.reason, type=result.check.value)
            failure.text = text
        else:
            element = INCONCLUSIVE_ELEMENT[journal.inconclusive]
            ET.SubElement(
                case, element, message=f"inconclusive: {result.reason}", type="inconclusive"
            ).text = text
    return suite


def _seconds(journal: Journal) -> str:
    return f"{(journal.finished_at - journal.started_at).total_seconds():.3f}"


def junit_tree(journal: Journal) -> ET.ElementTree[ET.Element]:
    root = ET.Element(
        "testsuites",
        _counts(journal),
        name="harness",
        tests=str(len(journal.checks)),
        time=_seconds(journal),
    )
    root.append(_testsuite(journal))
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(journal: Journal, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(journal).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _errored(entry: SuiteEntry) -> ET.Element:
    """A scenario without a journal: it stopped the suite (exit 2, 3 or 130)."""
    suite = ET.Element(
        "testsuite", name=entry.scenario, tests="1", failures="0", errors="1", skipped="0"
    )
    case = ET.SubElement(suite, "testcase", classname=_classname(entry.scenario), name=RUN_CASE)
    message = entry.error or "no journal was written"
    error = ET.SubElement(case, "error", message=message, type=f"exit {entry.exit_code}")
    error.text = f"{entry.scenario_path}: {message}"
    return suite


def _skipped(scenario: str, stopped_at: str) -> ET.Element:
    suite = ET.Element("testsuite", name=scenario, tests="1", failures="0", errors="0", skipped="1")
    case = ET.SubElement(suite, "testcase", classname=_classname(scenario), name=RUN_CASE)
    ET.SubElement(case, "skipped", message=f"not run: the suite stopped at {stopped_at}")
    return suite


def suite_junit_tree(
    summary: SuiteSummary, journals: Mapping[str, Journal]
) -> ET.ElementTree[ET.Element]:
    """One <testsuites> for a suite: a <testsuite> per scenario, in the suite's order.

    `journals` maps run ids to their journals; an entry without one is written as errored.
    """
    suites: list[ET.Element] = []
    for entry in summary.runs:
        journal = journals.get(entry.run_id) if entry.run_id is not None else None
        suites.append(_testsuite(journal) if journal is not None else _errored(entry))
    stopped_at = summary.runs[-1].scenario if summary.runs else "the start"
    suites += [_skipped(name, stopped_at) for name in summary.not_run]
    seconds = (summary.finished_at - summary.started_at).total_seconds()
    root = ET.Element(
        "testsuites",
        name=f"harness suite {summary.selector}",
        tests=str(sum(int(s.get("tests", "0")) for s in suites)),
        failures=str(sum(int(s.get("failures", "0")) for s in suites)),
        errors=str(sum(int(s.get("errors", "0")) for s in suites)),
        skipped=str(sum(int(s.get("skipped", "0")) for s in suites)),
        time=f"{seconds:.3f}",
    )
    root.extend(suites)
    ET.indent(root)
    return ET.ElementTree(root)


def write_suite_junit(summary: SuiteSummary, journals: Mapping[str, Journal], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    suite_junit_tree(summary, journals).write(path, encoding="utf-8", xml_declaration=True)
    return path
