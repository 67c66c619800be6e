"""explore.json: an exploration's seed, every drawn timeline, every run and what it found.

The journal is rewritten after each run, so an exploration stopped by a kill leaves every run it
finished on record; explore.md and explore.html are rendered from it (harness.explore.report).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.scenario.model import Step


class RunPurpose(StrEnum):
    TRIAL = "trial"
    """A drawn timeline, run once."""
    CONFIRM = "confirm"
    """The same file again: a failure counts only when this one fails too."""
    SHRINK = "shrink"
    """A smaller candidate of a failing timeline."""


class StopReason(StrEnum):
    BUDGET = "budget"
    TRIALS = "trials"
    INTERRUPTED = "interrupted"
    ERROR = "error"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunRecord(_Model):
    number: int
    trial: int
    purpose: RunPurpose
    phase: str = Field(description="trials, confirm, or shrink: <pass>")
    steps: str = Field(description="the timeline in one line")
    scenario_file: str = Field(description="relative to the exploration's folder")
    run_dir: str = Field(description="relative to the exploration's folder")
    verdict: str
    failed: list[str]
    wall_s: float


class TrialRecord(_Model):
    number: int
    steps: str
    timeline: list[dict[str, Any]] = Field(description="the drawn steps as a scenario has them")
    verdict: str | None = None
    failed: list[str] = []
    run: int | None = Field(default=None, description="its RunRecord's number")
    outcome: str = Field(default="", description="for a failure: shrunk, flaky or known")


class MinimalRecord(_Model):
    file: str
    check: str = Field(description="the check every shrink step kept failing")
    failed: list[str] = Field(description="every check its confirmation run failed")
    shape: list[tuple[str, str]] = Field(description="(target, kind) of each step, sorted")
    steps: str
    timeline: list[dict[str, Any]]
    trial: int
    run_dir: str = Field(description="a copy of its confirmation run: journal, report, logs")
    replay: str = Field(description="the command that runs it again")
    complete: bool = Field(
        default=True, description="False: shrinking was stopped (budget, Ctrl-C) before its end"
    )


class ExploreJournal(_Model):
    explore_id: str
    seed: int
    client: str
    base: str
    base_path: str | None
    targets: list[str]
    budget_s: float
    trial_length_s: float
    max_trials: int | None
    parallel: int
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    elapsed_s: float = 0.0
    stopped: StopReason | None = None
    error: str | None = None
    trials: list[TrialRecord] = []
    runs: list[RunRecord] = []
    minimal: list[MinimalRecord] = []
    phase_seconds: dict[str, float] = Field(
        default={}, description="wall seconds of runs per phase: trials, confirm, shrink: <pass>"
    )


def describe_steps(steps: tuple[Step, ...]) -> str:
    """`erm down 10-20s; bpjs latency latency=800 jitter=0 (downstream) 5-15s` in one line."""
    parts = []
    for step in steps:
        start = float(step.at)  # type: ignore[arg-type]
        when = f"{start:g}s" if step.for_ is None else f"{start:g}-{start + step.for_:g}s"
        parts.append(f"{step.target} {step.fault.describe()} {when}")
    return "; ".join(parts) or "no faults"


def read_explore(path: Path) -> ExploreJournal:
    return ExploreJournal.model_validate_json(path.read_text(encoding="utf-8"))


__all__ = [
    "ExploreJournal",
    "MinimalRecord",
    "RunPurpose",
    "RunRecord",
    "StopReason",
    "TrialRecord",
    "describe_steps",
    "read_explore",
]
