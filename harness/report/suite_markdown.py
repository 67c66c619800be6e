"""A suite's summary.md: the verdict over every scenario, for a CI job summary or a PR/MR comment.

    text = render_suite_summary(summary, {journal.run_id: journal, ...})

The verdict and the meaning of the exit code come first, then a row per scenario (verdict, the share
served during the fault, checks passed, failed and inconclusive checks, a link to the run's
report.html relative to the suite folder), then each failed check with its one-line reason, then
each inconclusive one with its evidence (n and the interval that straddles the threshold). Every
free text is clipped, so even a suite of hundreds of scenarios stays far below GitHub's 1 MiB
job-summary limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

from harness.durations import format_duration
from harness.report.files import REPORT_FILE
from harness.report.markdown import cell, table
from harness.report.values import (
    EXIT_MEANINGS,
    ExitMeaning,
    evidence_text,
    exit_codes_line,
    exit_meaning,
    measured_text,
    policy_note,
    threshold_text,
)
from harness.results.checks import CheckResult, CheckStatus, Verdict
from harness.results.journal import Journal
from harness.results.suite import SuiteEntry, SuiteSummary, SuiteVerdict

KEY_CHECK: Final = "served_rate.during"
"""The figure shown per scenario: were patients served while the fault was on."""
MAX_TEXT: Final = 400
"""Characters kept of a reason or an error message (a process's output tail can be long)."""


_MARKS: Final = {
    SuiteVerdict.PASS: "✅",
    SuiteVerdict.FAIL: "❌",
    SuiteVerdict.INCONCLUSIVE: "❔",
    SuiteVerdict.ERROR: "⚠️",
}


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render_suite_summary(summary: SuiteSummary, journals: Mapping[str, Journal]) -> str:
    """summary.md of a suite; `journals` maps each run id of `summary.runs` to its journal."""
    rows = [(entry, _journal_of(entry, journals)) for entry in summary.runs]
    passed = sum(entry.verdict is SuiteVerdict.PASS for entry in summary.runs)
    total = len(summary.runs) + len(summary.not_run)
    clients = sorted({j.client.name for _, j in rows if j is not None and j.client is not None})
    lines = [_headline(summary, passed, total), ""]
    lines.append(
        f"Suite `{summary.suite_id}` (`--suite {cell(summary.selector)}`)"
        + (f" against {cell(', '.join(clients))}" if clients else "")
        + f", {format_duration((summary.finished_at - summary.started_at).total_seconds())} "
        f"of wall time. **Exit code {summary.exit_code}**: {_exit_text(summary)}."
    )
    lines += ["", "### Scenarios", ""]
    lines += table(
        (
            "scenario",
            "verdict",
            "served during the fault",
            "checks passed",
            "failed or inconclusive checks",
        ),
        [_row(entry, journal) for entry, journal in rows]
        + [(f"`{name}`", "not run", "", "", "") for name in summary.not_run],
    )
    lines.append("")
    failed = [
        (entry, check)
        for entry, journal in rows
        if journal is not None
        for check in journal.checks
        if check.status is CheckStatus.FAIL
    ]
    if failed:
        lines += ["### Failed checks", ""]
        lines += [
            f"- `{cell(entry.scenario)}` `{check.id}`: {cell(clip(check.reason))}"
            for entry, check in failed
        ]
        lines.append("")
    inconclusive = [
        (entry, check)
        for entry, journal in rows
        if journal is not None
        for check in journal.checks
        if check.inconclusive
    ]
    if inconclusive:
        lines += ["### Inconclusive checks", ""]
        lines += [
            f"- `{cell(entry.scenario)}` `{check.id}` ({cell(evidence_text(check))}): "
            f"{cell(clip(check.reason))}"
            for entry, check in inconclusive
        ]
        lines.append("")
    stopped = [entry for entry, journal in rows if journal is None]
    if stopped:
        lines += ["### Errors", ""]
        lines += [
            f"- `{cell(entry.scenario)}` ({cell(entry.scenario_path)}, exit {entry.exit_code}): "
            f"{cell(clip(entry.error or 'no journal was written'))}"
            for entry in stopped
        ]
        if summary.not_run:
            lines.append(
                f"- The suite stopped there: {len(summary.not_run)} scenario(s) did not run."
            )
        lines.append("")
    lines.append(
        "Reports: each scenario's report.html, summary.md, journal.json and junit.xml are in its "
        "run folder (linked above, relative to the suite folder: open this file from the uploaded "
        "reports); the suite folder's junit.xml merges them and index.html lists them. Exit codes: "
        + exit_codes_line()
        + "."
    )
    return "\n".join(lines) + "\n"


def _exit_text(summary: SuiteSummary) -> str:
    if summary.verdict is SuiteVerdict.INCONCLUSIVE:
        note = policy_note(Verdict.INCONCLUSIVE, summary.exit_code, summary.inconclusive)
        if note:
            return note
    return exit_meaning(summary.exit_code)


def _headline(summary: SuiteSummary, passed: int, total: int) -> str:
    mark = _MARKS[summary.verdict]
    word = summary.verdict.value.upper()
    if summary.verdict is SuiteVerdict.ERROR and summary.runs:
        where = cell(summary.runs[-1].scenario)
        return f"## {mark} {word}: the suite stopped at {where} ({passed} of {total} passed)"
    inconclusive = sum(entry.verdict is SuiteVerdict.INCONCLUSIVE for entry in summary.runs)
    more = f", {inconclusive} inconclusive" if inconclusive else ""
    return f"## {mark} {word}: {passed} of {total} scenarios passed{more}"


def _journal_of(entry: SuiteEntry, journals: Mapping[str, Journal]) -> Journal | None:
    return journals.get(entry.run_id) if entry.run_id is not None else None


def _row(entry: SuiteEntry, journal: Journal | None) -> tuple[str, ...]:
    verdict = f"{_MARKS[entry.verdict]} {entry.verdict.value.upper()}"
    if journal is None or entry.journal is None:
        return (f"`{entry.scenario}`", f"{verdict} (exit {entry.exit_code})", "", "", "")
    report = (Path(entry.journal).parent / REPORT_FILE).as_posix()
    passed = sum(c.passed for c in journal.checks)
    not_passed = [
        f"`{c.id}`" + (" (inconclusive)" if c.inconclusive else "")
        for c in journal.checks
        if not c.passed
    ]
    return (
        f"[`{entry.scenario}`]({report})",
        verdict,
        _key_figure(journal.checks),
        f"{passed} / {len(journal.checks)}",
        ", ".join(not_passed),
    )


def _key_figure(checks: tuple[CheckResult, ...]) -> str:
    key = next((c for c in checks if c.id == KEY_CHECK), None)
    if key is None:
        return "n/a (no served_rate.during check)"
    return f"{measured_text(key)} ({threshold_text(key)})"


__all__ = ["EXIT_MEANINGS", "KEY_CHECK", "MAX_TEXT", "ExitMeaning", "clip", "render_suite_summary"]
