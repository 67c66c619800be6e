"""journal.json: everything about one run, machine-readable, with a published JSON Schema.

    journal = build_journal(run_id=..., scenario=..., run=run_data, results=evaluate(...), ...)
    write_journal(journal, run_dir / "journal.json")
    journal.exit_code          # 0 all checks passed, 1 a check failed, 4 inconclusive

The schema (harness/schemas/journal.schema.json) is generated from the Journal model by
`python -m harness.results.schema`; a test keeps the published file equal to the model.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import platform
from collections import Counter
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.client import ClientDefinition
from harness.results.checks import CheckResult, InconclusivePolicy, Verdict, is_recorded
from harness.results.histogram import LatencyHistogram
from harness.results.ledger import DuplicateGroup, RecordKind
from harness.results.run import ClientExit, FaultWindow, PhaseSpan, RunData, phase_at, seconds_in
from harness.results.timeline import SecondTotals, SourceRecord
from harness.results.vocabulary import Outcome, Phase
from harness.scenario.model import Scenario

JOURNAL_FORMAT: Final = "harness-journal/1"
SCHEMA_PATH: Final = Path(__file__).resolve().parents[1] / "schemas" / "journal.schema.json"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _version(distribution: str) -> str | None:
    """An installed distribution's version, read from its metadata (never by importing it)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


class Versions(_Frozen):
    harness: str | None
    python: str
    platform: str
    locust: str | None = None
    toxiproxy: str | None = None
    client: str | None = None

    @classmethod
    def current(cls, *, toxiproxy: str | None = None, client: str | None = None) -> Versions:
        return cls(
            harness=_version("health-resilience-harness"),
            python=platform.python_version(),
            platform=platform.platform(),
            locust=_version("locust"),
            toxiproxy=toxiproxy,
            client=client,
        )


class Percentiles(_Frozen):
    """Latency percentiles in milliseconds (within 1 %); None without requests."""

    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None

    @classmethod
    def of(cls, histogram: LatencyHistogram) -> Percentiles:
        return cls(
            p50_ms=_round(histogram.percentile(0.50)),
            p95_ms=_round(histogram.percentile(0.95)),
            p99_ms=_round(histogram.percentile(0.99)),
        )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


class SecondSummary(_Frozen):
    second: int
    served: int
    degraded: int
    failed: int
    wrong: int = Field(default=0, description="answered, but contradicting the truth")
    latency: Percentiles


class PhaseSummary(_Frozen):
    phase: str
    start: float
    end: float
    requests: int
    served: int
    degraded: int
    failed: int
    wrong: int = Field(default=0, description="answered, but contradicting the truth")
    served_rate: float | None = Field(description="(served + degraded) / requests")
    latency: Percentiles


class TimelineSummary(_Frozen):
    per_second: tuple[SecondSummary, ...]
    per_phase: tuple[PhaseSummary, ...]
    requests_by_name: dict[str, int]


MAX_WRONG_EXAMPLES: Final = 20


class WrongAnswer(_Frozen):
    """One example of a wrong answer: what the patient was told, and the truth."""

    t: float = Field(description="seconds since t0")
    phase: Phase | None = Field(description="the phase of t; None past the end of the load")
    name: str = Field(description="the request's name")
    reason: str
    said: str
    truth: str


class WrongAnswersSummary(_Frozen):
    """Answers that contradicted the truth: the dataset, a ledger, a signature."""

    count: int = Field(default=0, description="wrong answers, contradicted references included")
    by_name: dict[str, int] = Field(default_factory=dict, description="count per request name")
    examples: tuple[WrongAnswer, ...] = Field(
        default=(), description=f"the first {MAX_WRONG_EXAMPLES} examples, in time order"
    )


class IntegritySummary(_Frozen):
    accepted: dict[RecordKind, int]
    ledger_records: dict[RecordKind, int]
    lost: int
    duplicate_groups: tuple[DuplicateGroup, ...]


