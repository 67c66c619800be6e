"""suite.json: the record of a suite (`harness run --suite`), one verdict over several runs.

    summary = read_suite(Path("reports/<suite-id>/suite.json"))
    summary.verdict, summary.exit_code     # pass / fail / inconclusive / error, and its exit code
    summary.runs                           # one SuiteEntry per scenario that ran (or stopped it)

The models live here rather than in harness.runner.suite so that the report layer (summary.md)
and junit.xml can read a suite without importing the runner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import ExitCode
from harness.results.checks import InconclusivePolicy, Verdict

SUITE_FORMAT: Final = "harness-suite/1"


class SuiteVerdict(StrEnum):
    """A run's or the suite's: FAIL if any run failed, else INCONCLUSIVE if any run was, else
    PASS; ERROR when a run stopped the suite (exit 2, 3 or 130)."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"


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
    inconclusive: InconclusivePolicy = Field(
        default=InconclusivePolicy.ERROR,
        description="the exit code an inconclusive verdict was given: error 4, fail 1, pass 0",
    )
    runs: tuple[SuiteEntry, ...]
    not_run: tuple[str, ...] = Field(
        default=(), description="scenarios selected but not run because the suite stopped early"
    )


def suite_verdict(
    entries: Sequence[SuiteEntry], policy: InconclusivePolicy = InconclusivePolicy.ERROR
) -> tuple[SuiteVerdict, int]:
    """The suite's verdict and exit code from its runs': the first run that stopped the suite
    gives ERROR and its exit code; else FAIL (1) if any run failed, else INCONCLUSIVE (4, or what
    `policy` maps it to) if any run was, else PASS (0). A run's own exit code is not used for the
    others: under --inconclusive fail an inconclusive run exits 1 without having failed."""
    for entry in entries:
        if entry.verdict is SuiteVerdict.ERROR:
            return SuiteVerdict.ERROR, entry.exit_code
    verdicts = {entry.verdict for entry in entries}
    for verdict in (SuiteVerdict.FAIL, SuiteVerdict.INCONCLUSIVE):
        if verdict in verdicts:
            return verdict, int(Verdict(verdict.value).exit_code_under(policy))
    return SuiteVerdict.PASS, int(ExitCode.OK)


def read_suite(path: Path) -> SuiteSummary:
    """A suite.json read back (for reports)."""
    return SuiteSummary.model_validate_json(path.read_text(encoding="utf-8"))


__all__ = [
    "SUITE_FORMAT",
    "SuiteEntry",
    "SuiteSummary",
    "SuiteVerdict",
    "read_suite",
    "suite_verdict",
]
