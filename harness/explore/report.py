"""explore.md and explore.html: the trials, the minimal scenarios, and where the time went.

Both are rendered from explore.json alone, so they can be written again from the journal of an
exploration that was stopped. index.html, over every run of the exploration, links explore.html.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Final

from harness.explore.journal import ExploreJournal
from harness.report.files import REPORT_FILE
from harness.report.html import CSS
from harness.report.index import render_index
from harness.results.journal import read_journal

MARKDOWN_FILE: Final = "explore.md"
HTML_FILE: Final = "explore.html"
INDEX_FILE: Final = "index.html"


def headline(journal: ExploreJournal) -> str:
    ran = sum(t.verdict is not None for t in journal.trials)
    found = len(journal.minimal)
    what = f"{found} failure{'s' if found != 1 else ''} found" if found else "no failure found"
    unconfirmed = sum(t.outcome.startswith(("flaky", "not confirmed")) for t in journal.trials)
    if unconfirmed:
        what += f" ({unconfirmed} failing trial{'s' if unconfirmed != 1 else ''} not confirmed)"
    return (
        f"{what} in {ran} trial{'s' if ran != 1 else ''} and {len(journal.runs)} runs "
        f"({journal.elapsed_s / 60:.1f} of {journal.budget_s / 60:.1f} min budget; "
        f"stopped: {journal.stopped.value if journal.stopped else 'running'})"
    )


def _ran(journal: ExploreJournal) -> int:
    return sum(t.verdict is not None for t in journal.trials)


def trials_per_minute(journal: ExploreJournal) -> float:
    """Trials per minute of the time spent running trials (confirmation and shrinking apart)."""
    seconds = journal.phase_seconds.get("trials", 0.0)
    return _ran(journal) / (seconds / 60) if seconds else 0.0


def _minutes(journal: ExploreJournal) -> float:
    return max(journal.elapsed_s, 1.0) / 60


def render_markdown(journal: ExploreJournal) -> str:
    lines = [
        f"# Exploration {journal.explore_id}",
        "",
        f"**{headline(journal)}**",
        "",
        f"- client: `{journal.client}`; base: {journal.base}"
        + (f" (`{journal.base_path}`)" if journal.base_path else ""),
        f"- seed: {journal.seed}; targets: {', '.join(journal.targets)}; trial length: "
        f"{journal.trial_length_s:g}s; parallel: {journal.parallel}",
        f"- trials per minute: {trials_per_minute(journal):.2f} while drawing "
        f"({_ran(journal) / _minutes(journal):.2f} over the whole exploration)",
    ]
    if journal.error:
        lines.append(f"- stopped by an error: {journal.error}")
    lines += ["", "## Minimal scenarios", ""]
    if not journal.minimal:
        lines.append("None: no trial failed the same check on its confirmation run.")
    for minimal in journal.minimal:
        lines += [
            f"### {minimal.file}",
            "",
            f"- keeps failing: `{minimal.check}`; its confirmation run failed: "
            f"{', '.join(minimal.failed)}"
            + ("" if minimal.complete else " (shrinking was stopped before its end)"),
            f"- {len(minimal.timeline)} step(s), from trial {minimal.trial}: {minimal.steps}",
            f"- replay: `{minimal.replay}`",
            f"- its run: [{minimal.run_dir}/{REPORT_FILE}]({minimal.run_dir}/{REPORT_FILE})",
            "",
        ]
    lines += ["## Time per phase", "", "| phase | runs | wall seconds |", "|---|---:|---:|"]
    for phase, seconds in journal.phase_seconds.items():
        count = sum(r.phase == phase for r in journal.runs)
        lines.append(f"| {phase} | {count} | {seconds:.0f} |")
    lines += [
        "",
        "## Trials",
        "",
        "| trial | verdict | failed checks | faults | outcome |",
        "|---:|---|---|---|---|",
    ]
    for trial in journal.trials:
        verdict = (trial.verdict or "not run").upper()
        lines.append(
            f"| {trial.number} | {verdict} | {', '.join(trial.failed)} | {trial.steps} | "
            f"{trial.outcome} |"
        )
    lines += [
        "",
        "## Every run",
        "",
        "| run | trial | purpose | phase | verdict | failed | s |",
        "|---:|---:|---|---|---|---|---:|",
    ]
    for run in journal.runs:
        lines.append(
            f"| [{run.number}]({run.run_dir}/{REPORT_FILE}) | {run.trial} | {run.purpose.value} "
            f"| {run.phase} | {run.verdict.upper()} | {', '.join(run.failed)} | {run.wall_s:.0f} |"
        )
    return "\n".join(lines) + "\n"


def render_html(journal: ExploreJournal) -> str:
    failed = bool(journal.minimal)
    css = "fail" if failed else "pass"
    word = "FAILURE FOUND" if failed else "NOTHING FOUND"

    def table(head: list[str], rows: list[list[str]]) -> str:
        th = "".join(f"<th>{h}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
        return (
            f'<div class="card"><table><thead><tr>{th}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
        )

    minimal = [
        [
            f'<a href="{escape(m.file, quote=True)}">{escape(m.file)}</a>',
            escape(m.check),
            escape(", ".join(m.failed)),
            escape(m.steps),
            f'<a href="{escape(m.run_dir, quote=True)}/{REPORT_FILE}">report</a>',
            f"<code>{escape(m.replay)}</code>",
        ]
        for m in journal.minimal
    ]
    phases = [
        [escape(p), str(sum(r.phase == p for r in journal.runs)), f"{s:.0f}"]
        for p, s in journal.phase_seconds.items()
    ]
    trials = [
        [
            str(t.number),
            escape((t.verdict or "not run").upper()),
            escape(", ".join(t.failed)),
            escape(t.steps),
            escape(t.outcome),
        ]
        for t in journal.trials
    ]
    runs = [
        [
            f'<a href="{escape(r.run_dir, quote=True)}/{REPORT_FILE}">{r.number}</a>',
            str(r.trial),
            r.purpose.value,
            escape(r.phase),
            r.verdict.upper(),
            escape(", ".join(r.failed)),
            f"{r.wall_s:.0f}",
        ]
        for r in journal.runs
    ]
    facts = (
        f"client {escape(journal.client)}, base {escape(journal.base)}, seed {journal.seed}, "
        f"targets {escape(', '.join(journal.targets))}, trial length {journal.trial_length_s:g}s"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{word}: {escape(journal.explore_id)}</title><style>{CSS}</style></head>"
        f'<body><main><header class="verdict {css}"><div class="word">{word}</div>'
        f"<p>{escape(headline(journal))}</p><p>{facts}</p></header>"
        + (f"<p>stopped by an error: {escape(journal.error)}</p>" if journal.error else "")
        + "<h2>Minimal scenarios</h2>"
        + (
            table(
                ["file", "keeps failing", "failed in its run", "faults", "run", "replay"], minimal
            )
            if minimal
            else "<p>None: no trial failed the same check on its confirmation run.</p>"
        )
        + "<h2>Time per phase</h2>"
        + table(["phase", "runs", "wall seconds"], phases)
        + "<h2>Trials</h2>"
        + table(["trial", "verdict", "failed checks", "faults", "outcome"], trials)
        + "<h2>Every run</h2>"
        + table(["run", "trial", "purpose", "phase", "verdict", "failed", "s"], runs)
        + '<p><a href="index.html">every run\'s report</a></p></main></body></html>\n'
    )


def write_report(explore_dir: Path, journal: ExploreJournal) -> None:
    (explore_dir / MARKDOWN_FILE).write_text(render_markdown(journal), encoding="utf-8")
    (explore_dir / HTML_FILE).write_text(render_html(journal), encoding="utf-8")
    runs = []
    for run in journal.runs:
        path = explore_dir / run.run_dir / "journal.json"
        if path.is_file():
            runs.append((run.run_dir, read_journal(path)))
    (explore_dir / INDEX_FILE).write_text(
        render_index(runs, links=[(HTML_FILE, "the exploration: trials and minimal scenarios")]),
        encoding="utf-8",
    )


__all__ = [
    "HTML_FILE",
    "MARKDOWN_FILE",
    "headline",
    "render_html",
    "render_markdown",
    "write_report",
]
