"""`harness report <run-dir>` re-renders a run's reports; `harness compare <a> <b>` diffs two runs.

`harness report` on a folder of run directories (a suite's report dir) re-renders each and writes
an index.html over them. Bad paths give a one-line error and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.errors import UsageError
from harness.report.compare import render_comparison
from harness.report.files import JOURNAL_FILE, load_run, write_reports
from harness.report.index import render_index

INDEX_FILE = "index.html"


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subcommands.add_parser(
        "report",
        help="re-render report.html, summary.md and chart.svg from a run's journal.json",
        description="Re-render a run's report files from its journal.json. Given a folder of "
        "run directories, re-render each and write index.html over them. Exit 2 for a bad path.",
    )
    report.add_argument("path", type=Path, help="run directory (reports/<run-id>) or a folder")
    report.set_defaults(handler=_report)

    compare = subcommands.add_parser(
        "compare",
        help="show what changed between two runs, as a Markdown table",
        description="Compare two runs (verdict, each check's value and result, data integrity) "
        "and print a Markdown table. Exit 0 whatever changed; 2 for a bad path.",
    )
    compare.add_argument("run_a", type=Path, help="run directory A (e.g. the old client)")
    compare.add_argument("run_b", type=Path, help="run directory B (e.g. the new client)")
    compare.set_defaults(handler=_compare)


def _run_dirs(folder: Path) -> list[Path]:
    return sorted(p.parent for p in folder.glob(f"*/{JOURNAL_FILE}"))


def _report(args: argparse.Namespace) -> int:
    path: Path = args.path
    if path.is_dir() and not (path / JOURNAL_FILE).exists() and (runs := _run_dirs(path)):
        loaded = [load_run(run) for run in runs]
        for run_dir, journal in loaded:
            write_reports(journal, run_dir)
        index = path / INDEX_FILE
        index.write_text(
            render_index([(run_dir.name, journal) for run_dir, journal in loaded]),
            encoding="utf-8",
        )
        sys.stdout.write(f"index:   {index} ({len(loaded)} runs)\n")
        return 0
    run_dir, journal = load_run(path)
    files = write_reports(journal, run_dir)
    sys.stdout.write(f"report:  {files.html}\nsummary: {files.summary}\nchart:   {files.chart}\n")
    return 0


def _compare(args: argparse.Namespace) -> int:
    _, a = load_run(args.run_a)
    _, b = load_run(args.run_b)
    if args.run_a.resolve() == args.run_b.resolve():
        raise UsageError(f"{args.run_a} is given twice; compare two different runs")
    sys.stdout.write(render_comparison(a, b))
    return 0
