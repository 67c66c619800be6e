"""report.html: one self-contained page per run (inline CSS and SVG, no script, no network).

    page = render_html(journal)

Order: the verdict, the timeline chart, the checks, the phases, the faults, data integrity and
liveness, the answers that contradicted the truth (when any), the load, the environment. Every
piece of text from the journal is escaped. Each check shows its evidence (n, the 95 % interval,
or the fault episodes) and, for a rate or a percentile, an error bar against its threshold
(harness.report.error_bar).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Final

from harness.durations import format_duration
from harness.report.chart import render_chart
from harness.report.error_bar import error_bar
from harness.report.values import (
    evidence_text,
    exit_label,
    fault_label,
    integrity_rows,
    load_rows,
    measured_text,
    policy_note,
    status_text,
    threshold_text,
    verdict_text,
    wrong_example_rows,
    wrong_rows,
)
from harness.results.checks import CheckStatus, Verdict
from harness.results.journal import Journal, Percentiles
from harness.results.run import FaultWindow

MAX_DUPLICATES_SHOWN: Final = 20

CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;
background:#f6f7f9;line-height:1.4}
main{max-width:1000px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;margin:1.6em 0 .5em}
.verdict{border-radius:8px;padding:14px 18px;color:#fff}
.verdict.pass{background:#2e7d32}.verdict.fail{background:#c62828}
.verdict.inconclusive{background:#b26a00}
.verdict .word{font-size:2em;font-weight:700;letter-spacing:.05em}
.verdict p{margin:.3em 0}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 14px;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e5e5e5;vertical-align:top}
th{background:#fafafa}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.failed td{background:#fdecea}tr.inconclusive td{background:#fff4e0}
.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:700}
.unsure{color:#b26a00;font-weight:700}td.evidence{white-space:nowrap;font-size:.9em}
svg.bar{display:block}
code{font-size:.95em}ul.details{margin:.2em 0 0 1.2em;padding:0;color:#555}
svg{max-width:100%;height:auto}
"""


def render_html(journal: Journal) -> str:
    """The whole page."""
    scenario = journal.scenario
    title = f"{verdict_text(journal.verdict)}: {scenario.name} ({journal.run_id})"
    sections = [
        _verdict(journal),
        _section("Timeline", f'<div class="card">{render_chart(journal, standalone=False)}</div>'),
        _section("Checks", _checks(journal)),
        _section("Phases", _phases(journal)),
        _section("Faults", _faults(journal)),
        _section("Data integrity and liveness", _integrity(journal)),
        *_wrong_answers(journal),
        _section("Load", _load(journal)),
        _section("Environment", _environment(journal)),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(sections)}</main></body></html>\n"
    )


def _section(heading: str, body: str) -> str:
    return f"<section><h2>{escape(heading)}</h2>{body}</section>"


