"""report.html, summary.md, chart.svg, `harness report` and `harness compare` on built journals."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.cli import main
from harness.faults import FaultLayer
from harness.report import write_reports
from harness.report.chart import MAX_BINS, bins, render_chart
from harness.report.compare import compare_runs, p_text, rate_difference, render_comparison
from harness.report.error_bar import error_bar
from harness.report.html import render_html
from harness.report.index import render_index
from harness.report.markdown import cell, render_summary
from harness.report.terminal import summary_lines
from harness.report.values import evidence_text, fault_label, measured_text, threshold_text
from harness.results.checks import (
    CheckResult,
    CheckStatus,
    Comparison,
    Evidence,
    InconclusivePolicy,
    Unit,
)
from harness.results.evidence import CONFIDENCE, two_proportion_p_value, wilson_interval
from harness.results.journal import Journal, Percentiles, SecondSummary, write_journal
from harness.results.run import FaultWindow
from tests.test_checks import NAIVE, RESILIENT
from tests.test_journal import UNSURE_REASON, inconclusive_check, inconclusive_journal, journal_for

pytestmark = pytest.mark.unit

ONE_MB = 1_000_000
SVG_NS = "{http://www.w3.org/2000/svg}"
# Anything that would make a browser fetch something: an absolute or protocol-relative URL in
# src/href/xlink:href/action, a CSS url() or @import, a <link>, <script> or <iframe>.
EXTERNAL = re.compile(
    r"""(?:src|href|action)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)|url\(|@import|<link\b|<script\b|<iframe\b""",
    re.IGNORECASE,
)
HOSTILE = '<script>alert("x")</script> & "quotes" | pipes'


def _with_faults(journal: Journal, *windows: FaultWindow) -> Journal:
    return journal.model_copy(update={"faults": (*journal.faults, *windows)})


def _window(step: int, *, kind: str, description: str = "", applied: bool = True) -> FaultWindow:
    return FaultWindow(
        step=step,
        target="erm",
        kind=kind,
        layer=FaultLayer.APP,
        description=description,
        scheduled_start=20.0,
        scheduled_end=30.0,
        actual_start=20.01 if applied else None,
        actual_end=30.02 if applied else None,
        error=None if applied else "toxiproxy refused the toxic",
    )


@pytest.fixture(scope="module")
def naive() -> Journal:
    return journal_for(NAIVE)


@pytest.fixture(scope="module")
def resilient() -> Journal:
    return journal_for(RESILIENT)


def test_html_shows_the_verdict_first_then_every_check_and_fault(naive: Journal) -> None:
    journal = _with_faults(naive, _window(7, kind="http_error"))
    page = render_html(journal)
    body = page[page.index("<body>") :]
    assert body.index("FAIL") < body.index("<svg"), "the verdict comes before the chart"
    assert "<title>FAIL: bpjs-outage" in page
    for check in journal.checks:
        assert f"<code>{check.id}</code>" in page
        assert check.reason in page
    failed = [c for c in journal.checks if not c.passed]
    assert failed, "the naive journal must have failed checks"
    assert page.count('<tr class="failed">') == len(failed)
    for window in journal.faults:
        assert f">{fault_label(window)}</text>" in page, "each fault window is labelled"
    assert page.count('<g class="fault">') == len(journal.faults)
    assert len(page.encode()) < ONE_MB


def test_html_has_the_integrity_figures_and_environment(resilient: Journal) -> None:
    page = render_html(resilient)
    assert "<title>PASS: bpjs-outage" in page
    accepted = resilient.integrity.accepted
    assert accepted, "journal_for records an accepted registration"
    for kind, count in accepted.items():
        ledger = resilient.integrity.ledger_records.get(kind, 0)
        assert f"{kind.value}: accepted / in the ledger</td>" in page
        assert f">{count} / {ledger}</td>" in page
    assert f"<td>{resilient.scenario.stack.seed}</td>" in page
    assert f"<td>{resilient.time_scale:g} incident seconds per second</td>" in page
    assert f"<td>{resilient.versions.python}</td>" in page
    assert "<td>resilient</td>" in page
    assert "<td>2.12.0</td>" in page  # toxiproxy version


def test_html_and_svg_reference_nothing_outside_the_page(naive: Journal) -> None:
    page = render_html(naive)
    assert EXTERNAL.search(page) is None, EXTERNAL.search(page)
    # the inline SVG needs no namespace URL; chart.svg does, and nothing else
    assert "http://" not in page
    assert "https://" not in page
    svg = render_chart(naive)
    assert EXTERNAL.search(svg) is None
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]


def test_the_regex_that_guards_against_external_urls_finds_them() -> None:
    for bad in (
        '<img src="https://cdn.example/x.png">',
        "<a href=//example.org>x</a>",
        "<style>body{background:url(x.png)}</style>",
        '<link rel="stylesheet" href="s.css">',
        "<script>1</script>",
    ):
        assert EXTERNAL.search(bad), bad
    assert EXTERNAL.search('<a href="run-1/report.html">run</a>') is None


def test_text_from_the_journal_is_escaped_everywhere(naive: Journal) -> None:
    journal = _with_faults(naive, _window(7, kind=HOSTILE, description=HOSTILE))
    page = render_html(journal)
    svg = render_chart(journal)
    summary = render_summary(journal)
    for text in (page, svg):
        assert "<script>" not in text
        assert "&lt;script&gt;" in text
    assert "<script>" not in summary
    ET.fromstring(svg)  # still well-formed XML


def test_chart_svg_has_three_panels_and_a_shaded_labelled_window(naive: Journal) -> None:
    journal = _with_faults(naive, _window(7, kind="schema_drift", applied=False))
    root = ET.fromstring(render_chart(journal))
    assert root.tag == f"{SVG_NS}svg"
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]
    for panel in ("Requests started per second", "Latency (ms)", "Failed, wrong and degraded"):
        assert any(t.startswith(panel) for t in texts), panel
    assert "bpjs: down" in texts
    assert "erm: schema_drift (not applied)" in texts
    faults = [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "fault"]
    assert len(faults) == 2
    shaded = faults[0].find(f"{SVG_NS}rect")
    assert shaded is not None
    assert float(shaded.get("width", "0")) > 0
    paths = [p.get("d", "") for p in root.iter(f"{SVG_NS}path")]
    assert len(paths) == 4, "p50, p95, failed %, degraded %"


def test_a_long_run_is_binned_and_stays_under_one_megabyte(naive: Journal) -> None:
    seconds = tuple(
        SecondSummary(
            second=s,
            served=40 + s % 7,
            degraded=s % 3,
            failed=s % 5,
            latency=Percentiles(p50_ms=20.0 + s % 11, p95_ms=90.0 + s % 13, p99_ms=200.0),
        )
        for s in range(4 * 3600)
    )
    timeline = naive.timeline.model_copy(update={"per_second": seconds})
    journal = naive.model_copy(update={"timeline": timeline, "duration_s": 4 * 3600.0})
    grouped = bins(seconds)
    assert len(grouped) <= MAX_BINS
    assert sum(b.total * b.width for b in grouped) == pytest.approx(
        sum(s.served + s.degraded + s.failed for s in seconds)
    )
    assert len(render_html(journal).encode()) < ONE_MB
    assert "30s bins" in render_chart(journal)


def test_an_empty_timeline_still_renders(naive: Journal) -> None:
    timeline = naive.timeline.model_copy(update={"per_second": ()})
    journal = naive.model_copy(update={"timeline": timeline, "faults": ()})
    svg = render_chart(journal)
    assert svg.count("no requests recorded") == 3
    ET.fromstring(svg)


def test_summary_md_has_the_verdict_and_the_checks_table(naive: Journal) -> None:
    summary = render_summary(naive)
    first = summary.splitlines()[0]
    assert first.startswith("## ")
    assert "FAIL" in first
    assert "bpjs-outage" in first
    assert "| check | value | evidence | threshold | result | reason |" in summary
    rows = [line for line in summary.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [c.id for c in naive.checks]
    during = next(r for r in rows if "`served_rate.during`" in r)
    assert "FAIL" in during
    assert ">= 90.0%" in during
    assert "| lost (accepted, not in the ledger) | 0 |" in summary


def test_the_terminal_checks_table_says_what_summary_md_says(naive: Journal) -> None:
    lines = list(summary_lines(naive.checks))
    assert lines == [
        "  pass  served_rate.before  100.0%  >= 95.0%  n=100 (100 good), 95% CI 96.3%-100.0%",
        "  FAIL  served_rate.during    0.0%  >= 90.0%  n=300 (0 good), 95% CI 0.0%-1.3%",
        f"        {naive.checks[1].reason}",
        "  FAIL  served_rate.after    85.0%  >= 95.0%  n=200 (170 good), 95% CI 79.4%-89.3%",
        f"        {naive.checks[2].reason}",
        "  pass  latency.during.p95    50ms  <= 5s     n=300, 95% CI 50ms-50ms",
        "  FAIL  time_to_served         33s  <= 15s    1 fault episode",
        f"        {naive.checks[4].reason}",
        "  pass  nothing_lost             0  <= 0      exact count",
        "  pass  no_duplicates            0  <= 0      exact count",
        "  pass  client_alive             0  <= 3      exact count",
    ]
    summary = render_summary(naive)
    for check in naive.checks:  # each cell as the Markdown table has it, from the same formatters
        row = next(r for r in summary.splitlines() if r.startswith(f"| `{check.id}` |"))
        cells = [measured_text(check), evidence_text(check), threshold_text(check)]
        assert f"| {' | '.join(cell(text) for text in cells)} |" in row
        assert all(text in "\n".join(lines) for text in cells)


def test_the_terminal_checks_table_stays_aligned_whatever_its_cells() -> None:
    """Columns as wide as their widest cell: a long check id, a long status, a long value."""
    journal = inconclusive_journal()
    long_id = CheckResult.model_validate(
        {
            **journal.checks[0].model_dump(exclude={"id", "passed"}),
            "metric": "steady_state_with_a_long_name",
            "measured": 0.987654,
        }
    )
    unmeasured = journal.checks[4].model_copy(update={"measured": None})  # time_to_served: n/a
    checks = [long_id, *journal.checks[1:4], unmeasured, *journal.checks[5:]]
    lines = [line for line in summary_lines(checks) if not line.startswith(" " * 16)]
    assert len(lines) == len(checks)
    starts = [
        (
            line.index(c.id),
            line.index(measured_text(c)) + len(measured_text(c)),  # values end together
            line.index(threshold_text(c)),
            line.index(evidence_text(c)),
        )
        for c, line in zip(checks, lines, strict=True)
    ]
    assert len(set(starts)) == 1, "\n".join(lines)
    assert lines[0].startswith("  pass          served_rate.before.steady_state_with_a_long_name ")
    assert " 98.8%  >= 95.0%  " in lines[0]
    assert "  n/a  <= 15s" in lines[4]
    assert all(line == line.rstrip() for line in lines)


def test_compare_marks_the_checks_that_changed(naive: Journal, resilient: Journal) -> None:
    rows = {row.label: row for row in compare_runs(naive, resilient)}
    assert rows["verdict"].change == "FAIL -> PASS"
    assert rows["served_rate.during"].change == "FAIL -> pass"
    assert rows["served_rate.during"].a.endswith("FAIL")
    assert not rows["served_rate.before"].changed
    assert not rows["nothing_lost"].changed
    text = render_comparison(naive, resilient)
    assert "| **served_rate.during** |" in text
    assert "| served_rate.before |" in text
    assert set(rows) >= {c.id for c in naive.checks}


def test_summary_md_shows_each_checks_evidence_and_an_inconclusive_verdict() -> None:
    journal = inconclusive_journal()
    summary = render_summary(journal)
    lines = summary.splitlines()
    assert lines[0] == "## ❔ INCONCLUSIVE: bpjs-outage against resilient"
    assert "7 of 8 checks passed, 1 inconclusive (exit code 4: inconclusive)." in lines[2]
    during = next(line for line in lines if line.startswith("| `served_rate.during`"))
    assert during == (
        "| `served_rate.during` | 100.0% | n=31 (31 good), 95% CI 89.0%-100.0% | >= 90.0% "
        f"| ❔ INCONCLUSIVE | {UNSURE_REASON} |"
    )
    rows = {line.split("`")[1]: line for line in lines if line.startswith("| `")}
    assert "| 1 fault episode |" in rows["time_to_served"]
    assert "| exact count |" in rows["nothing_lost"]
    assert "| n=300, 95% CI 50ms-50ms |" in rows["latency.during.p95"]
    assert lines[-1] == (
        "Exit codes: 0 pass, 1 a check failed, 2 invalid scenario, client or usage, "
        "3 infrastructure, 4 inconclusive, 130 interrupted."
    )


@pytest.mark.parametrize(
    ("policy", "said"),
    [
        (InconclusivePolicy.PASS, "(exit code 0: inconclusive, counted as a pass by "),
        (InconclusivePolicy.FAIL, "(exit code 1: inconclusive, counted as a failure by "),
    ],
)
def test_summary_md_says_when_the_policy_changed_the_exit_code(
    policy: InconclusivePolicy, said: str
) -> None:
    summary = render_summary(inconclusive_journal(policy))
    assert f"{said}--inconclusive {policy.value} (exit " in summary.splitlines()[2]


def test_html_marks_an_inconclusive_run_and_draws_each_interval() -> None:
    journal = inconclusive_journal()
    page = render_html(journal)
    assert "<title>INCONCLUSIVE: bpjs-outage" in page
    assert '<header class="verdict inconclusive">' in page
    assert "exit code 4 (inconclusive)" in page
    assert "inconclusive (too little evidence either way): served_rate.during" in page
    assert page.count('<tr class="inconclusive">') == 1
    assert page.count('<tr class="failed">') == 0
    assert '<td class="unsure">INCONCLUSIVE</td>' in page
    assert "n=31 (31 good), 95% CI 89.0%-100.0%" in page
    bars = re.findall(r'<svg class="bar".*?</svg>', page)
    intervals = [
        c for c in journal.checks if c.evidence is not None and c.evidence.method != "episodes"
    ]
    assert len(bars) == len(intervals) == 4, "a bar per rate and percentile, none for the rest"
    for bar in bars:
        ET.fromstring(bar.replace("<svg ", f'<svg xmlns="{SVG_NS[1:-1]}" ', 1))
    assert EXTERNAL.search(page) is None


def test_an_error_bar_straddles_the_threshold_when_inconclusive() -> None:
    check = inconclusive_check()
    root = ET.fromstring(error_bar(check).replace("<svg ", f'<svg xmlns="{SVG_NS[1:-1]}" ', 1))
    title = "".join(next(root.iter(f"{SVG_NS}title")).itertext())
    assert title == (
        "n=31 (31 good), 95% CI 89.0%-100.0%; measured 100.0%, threshold >= 90.0%: INCONCLUSIVE"
    )
    lines = list(root.iter(f"{SVG_NS}line"))
    interval = lines[0]
    threshold = next(line for line in lines if line.get("stroke-dasharray"))
    x1, x2 = float(interval.get("x1", "0")), float(interval.get("x2", "0"))
    assert x1 < float(threshold.get("x1", "0")) < x2, "the bar crosses the threshold line"
    shade = next(root.iter(f"{SVG_NS}rect"))
    assert float(shade.get("x", "0")) + float(shade.get("width", "0")) == float(
        threshold.get("x1", "0")
    ), "at least: the bad side (below the threshold) is shaded"
    assert error_bar(check.model_copy(update={"evidence": None})) == ""
    assert error_bar(check.model_copy(update={"measured": None})) == ""


def test_an_error_bar_unbounded_above_ends_in_an_arrow() -> None:
    check = inconclusive_check().model_copy(
        update={
            "unit": Unit.SECONDS,
            "comparison": Comparison.AT_MOST,
            "threshold": 2.0,
            "measured": 1.5,
            "evidence": Evidence(
                method="order_statistics", n=4, low=0.5, high=None, confidence=CONFIDENCE
            ),
        }
    )
    svg = error_bar(check)
    assert "<path " in svg
    assert "95% CI 500ms-unbounded" in svg


def test_the_index_counts_inconclusive_runs_apart(naive: Journal, resilient: Journal) -> None:
    unsure = inconclusive_journal()
    page = render_index([("a", resilient), ("b", unsure)])
    assert "<title>INCONCLUSIVE: 1 of 2 runs passed, 1 inconclusive</title>" in page
    assert '<header class="verdict inconclusive">' in page
    assert '<td class="unsure">INCONCLUSIVE</td>' in page
    assert "<td>served_rate.during</td>" in page
    page = render_index([("a", naive), ("b", unsure), ("c", resilient)])
    assert "<title>FAIL: 1 of 3 runs passed, 1 inconclusive</title>" in page
    assert "<title>PASS: 1 of 1 runs passed</title>" in render_index([("a", resilient)])


def _rate(good: int, total: int, status: CheckStatus = CheckStatus.PASS) -> CheckResult:
    low, high = wilson_interval(good, total)
    return inconclusive_check().model_copy(
        update={
            "status": status,
            "measured": good / total,
            "evidence": Evidence(
                method="wilson", n=total, good=good, low=low, high=high, confidence=CONFIDENCE
            ),
        }
    )


def test_compare_says_whether_a_rate_difference_is_significant() -> None:
    significant = rate_difference(_rate(150, 200), _rate(190, 200))
    p = two_proportion_p_value(150, 200, 190, 200)
    assert p is not None
    assert p < 0.001
    assert significant == ("n 200 vs 200; +20.0 points, significant (p<0.001)", True)
    p = two_proportion_p_value(90, 100, 94, 100)
    assert p is not None
    assert 0.05 < p < 1
    assert rate_difference(_rate(90, 100), _rate(94, 100)) == (
        f"n 100 vs 100; +4.0 points, not significant ({p_text(p)})",
        False,
    )
    assert (p_text(0.003), p_text(0.41), p_text(0.0004)) == ("p=0.003", "p=0.41", "p<0.001")
    latency = _rate(1, 1).model_copy(update={"evidence": Evidence(method="order_statistics", n=10)})
    assert rate_difference(latency, latency) is None
    assert rate_difference(_rate(1, 1), _rate(0, 1).model_copy(update={"evidence": None})) is None


def test_compare_shows_the_significance_of_each_rate_check(
    naive: Journal, resilient: Journal
) -> None:
    rows = {row.label: row for row in compare_runs(naive, resilient)}
    during = rows["served_rate.during"]
    assert during.significant is True
    assert during.difference.endswith("significant (p<0.001)")
    assert during.difference.startswith("n ")
    assert rows["served_rate.before"].significant is False
    assert "not significant (p=1)" in rows["served_rate.before"].difference
    assert rows["nothing_lost"].significant is None
    assert rows["nothing_lost"].difference == ""
    text = render_comparison(naive, resilient)
    assert "|  | A | B | change | rate difference B - A |" in text
    rates = sum(1 for r in rows.values() if r.significant is not None)
    significant = sum(1 for r in rows.values() if r.significant)
    assert (
        f"{significant} of {rates} rate differences are significant "
        "(two-sided two-proportion z-test, p < 0.05)."
    ) in text


def test_compare_shows_a_check_that_became_inconclusive(resilient: Journal) -> None:
    rows = {row.label: row for row in compare_runs(resilient, inconclusive_journal())}
    assert rows["verdict"].change == "PASS -> INCONCLUSIVE"
    assert rows["served_rate.during"].change == "pass -> INCONCLUSIVE"
    assert rows["served_rate.during"].b == "100.0% INCONCLUSIVE"
    assert "## Compare: ✅ A -> ❔ B" in render_comparison(resilient, inconclusive_journal())


def test_compare_lists_checks_present_in_one_run_only(naive: Journal) -> None:
    fewer = naive.model_copy(update={"checks": naive.checks[1:]})
    rows = {row.label: row for row in compare_runs(naive, fewer)}
    gone = naive.checks[0].id
    assert (rows[gone].b, rows[gone].change) == ("-", "only in A")


def test_write_reports_writes_the_three_files(tmp_path: Path, naive: Journal) -> None:
    files = write_reports(naive, tmp_path)
    assert files.html.read_text(encoding="utf-8") == render_html(naive)
    assert files.summary.read_text(encoding="utf-8") == render_summary(naive)
    ET.fromstring(files.chart.read_text(encoding="utf-8"))


def _run_dir(root: Path, journal: Journal) -> Path:
    run_dir = root / journal.run_id
    write_journal(journal, run_dir / "journal.json")
    return run_dir


def test_harness_report_re_renders_from_the_journal(
    tmp_path: Path, naive: Journal, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = _run_dir(tmp_path, naive)
    assert main(["report", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert f"report:  {run_dir / 'report.html'}" in out
    assert (run_dir / "report.html").read_text(encoding="utf-8") == render_html(naive)
    assert (run_dir / "summary.md").is_file()
    assert (run_dir / "chart.svg").is_file()


def test_harness_report_on_a_folder_of_runs_writes_an_index(
    tmp_path: Path, naive: Journal, resilient: Journal, capsys: pytest.CaptureFixture[str]
) -> None:
    _run_dir(tmp_path, naive)
    _run_dir(tmp_path / "second", resilient).rename(tmp_path / "b-resilient")
    assert main(["report", str(tmp_path)]) == 0
    assert "(2 runs)" in capsys.readouterr().out
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "1 of 2 runs passed" in index
    assert f'href="{naive.run_id}/report.html"' in index
    assert 'href="b-resilient/report.html"' in index
    assert EXTERNAL.search(index.replace('href="', 'x="')) is None
    assert (tmp_path / "b-resilient" / "report.html").is_file()


def test_harness_compare_prints_a_markdown_table(
    tmp_path: Path, naive: Journal, resilient: Journal, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _run_dir(tmp_path / "a", naive)
    b = _run_dir(tmp_path / "b", resilient)
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "| **verdict** | FAIL | PASS | FAIL -> PASS |" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "{tmp}/missing"], "does not exist"),
        (["report", "{tmp}/empty"], "has no journal.json"),
        (["compare", "{tmp}/missing", "{tmp}"], "does not exist"),
        (["report", "{tmp}/broken"], "is not a harness journal"),
    ],
)
def test_bad_paths_give_one_line_and_exit_2(
    tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "journal.json").write_text('{"format": "nope"}', encoding="utf-8")
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err
