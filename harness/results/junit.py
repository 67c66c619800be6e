"""junit.xml for CI systems: one testcase per check; a failed check carries its reason.

write_junit(journal, run_dir / "junit.xml")
write_suite_junit(summary, journals, suite_dir / "junit.xml")   # one testsuite per scenario

The suite's file holds the same testsuite element each run's own junit.xml holds, so a CI system
can take the one file; a scenario that stopped the suite (exit 2, 3, 130) is a testsuite with one
errored testcase, and the scenarios it kept from running are skipped testcases.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from harness.results.checks import CheckResult
from harness.results.journal import Journal
from harness.results.suite import SuiteEntry, SuiteSummary

RUN_CASE: Final = "run"
"""The testcase name of a scenario that did not produce checks (it errored, or did not run)."""


def _value(result: CheckResult) -> str:
    measured = "not measured" if result.measured is None else f"{result.measured:g}"
    return f"measured {measured} {result.unit}, threshold {result.comparison} {result.threshold:g}"


def _classname(scenario: str) -> str:
    return f"harness.{scenario}"


def _testsuite(journal: Journal) -> ET.Element:
    """The <testsuite> of one run: a testcase per check."""
    failures = sum(not r.passed for r in journal.checks)
    suite = ET.Element(
        "testsuite",
        name=journal.scenario.name,
        tests=str(len(journal.checks)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=_seconds(journal),
        timestamp=journal.started_at.isoformat(timespec="seconds"),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", journal.run_id),
        ("verdict", journal.verdict.value),
        ("incident", str(journal.scenario.incident or "")),
        ("time_scale", f"{journal.time_scale:g}"),
        ("client", journal.client.name if journal.client else ""),
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
        text = "\n".join([_value(result), *result.details])
        if result.passed:
            ET.SubElement(case, "system-out").text = f"{result.reason}\n{text}"
        else:
            failure = ET.SubElement(case, "failure", message=result.reason, type=result.check.value)
            failure.text = text
    return suite


def _seconds(journal: Journal) -> str:
    return f"{(journal.finished_at - journal.started_at).total_seconds():.3f}"


def junit_tree(journal: Journal) -> ET.ElementTree[ET.Element]:
    failures = sum(not r.passed for r in journal.checks)
    root = ET.Element(
        "testsuites",
        name="harness",
        tests=str(len(journal.checks)),
        failures=str(failures),
        errors="0",
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