class LivenessSummary(_Frozen):
    probes: int
    failed: int
    client_exit: ClientExit | None


class FaultTiming(_Frozen):
    """Actual minus scheduled start of the faults that happened, milliseconds."""

    applied: int
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None


class LoadSummary(_Frozen):
    """How the load was generated, and whether what it recorded is the whole run."""

    mode: str = Field(description="local, N local workers, N remote workers")
    local_workers: int
    remote_workers: int
    recorded: int = Field(description="requests in the request log")
    locust_counted: int | None = Field(description="locust's own count of the run's requests")
    sources: tuple[SourceRecord, ...] = Field(
        description="each load process (local, worker-N): requests it recorded, final mark, lost"
    )
    problems: tuple[str, ...] = Field(
        description="why the records may not be the whole run; empty when they are"
    )


class Journal(_Frozen):
    """The record of one run of one scenario."""

    format: Literal["harness-journal/1"] = JOURNAL_FORMAT
    run_id: str
    started_at: dt.datetime
    finished_at: dt.datetime
    scenario: Scenario
    scenario_path: str | None = None
    client: ClientDefinition | None = None
    time_scale: float
    versions: Versions
    duration_s: float = Field(description="seconds of load, from t0")
    phases: tuple[PhaseSpan, ...]
    faults: tuple[FaultWindow, ...] = Field(description="scheduled vs actual, seconds since t0")
    fault_timing: FaultTiming
    timeline: TimelineSummary
    integrity: IntegritySummary
    wrong_answers: WrongAnswersSummary = Field(
        default=WrongAnswersSummary(), description="absent in journals older than `wrong`"
    )
    liveness: LivenessSummary
    load: LoadSummary | None = Field(default=None, description="absent in older journals")
    checks: tuple[CheckResult, ...]
    verdict: Verdict
    inconclusive: InconclusivePolicy = Field(
        default=InconclusivePolicy.ERROR,
        description="the exit code an inconclusive verdict was given: error 4, fail 1, pass 0",
    )
    exit_code: int

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, by_alias=True)


def build_journal(
    *,
    run_id: str,
    scenario: Scenario,
    run: RunData,
    results: list[CheckResult],
    time_scale: float,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    versions: Versions,
    client: ClientDefinition | None = None,
    scenario_path: Path | None = None,
    inconclusive: InconclusivePolicy = InconclusivePolicy.ERROR,
) -> Journal:
    verdict = Verdict.of(results)
    return Journal(
        run_id=run_id,
        started_at=started_at,
        finished_at=finished_at,
        scenario=scenario,
        scenario_path=None if scenario_path is None else str(scenario_path),
        client=client,
        time_scale=time_scale,
        versions=versions,
        duration_s=run.duration,
        phases=tuple(run.phases()),
        faults=run.faults,
        fault_timing=_fault_timing(run.faults),
        timeline=_timeline(run),
        integrity=_integrity(run),
        wrong_answers=_wrong_answers(run),
        liveness=LivenessSummary(
            probes=len(run.probes),
            failed=sum(not p.ok for p in run.probes),
            client_exit=run.client_exit,
        ),
        load=_load(run),
        checks=tuple(results),
        verdict=verdict,
        inconclusive=inconclusive,
        exit_code=int(verdict.exit_code_under(inconclusive)),
    )


def _all_latency(totals: SecondTotals) -> LatencyHistogram:
    return LatencyHistogram.merge(totals.latency_ms.values())


