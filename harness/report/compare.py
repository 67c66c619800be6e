"""What changed between two runs, e.g. the same scenario against two versions of a client.

rows = compare_runs(before, after)          # one Row per verdict, check, integrity figure
print(render_comparison(before, after))     # a Markdown table, changed rows marked
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.report.markdown import cell, table, verdict_mark
from harness.report.values import integrity_rows, measured_text, pass_text, verdict_text
from harness.results.checks import CheckResult
from harness.results.journal import Journal

ABSENT = "-"


@dataclass(frozen=True, kw_only=True)
class Row:
    """One compared figure: its text in run A and in run B, and what changed."""

    label: str
    a: str
    b: str
    change: str

    @property
    def changed(self) -> bool:
        return bool(self.change)


def _check_text(check: CheckResult | None) -> str:
    return ABSENT if check is None else f"{measured_text(check)} {pass_text(check.passed)}"


def _check_change(a: CheckResult | None, b: CheckResult | None) -> str:
    if a is None or b is None:
        return "only in A" if b is None else "only in B"
    if a.passed != b.passed:
        return f"{pass_text(a.passed)} -> {pass_text(b.passed)}"
    if measured_text(a) != measured_text(b):
        return "value"
    if a.threshold != b.threshold:
        return "threshold"
    return ""


def compare_runs(a: Journal, b: Journal) -> list[Row]:
    """Verdict, then every check (A's order, then B's own), then the integrity figures."""
    rows = [
        Row(
            label="verdict",
            a=verdict_text(a.verdict),
            b=verdict_text(b.verdict),
            change=""
            if a.verdict is b.verdict
            else f"{verdict_text(a.verdict)} -> {verdict_text(b.verdict)}",
        )
    ]
    checks_a = {c.id: c for c in a.checks}
    checks_b = {c.id: c for c in b.checks}
    for check_id in [*checks_a, *(i for i in checks_b if i not in checks_a)]:
        one, other = checks_a.get(check_id), checks_b.get(check_id)
        rows.append(
            Row(
                label=check_id,
                a=_check_text(one),
                b=_check_text(other),
                change=_check_change(one, other),
            )
        )
    figures_a = dict(integrity_rows(a.integrity))
    figures_b = dict(integrity_rows(b.integrity))
    for label in [*figures_a, *(f for f in figures_b if f not in figures_a)]:
        value_a, value_b = figures_a.get(label, ABSENT), figures_b.get(label, ABSENT)
        rows.append(
            Row(label=label, a=value_a, b=value_b, change="" if value_a == value_b else "value")
        )
    return rows


def _describe(journal: Journal) -> str:
    client = journal.client.name if journal.client is not None else "no client"
    return f"`{journal.run_id}` ({journal.scenario.name}, {client})"


def render_comparison(a: Journal, b: Journal) -> str:
    rows = compare_runs(a, b)
    changed = sum(r.changed for r in rows)
    lines = [
        f"## Compare: {verdict_mark(a.verdict)} A -> {verdict_mark(b.verdict)} B",
        "",
        f"- A: {cell(_describe(a))}",
        f"- B: {cell(_describe(b))}",
    ]
    if a.scenario.name != b.scenario.name:
        lines.append("- note: the runs are of different scenarios")
    lines += [
        "",
        *table(
            ("", "A", "B", "change"),
            ((f"**{r.label}**" if r.changed else r.label, r.a, r.b, r.change) for r in rows),
        ),
        "",
        f"{changed} of {len(rows)} figures changed.",
    ]
    return "\n".join(lines) + "\n"
