"""Reports people read: report.html, summary.md and chart.svg beside each run's journal.json.

chart        the timeline chart as SVG (requests/s, latency, failed/degraded share, faults)
html         report.html: self-contained page (inline CSS and SVG, no script, no network)
markdown     summary.md: verdict and checks for CI job summaries and PR comments
compare      what changed between two runs, as a Markdown table
index        index.html over several runs (a suite)
suite_markdown  a suite's summary.md: the verdict over every scenario, failed checks, exit code
summary_file    --summary-to FILE: append a summary.md to e.g. $GITHUB_STEP_SUMMARY
files        file names, write_reports, load_run
values       how numbers and labels are written, shared by all of the above
cli          `harness report` and `harness compare`

files = write_reports(journal, run_dir)
"""

from harness.report.files import REPORT_FILE, ReportFiles, load_run, write_reports

__all__ = ["REPORT_FILE", "ReportFiles", "load_run", "write_reports"]
