"""junit.xml for CI systems: one testcase per check; a failed check carries its reason.

write_junit(journal, run_dir / "junit.xml")
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.results.checks import CheckResult
from harness.results.journal import Journal


def _value(result: CheckResult) -> str:
    measured = "not measured" if result.measured is None else f"{result.measured:g}"
    return f"measured {measured} {result.unit}, threshold {result.comparison} {result.threshold:g}"


def junit_tree(journal: Journal) -> ET.ElementTree[ET.Element]:
    failures = sum(not r.passed for r in journal.checks)
    seconds = f"{(journal.finished_at - journal.started_at).total_seconds():.3f}"
    root = ET.Element(
        "testsuites",
        name="harness",
        tests=str(len(journal.checks)),
        failures=str(failures),
        errors="0",
        time=seconds,
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name=journal.scenario.name,
        tests=str(len(journal.checks)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=seconds,
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
            classname=f"harness.{journal.scenario.name}",
            name=result.id,
            time="0",
        )
        text = "\n".join([_value(result), *result.details])
        if result.passed:
            ET.SubElement(case, "system-out").text = f"{result.reason}\n{text}"
        else:
            failure = ET.SubElement(case, "failure", message=result.reason, type=result.check.value)
            failure.text = text
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(journal: Journal, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(journal).write(path, encoding="utf-8", xml_declaration=True)
    return path
