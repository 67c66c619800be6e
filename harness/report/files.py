"""Where the report files live in a run directory, and how they are written and read back.

files = write_reports(journal, run_dir)      # report.html, summary.md, chart.svg
run_dir, journal = load_run(Path("reports/20190325-080000-bpjs-outage"))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from harness.errors import UsageError
from harness.report.chart import render_chart
from harness.report.html import render_html
from harness.report.markdown import render_summary
from harness.results.journal import Journal, read_journal

JOURNAL_FILE: Final = "journal.json"
REPORT_FILE: Final = "report.html"
SUMMARY_FILE: Final = "summary.md"
CHART_FILE: Final = "chart.svg"


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    summary: Path
    chart: Path


def write_reports(journal: Journal, run_dir: Path) -> ReportFiles:
    """Render the three report files of `journal` into `run_dir` (next to journal.json)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(
        html=run_dir / REPORT_FILE, summary=run_dir / SUMMARY_FILE, chart=run_dir / CHART_FILE
    )
    files.html.write_text(render_html(journal), encoding="utf-8")
    files.summary.write_text(render_summary(journal), encoding="utf-8")
    files.chart.write_text(render_chart(journal), encoding="utf-8")
    return files


def journal_path_of(path: Path) -> Path:
    """The journal.json of a run directory (or the file itself); UsageError if there is none."""
    candidate = path if path.name == JOURNAL_FILE else path / JOURNAL_FILE
    if not path.exists():
        raise UsageError(f"{path} does not exist; give a run directory such as reports/<run-id>")
    if not candidate.is_file():
        raise UsageError(
            f"{path} has no {JOURNAL_FILE}; give a run directory written by `harness run`"
        )
    return candidate


def load_run(path: Path) -> tuple[Path, Journal]:
    """(run directory, journal) of a run directory or journal.json; UsageError if unreadable."""
    journal_path = journal_path_of(path)
    try:
        return journal_path.parent, read_journal(journal_path)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the top level"
        raise UsageError(
            f"{journal_path} is not a harness journal ({where}: {first['msg']}); "
            "re-run the scenario to write a fresh one"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {journal_path}: {exc}") from None
