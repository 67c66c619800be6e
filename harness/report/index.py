"""index.html over several runs, e.g. a suite: one verdict for all, then a row per run.

    page = render_index([("20190325-080000-bpjs-outage", journal), ...])

Links are relative (`<run>/report.html`), so the folder can be moved or uploaded as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from harness.report.files import REPORT_FILE
from harness.report.html import CSS
from harness.report.values import verdict_text
from harness.results.checks import Verdict
from harness.results.journal import Journal


def render_index(runs: Sequence[tuple[str, Journal]]) -> str:
    """`runs` as (run directory relative to the index, journal), in the order to show."""
    verdict = Verdict.PASS if all(j.verdict is Verdict.PASS for _, j in runs) else Verdict.FAIL
    failed_runs = sum(j.verdict is not Verdict.PASS for _, j in runs)
    rows = []
    for folder, journal in runs:
        failed = [c.id for c in journal.checks if not c.passed]
        client = journal.client.name if journal.client is not None else "none"
        css = "ok" if journal.verdict is Verdict.PASS else "bad"
        href = escape(f"{folder}/{REPORT_FILE}", quote=True)
        rows.append(
            f'<tr><td class="{css}">{escape(verdict_text(journal.verdict))}</td>'
            f'<td><a href="{href}">{escape(journal.scenario.name)}</a></td>'
            f"<td>{escape(client)}</td>"
            f'<td class="num">{len(journal.checks) - len(failed)} / {len(journal.checks)}</td>'
            f"<td>{escape(', '.join(failed))}</td><td>{escape(journal.run_id)}</td></tr>"
        )
    summary = f"{len(runs) - failed_runs} of {len(runs)} runs passed"
    head = "".join(
        f"<th>{h}</th>" for h in ("verdict", "scenario", "client", "checks", "failed", "run")
    )
    css_class = "pass" if verdict is Verdict.PASS else "fail"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(verdict_text(verdict))}: {escape(summary)}</title>"
        f"<style>{CSS}</style></head><body><main>"
        f'<header class="verdict {css_class}"><div class="word">'
        f"{escape(verdict_text(verdict))}</div><p>{escape(summary)}</p></header>"
        f'<h2>Runs</h2><div class="card"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></main></body></html>\n"
    )
