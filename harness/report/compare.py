"""What changed between two runs, e.g. the same scenario against two versions of a client.

rows = compare_runs(before, after)          # one Row per verdict, check, integrity figure
print(render_comparison(before, after))     # a Markdown table, changed rows marked

For every rate check (served_rate.*) measured in both runs, `Row.difference` says whether the
rates differ by more than chance: B's rate minus A's in percentage points, and a two-sided
two-proportion z-test on the pooled proportion (harness.results.evidence.two_proportion_p_value),
significant when p < 0.05 ("significant (p=0.003)", "not significant (p=0.41)"); a rate that
must stay low (no_wrong_answers' max_rate) the same, its difference in its own measured rate.
The runs' wrong answers (journal `wrong_answers` over the requests recorded) are compared the
same way whether or not a check judged them. The test takes
the requests as independent trials; requests of one run share the same faults and patients, so a
p-value near 0.05 is weaker evidence than it looks. Percentiles, times and counts are compared
by value only.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.report.markdown import cell, table, verdict_mark
from harness.report.values import integrity_rows, measured_text, status_text, verdict_text
from harness.results.checks import CheckResult
from harness.results.evidence import CONFIDENCE, two_proportion_p_value
from harness.results.journal import Journal

ABSENT = "-"


@dataclass(frozen=True, kw_only=True)
class Row:
    """One compared figure: its text in run A and in run B, and what changed."""

    label: str
    a: str
    b: str
    change: str
    difference: str = ""
    """For a rate check in both runs: its n in each, B - A, and whether that is significant."""
    significant: bool | None = None
    """For a rate check in both runs: p < 1 - CONFIDENCE; None for every other row."""

    @property
    def changed(self) -> bool:
        return bool(self.change)


def p_text(p: float) -> str:
    """A p-value as text: `p=0.003`, `p=0.41`, `p<0.001`."""
    return "p<0.001" if p < 0.001 else f"p={p:.2g}"


def rate_difference(a: CheckResult, b: CheckResult) -> tuple[str, bool] | None:
    """B's rate against A's with the two-proportion test; None unless both are rates with
    requests."""
    ea, eb = a.evidence, b.evidence
    if ea is None or eb is None or ea.method != "wilson" or eb.method != "wilson":
        return None
    if ea.good is None or eb.good is None:
        return None
    if a.measured is None or b.measured is None:
        return None
    return _difference(ea.good, ea.n, eb.good, eb.n, points=(b.measured - a.measured) * 100)


def _difference(
    good_a: int, total_a: int, good_b: int, total_b: int, *, points: float
) -> tuple[str, bool] | None:
    p = two_proportion_p_value(good_a, total_a, good_b, total_b)
    if p is None:
        return None
    significant = p < 1 - CONFIDENCE
    verdict = "significant" if significant else "not significant"
    return f"n {total_a} vs {total_b}; {points:+.1f} points, {verdict} ({p_text(p)})", significant


def _wrong_row(a: Journal, b: Journal) -> Row:
    """The runs' wrong answers over their recorded requests, and whether the rates differ."""

    def share(journal: Journal) -> tuple[int, int, str]:
        wrong = journal.wrong_answers.count
        total = sum(p.requests for p in journal.timeline.per_phase)
        rate = f" ({wrong / total * 100:.2f}%)" if total else ""
        return wrong, total, f"{wrong} of {total}{rate}"

    wrong_a, total_a, text_a = share(a)
    wrong_b, total_b, text_b = share(b)
    rate = None
    if total_a and total_b:
        points = (wrong_b / total_b - wrong_a / total_a) * 100
        rate = _difference(wrong_a, total_a, wrong_b, total_b, points=points)
    return Row(
        label="wrong answers",
        a=text_a,
        b=text_b,
        change="" if text_a == text_b else "value",
        difference="" if rate is None else rate[0],
        significant=None if rate is None else rate[1],
    )


def _check_text(check: CheckResult | None) -> str:
    return ABSENT if check is None else f"{measured_text(check)} {status_text(check.status)}"


def _check_change(a: CheckResult | None, b: CheckResult | None) -> str:
    if a is None or b is None:
        return "only in A" if b is None else "only in B"
    if a.status is not b.status:
        return f"{status_text(a.status)} -> {status_text(b.status)}"
    if measured_text(a) != measured_text(b):
        return "value"
    if a.threshold != b.threshold:
        return "threshold"
    return ""


def compare_runs(a: Journal, b: Journal) -> list[Row]:
    """Verdict, then every check (A's order, then B's own), the wrong answers, then the
    integrity figures."""
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
        rate = rate_difference(one, other) if one is not None and other is not None else None
        rows.append(
            Row(
                label=check_id,
                a=_check_text(one),
                b=_check_text(other),
                change=_check_change(one, other),
                difference="" if rate is None else rate[0],
                significant=None if rate is None else rate[1],
            )
        )
    rows.append(_wrong_row(a, b))
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
    rates = [r for r in rows if r.significant is not None]
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
            ("", "A", "B", "change", "rate difference B - A"),
            (
                (f"**{r.label}**" if r.changed else r.label, r.a, r.b, r.change, r.difference)
                for r in rows
            ),
        ),
        "",
        f"{changed} of {len(rows)} figures changed; "
        f"{sum(bool(r.significant) for r in rates)} of {len(rates)} rate differences are "
        f"significant (two-sided two-proportion z-test, p < {1 - CONFIDENCE:.2g}).",
    ]
    return "\n".join(lines) + "\n"
