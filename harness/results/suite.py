"""suite.json: the record of a suite (`harness run --suite`), one verdict over several runs.

    summary = read_suite(Path("reports/<suite-id>/suite.json"))
    summary.verdict, summary.exit_code     # pass / fail / error, and the suite's exit code
    summary.runs                           # one SuiteEntry per scenario that ran (or stopped it)

The models live here rather than in harness.runner.suite so that the report layer (summary.md)
and junit.xml can read a suite without importing the runner.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

SUITE_FORMAT: Final = "harness-suite/1"


class SuiteVerdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # exit 2, 3 or 130: the suite stopped there


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SuiteEntry(_Frozen):
    """One scenario of the suite: its run, verdict and journal (relative to suite.json)."""

    run_id: str | None
    scenario: str
    scenario_path: str
    verdict: SuiteVerdict
    exit_code: int
    journal: str | None
    error: str | None = None


class SuiteSummary(_Frozen):
    """suite.json: the suite's verdict and each run's."""

    format: str = SUITE_FORMAT
    suite_id: str
    selector: str
    started_at: dt.datetime
    finished_at: dt.datetime
    verdict: SuiteVerdict
    exit_code: int
    runs: tuple[SuiteEntry, ...]
    not_run: tuple[str, ...] = Field(
        default=(), description="scenarios selected but not run because the suite stopped early"
    )


def read_suite(path: Path) -> SuiteSummary:
    """A suite.json read back (for reports)."""
    return SuiteSummary.model_validate_json(path.read_text(encoding="utf-8"))


__all__ = ["SUITE_FORMAT", "SuiteEntry", "SuiteSummary", "SuiteVerdict", "read_suite"]
