"""index.html over several runs, e.g. a suite: one verdict for all, then a row per run.

The verdict over the runs is FAIL if any run failed, else INCONCLUSIVE if any was, else PASS;
inconclusive runs are counted apart from passed and failed ones.

    page = render_index([("20190325-080000-bpjs-outage", journal), ...])

Links are relative (`<run>/report.html`), so the folder can be moved or uploaded as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Final

from harness.report.files import REPORT_FILE
from harness.report.html import CSS, VERDICT_CLASS
from harness.report.values import verdict_text
from harness.results.checks import CheckStatus, Verdict
from harness.results.journal import Journal

_CELL_CLASS: Final = {Verdict.PASS: "ok", Verdict.FAIL: "bad", Verdict.INCONCLUSIVE: "unsure"}


def render_index(
    runs: Sequence[tuple[str, Journal]], *, links: Sequence[tuple[str, str]] = ()
) -> str:
    """`runs` as (run directory relative to the index, journal), in the order to show;
    `links` as (relative href, text): pages over the runs, such as an exploration's report."""
    verdicts = {j.verdict for _, j in runs}
    verdict = next((v for v in (Verdict.FAIL, Verdict.INCONCLUSIVE) if v in verdicts), Verdict.PASS)
    passed_runs = sum(j.verdict is Verdict.PASS for _, j in runs)
    unsure_runs = sum(j.verdict is Verdict.INCONCLUSIVE for _, j in runs)
    rows = []
    for folder, journal in runs:
        failed = [c.id for c in journal.checks if c.status is CheckStatus.FAIL]
        unsure = [c.id for c in journal.checks if c.inconclusive]
        client = journal.client.name if journal.client is not None else "none"
        css = _CELL_CLASS[journal.verdict]
        href = escape(f"{folder}/{REPORT_FILE}", quote=True)
        passed = sum(c.passed for c in journal.checks)
        rows.append(
            f'<tr><td class="{css}">{escape(verdict_text(journal.verdict))}</td>'
            f'<td><a href="{href}">{escape(journal.scenario.name)}</a></td>'
            f"<td>{escape(client)}</td>"
            f'<td class="num">{passed} / {len(journal.checks)}</td>'
            f"<td>{escape(', '.join(failed))}</td><td>{escape(', '.join(unsure))}</td>"
            f"<td>{escape(journal.run_id)}</td></tr>"
        )
    summary = f"{passed_runs} of {len(runs)} runs passed"
    if unsure_runs:
        summary += f", {unsure_runs} inconclusive"
    head = "".join(
        f"<th>{h}</th>"
        for h in ("verdict", "scenario", "client", "checks", "failed", "inconclusive", "run")
    )
    css_class = VERDICT_CLASS[verdict]
    pages = "".join(
        f'<p><a href="{escape(href, quote=True)}">{escape(text)}</a></p>' for href, text in links
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(verdict_text(verdict))}: {escape(summary)}</title>"
        f"<style>{CSS}</style></head><body><main>"
        f'<header class="verdict {css_class}"><div class="word">'
        f"{escape(verdict_text(verdict))}</div><p>{escape(summary)}</p></header>{pages}"
        f'<h2>Runs</h2><div class="card"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></main></body></html>\n"
    )