def _timeline(run: RunData) -> TimelineSummary:
    seconds = run.seconds()
    per_second = tuple(
        SecondSummary(
            second=s.second,
            served=s.served,
            degraded=s.degraded,
            failed=s.failed,
            wrong=s.wrong,
            latency=Percentiles.of(_all_latency(s)),
        )
        for s in seconds
    )
    spans = run.phases()
    per_phase = []
    for span in spans:
        chosen = seconds_in([span], span.phase, seconds)
        requests = sum(s.total for s in chosen)
        served = sum(s.served for s in chosen)
        degraded = sum(s.degraded for s in chosen)
        per_phase.append(
            PhaseSummary(
                phase=span.phase,
                start=span.start,
                end=span.end,
                requests=requests,
                served=served,
                degraded=degraded,
                failed=sum(s.failed for s in chosen),
                wrong=sum(s.wrong for s in chosen),
                served_rate=(served + degraded) / requests if requests else None,
                latency=Percentiles.of(LatencyHistogram.merge(_all_latency(s) for s in chosen)),
            )
        )
    by_name: Counter[str] = Counter()
    for bucket in run.requests.buckets:
        by_name[bucket.name] += bucket.total
    return TimelineSummary(
        per_second=per_second, per_phase=tuple(per_phase), requests_by_name=dict(by_name)
    )


def _wrong_answers(run: RunData) -> WrongAnswersSummary:
    by_name = run.wrong_by_name()
    spans = run.phases()
    examples = tuple(
        WrongAnswer(
            t=e.t,
            phase=phase_at(spans, e.t),
            name=e.name,
            reason=e.reason,
            said=e.said,
            truth=e.truth,
        )
        for e in run.wrong_examples()[:MAX_WRONG_EXAMPLES]
    )
    return WrongAnswersSummary(
        count=sum(by_name.values()), by_name=dict(sorted(by_name.items())), examples=examples
    )


def _integrity(run: RunData) -> IntegritySummary:
    accepted = Counter(a.kind for a in run.requests.accepted)
    records = Counter(r.kind for r in run.ledger.records)
    lost = sum(not is_recorded(a, run.ledger.records) for a in run.requests.accepted)
    return IntegritySummary(
        accepted=dict(accepted),
        ledger_records=dict(records),
        lost=lost,
        duplicate_groups=tuple(run.ledger.duplicates()),
    )


def _load(run: RunData) -> LoadSummary:
    recorded, counted = run.requests.requests, run.load.locust_requests
    problems = []
    if counted is not None and counted != recorded:
        problems.append(f"recorded {recorded} requests but locust counted {counted}")
    for source in run.requests.sources:
        if source.lost_at is not None:
            problems.append(
                f"{source.source} was lost at {source.lost_at:.1f}s"
                + ("" if source.complete else ": its requests after its last mark are missing")
            )
        elif not source.complete:
            problems.append(f"{source.source} sent no final mark: its last seconds may be missing")
    return LoadSummary(
        mode=run.load.mode,
        local_workers=run.load.local_workers,
        remote_workers=run.load.remote_workers,
        recorded=recorded,
        locust_counted=counted,
        sources=run.requests.sources,
        problems=tuple(problems),
    )


def _fault_timing(windows: tuple[FaultWindow, ...]) -> FaultTiming:
    errors = sorted(abs(w.start_error) * 1000 for w in windows if w.start_error is not None)
    if not errors:
        return FaultTiming(applied=0, p50_ms=None, p99_ms=None, max_ms=None)
    histogram = LatencyHistogram.of(errors)
    return FaultTiming(
        applied=len(errors),
        p50_ms=_round(histogram.percentile(0.5)),
        p99_ms=_round(histogram.percentile(0.99)),
        max_ms=round(errors[-1], 3),
    )


def write_journal(journal: Journal, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(journal.to_json() + "\n", encoding="utf-8")
    return path


def read_journal(path: Path) -> Journal:
    return Journal.model_validate_json(path.read_text(encoding="utf-8"))


def journal_schema() -> dict[str, Any]:
    """The JSON Schema of journal.json, as published in harness/schemas/."""
    schema = Journal.model_json_schema(mode="serialization", by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://health-resilience-harness.local/schemas/journal.schema.json",
        **schema,
    }


__all__ = [
    "JOURNAL_FORMAT",
    "SCHEMA_PATH",
    "Journal",
    "Outcome",
    "Versions",
    "WrongAnswer",
    "WrongAnswersSummary",
    "build_journal",
    "journal_schema",
    "read_journal",
    "write_journal",
]
