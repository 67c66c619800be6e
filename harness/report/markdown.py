"""summary.md: the run in GitHub-flavoured Markdown, for CI job summaries and PR comments.

text = render_summary(journal)    # verdict line, checks table, integrity (and wrong answers),
                                  # faults, environment

Each check's row has its evidence: n (and the good ones) with the 95 % interval for a rate or a
percentile, the fault episodes for a time, "exact count" for a count. An inconclusive check (its
interval straddles the threshold) is marked ❔; the foot lists what every exit code means.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from harness.durations import format_duration
from harness.report.values import (
    evidence_text,
    exit_codes_line,
    exit_label,
    fault_label,
    integrity_rows,
    load_rows,
    measured_text,
    policy_note,
    status_mark,
    status_text,
    threshold_text,
    verdict_text,
    wrong_example_rows,
    wrong_rows,
)
from harness.results.checks import Verdict
from harness.results.journal import Journal


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line; pipes escaped, and `<` so that no text
    from a journal turns into HTML (`>` stays readable: it only matters at the start of a line)."""
    flat = " ".join(text.split())
    return flat.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table as lines; every cell goes through `cell`."""
    lines = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "|" + "|".join(" --- " for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def verdict_mark(verdict: Verdict) -> str:
    return status_mark(verdict)


def checks_line(journal: Journal) -> str:
    """e.g. `5 of 7 checks passed, 1 inconclusive (exit code 4: inconclusive)`."""
    passed = sum(c.passed for c in journal.checks)
    inconclusive = sum(c.inconclusive for c in journal.checks)
    more = f", {inconclusive} inconclusive" if inconclusive else ""
    meaning = policy_note(journal.verdict, journal.exit_code, journal.inconclusive) or exit_label(
        journal.exit_code
    )
    return (
        f"{passed} of {len(journal.checks)} checks passed{more} "
        f"(exit code {journal.exit_code}: {meaning})"
    )


def render_summary(journal: Journal) -> str:
    scenario = journal.scenario
    client = journal.client.name if journal.client is not None else "none"
    answers = journal.wrong_answers
    lines = [
        f"## {verdict_mark(journal.verdict)} {verdict_text(journal.verdict)}: "
        f"{cell(scenario.name)} against {cell(client)}",
        "",
        f"{cell(scenario.title)}. Run `{journal.run_id}`, "
        f"{format_duration(journal.duration_s)} of load at time scale {journal.time_scale:g}; "
        f"{checks_line(journal)}.",
        "",
        "### Checks",
        "",
        *table(
            ("check", "value", "evidence", "threshold", "result", "reason"),
            (
                (
                    f"`{c.id}`",
                    measured_text(c),
                    evidence_text(c),
                    threshold_text(c),
                    f"{status_mark(c.status)} {status_text(c.status)}",
                    c.reason,
                )
                for c in journal.checks
            ),
        ),
        "",
        "### Data integrity",
        "",
        *table(("figure", "value"), [*integrity_rows(journal.integrity), *wrong_rows(answers)]),
        "",
    ]
    if answers.count:
        shown = len(answers.examples)
        lines += [
            "### Answers that contradicted the truth",
            "",
            f"{answers.count} wrong answers; {shown} example{'s' if shown != 1 else ''}:",
            "",
            *table(
                ("time", "phase", "request", "said", "truth", "why"),
                wrong_example_rows(answers),
            ),
            "",
        ]
    if journal.load is not None:
        lines += ["### Load", "", *table(("figure", "value"), load_rows(journal.load)), ""]
    if journal.faults:
        lines += ["### Faults", ""]
        lines += table(
            ("fault", "scheduled", "actual", "error"),
            (
                (
                    fault_label(w),
                    _span(w.scheduled_start, w.scheduled_end),
                    "not applied"
                    if w.actual_start is None
                    else _span(w.actual_start, w.actual_end),
                    w.error or "",
                )
                for w in journal.faults
            ),
        )
        lines.append("")
    versions = journal.versions
    lines.append(
        f"Seed {scenario.stack.seed}; harness {versions.harness or 'n/a'}, "
        f"python {versions.python}, locust {versions.locust or 'n/a'}, "
        f"toxiproxy {versions.toxiproxy or 'n/a'}. The full report is report.html beside this "
        "file."
    )
    lines += ["", f"Exit codes: {exit_codes_line()}."]
    return "\n".join(lines) + "\n"


def _span(start: float, end: float | None) -> str:
    return f"{start:.1f}s to {'end' if end is None else f'{end:.1f}s'}"