def _table(header: Sequence[str], rows: Iterable[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(rows)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="card">{table}</div>'


def _cells(*values: str, numeric: Sequence[int] = ()) -> str:
    return "".join(
        f'<td class="num">{escape(v)}</td>' if i in numeric else f"<td>{escape(v)}</td>"
        for i, v in enumerate(values)
    )


VERDICT_CLASS: Final = {
    Verdict.PASS: "pass",
    Verdict.FAIL: "fail",
    Verdict.INCONCLUSIVE: "inconclusive",
}
ROW_CLASS: Final = {
    CheckStatus.PASS: "passed",
    CheckStatus.FAIL: "failed",
    CheckStatus.INCONCLUSIVE: "inconclusive",
}
RESULT_CLASS: Final = {
    CheckStatus.PASS: "ok",
    CheckStatus.FAIL: "bad",
    CheckStatus.INCONCLUSIVE: "unsure",
}


def _verdict(journal: Journal) -> str:
    scenario = journal.scenario
    failed = [c.id for c in journal.checks if c.status is CheckStatus.FAIL]
    inconclusive = [c.id for c in journal.checks if c.inconclusive]
    passed = len(journal.checks) - len(failed) - len(inconclusive)
    counts = f"{passed} of {len(journal.checks)} checks passed"
    if failed:
        counts += "; failed: " + ", ".join(failed)
    if inconclusive:
        counts += "; inconclusive (too little evidence either way): " + ", ".join(inconclusive)
    client = journal.client.name if journal.client is not None else "none"
    incident = f"incident {scenario.incident}: " if scenario.incident is not None else ""
    meaning = policy_note(journal.verdict, journal.exit_code, journal.inconclusive) or exit_label(
        journal.exit_code
    )
    return (
        f'<header class="verdict {VERDICT_CLASS[journal.verdict]}">'
        f'<div class="word">{escape(verdict_text(journal.verdict))}</div>'
        f"<h1>{escape(scenario.title)}</h1>"
        f"<p>{escape(incident)}scenario <code>{escape(scenario.name)}</code> against client "
        f"<code>{escape(client)}</code>; exit code {journal.exit_code} "
        f"({escape(meaning)})</p>"
        f"<p>{escape(counts)}</p>"
        f"<p>run {escape(journal.run_id)}, started {escape(journal.started_at.isoformat())}, "
        f"{escape(format_duration(journal.duration_s))} of load</p></header>"
    )


def _checks(journal: Journal) -> str:
    rows = []
    for check in journal.checks:
        details = "".join(f"<li>{escape(d)}</li>" for d in check.details)
        reason = escape(check.reason) + (f'<ul class="details">{details}</ul>' if details else "")
        rows.append(
            f'<tr class="{ROW_CLASS[check.status]}">'
            f"<td><code>{escape(check.id)}</code></td>"
            + _cells(measured_text(check), threshold_text(check), numeric=(0, 1))
            + f'<td class="evidence">{error_bar(check)}{escape(evidence_text(check))}</td>'
            f'<td class="{RESULT_CLASS[check.status]}">{escape(status_text(check.status))}</td>'
            f"<td>{reason}</td></tr>"
        )
    if not rows:
        rows.append('<tr><td colspan="6">this scenario has no checks</td></tr>')
    note = (
        "<p>A rate or a percentile passes when its whole 95% interval is on the good side of "
        "the threshold (the dashed line; the bad side is shaded), fails when the whole interval "
        "is on the bad side, and is inconclusive when the interval crosses the line: too few "
        "requests to tell. Counts and times are exact.</p>"
    )
    return _table(("check", "value", "threshold", "evidence", "result", "reason"), rows) + note


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def _latency(p: Percentiles) -> tuple[str, str, str]:
    return _ms(p.p50_ms), _ms(p.p95_ms), _ms(p.p99_ms)


def _phases(journal: Journal) -> str:
    rows = []
    for phase in journal.timeline.per_phase:
        rate = "n/a" if phase.served_rate is None else f"{phase.served_rate * 100:.1f}%"
        rows.append(
            "<tr>"
            + _cells(
                phase.phase,
                f"{phase.start:.1f}s to {phase.end:.1f}s",
                str(phase.requests),
                str(phase.served),
                str(phase.degraded),
                str(phase.failed),
                str(phase.wrong),
                rate,
                *_latency(phase.latency),
                numeric=range(2, 11),
            )
            + "</tr>"
        )
    header = ("phase", "time", "requests", "served", "degraded", "failed", "wrong", "served rate")
    return _table((*header, "p50", "p95", "p99"), rows)


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}s"


def _fault_row(window: FaultWindow) -> str:
    actual = (
        "not applied"
        if window.actual_start is None
        else f"{_seconds(window.actual_start)} to {_seconds(window.actual_end)}"
    )
    scheduled = f"{_seconds(window.scheduled_start)} to {_seconds(window.scheduled_end)}"
    return (
        "<tr>"
        + _cells(
            fault_label(window),
            window.layer.value,
            window.description,
            scheduled,
            actual,
            window.error or "",
        )
        + "</tr>"
    )


def _faults(journal: Journal) -> str:
    rows = [_fault_row(w) for w in journal.faults] or [
        '<tr><td colspan="6">no faults in this scenario</td></tr>'
    ]
    timing = journal.fault_timing
    note = (
        f"<p>Fault timing (actual minus scheduled start) over {timing.applied} faults: "
        f"p50 {_ms(timing.p50_ms)}, p99 {_ms(timing.p99_ms)}, max {_ms(timing.max_ms)}. "
        "Times are seconds since the load started.</p>"
    )
    header = ("fault", "layer", "description", "scheduled", "actual", "error")
    return _table(header, rows) + note


def _integrity(journal: Journal) -> str:
    integrity, liveness = journal.integrity, journal.liveness
    figures = [*integrity_rows(integrity), *wrong_rows(journal.wrong_answers)]
    rows = [_cells(name, value, numeric=(1,)) for name, value in figures]
    rows.append(
        _cells("liveness probes (failed)", f"{liveness.probes} ({liveness.failed})", numeric=(1,))
    )
    exit_text = (
        "kept running"
        if liveness.client_exit is None
        else f"exited with code {liveness.client_exit.returncode} at {liveness.client_exit.t:.1f}s"
    )
    rows.append(_cells("client process", exit_text, numeric=(1,)))
    table = _table(("figure", "value"), (f"<tr>{r}</tr>" for r in rows))
    groups = integrity.duplicate_groups
    if not groups:
        return table
    items = "".join(
        f"<li>{escape(g.kind.value)} on {escape(g.service)}: {g.count} records for "
        f"{escape(', '.join(f'{k}={v}' for k, v in sorted(g.key.items())))}</li>"
        for g in groups[:MAX_DUPLICATES_SHOWN]
    )
    more = len(groups) - MAX_DUPLICATES_SHOWN
    tail = f"<li>and {more} more groups (see journal.json)</li>" if more > 0 else ""
    return f"{table}<h3>Duplicate groups</h3><ul>{items}{tail}</ul>"


def _wrong_answers(journal: Journal) -> list[str]:
    """The examples of wrong answers, as a section of its own; none without any."""
    answers = journal.wrong_answers
    if not answers.count:
        return []
    rows = (f"<tr>{_cells(*row, numeric=(0,))}</tr>" for row in wrong_example_rows(answers))
    note = (
        f"<p>{answers.count} answers contradicted the truth (the dataset, a backend's ledger, a "
        f"signature); the first {len(answers.examples)} examples are shown.</p>"
    )
    header = ("time", "phase", "request", "said", "truth", "why")
    return [_section("Answers that contradicted the truth", note + _table(header, rows))]


def _load(journal: Journal) -> str:
    if journal.load is None:
        return '<div class="card">not recorded (an older journal)</div>'
    rows = (
        f"<tr{_PROBLEM if name == 'problem' else ''}>{_cells(name, value)}</tr>"
        for name, value in load_rows(journal.load)
    )
    return _table(("figure", "value"), rows)


_PROBLEM: Final = ' class="failed"'


def _environment(journal: Journal) -> str:
    scenario, versions, client = journal.scenario, journal.versions, journal.client
    pairs: list[tuple[str, str]] = [
        ("scenario", f"{scenario.name}: {scenario.title}"),
        ("scenario file", journal.scenario_path or "n/a"),
        ("incident", "n/a" if scenario.incident is None else str(scenario.incident)),
        ("reference", scenario.reference or "n/a"),
        ("seed", str(scenario.stack.seed)),
        ("services", ", ".join(str(s) for s in scenario.stack.services)),
        ("time scale", f"{journal.time_scale:g} incident seconds per second"),
        ("started", journal.started_at.isoformat()),
        ("finished", journal.finished_at.isoformat()),
        ("client", "none" if client is None else client.name),
    ]
    if client is not None:
        if client.description:
            pairs.append(("client description", client.description))
        if client.command:
            pairs.append(("client command", " ".join(client.command)))
    pairs += [
        ("harness", versions.harness or "n/a"),
        ("python", versions.python),
        ("platform", versions.platform),
        ("locust", versions.locust or "n/a"),
        ("toxiproxy", versions.toxiproxy or "n/a"),
    ]
    rows = (f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in pairs)
    return f'<div class="card"><table><tbody>{"".join(rows)}</tbody></table></div>'
