"""How a report writes the numbers of a journal, the same in HTML, Markdown and comparisons.

measured_text(check)    "99.2%", "1.3s", "0", or "n/a" when it could not be measured
threshold_text(check)   ">= 90.0%", "<= 2s"
fault_label(window)     "bpjs: down"
"""

from __future__ import annotations

from harness.durations import format_duration
from harness.results.checks import CheckResult, Unit, Verdict
from harness.results.journal import IntegritySummary
from harness.results.run import FaultWindow


def value_text(value: float | None, unit: Unit) -> str:
    """One value in its unit's human form."""
    if value is None:
        return "n/a"
    if unit is Unit.RATIO:
        return f"{value * 100:.1f}%"
    if unit is Unit.SECONDS:
        return format_duration(value)
    return f"{value:g}"


def measured_text(check: CheckResult) -> str:
    return value_text(check.measured, check.unit)


def threshold_text(check: CheckResult) -> str:
    return f"{check.comparison.value} {value_text(check.threshold, check.unit)}"


def pass_text(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def verdict_text(verdict: Verdict) -> str:
    return verdict.value.upper()


def fault_label(window: FaultWindow) -> str:
    """A short name for a fault window, used on the chart and in tables."""
    return f"{window.target}: {window.kind}"


def integrity_rows(integrity: IntegritySummary) -> list[tuple[str, str]]:
    """(figure, value) pairs: accepted vs recorded per kind, lost, duplicate groups."""
    kinds = sorted({*integrity.accepted, *integrity.ledger_records})
    rows = [
        (
            f"{kind.value}: accepted / in the ledger",
            f"{integrity.accepted.get(kind, 0)} / {integrity.ledger_records.get(kind, 0)}",
        )
        for kind in kinds
    ]
    extra = sum(group.count - 1 for group in integrity.duplicate_groups)
    rows.append(("lost (accepted, not in the ledger)", str(integrity.lost)))
    rows.append(
        ("duplicate groups (extra records)", f"{len(integrity.duplicate_groups)} ({extra})")
    )
    return rows
