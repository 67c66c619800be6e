"""What one run produced, as the checks see it: requests, fault windows, ledger and probes.

Times are seconds since the run's origin t0 (when the load started), the clock of the request log.

Phases come from the fault windows (actual times where recorded, else scheduled):
- before: from 0 until the first window starts;
- during: inside any window (windows that overlap or touch merge into one episode);
- after: everything else once the first window has started (gaps between faults included),
  until the load ended.
A second (of the request log) belongs to the phase that holds its midpoint, s + 0.5.

The seconds the checks see are the request log's after reconciliation with the ledgers: a
request whose reference the backend contradicts counts as wrong (harness.results.answers).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from harness.faults import FaultLayer
from harness.results.answers import Reconciliation, reconcile
from harness.results.ledger import Ledger
from harness.results.timeline import RequestLog, SecondTotals, WrongExample
from harness.results.vocabulary import Phase

Seconds = Annotated[float, Field(ge=0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultWindow(_Frozen):
    """One timeline step as scheduled and as it actually happened (None: it did not happen)."""

    step: int
    target: str
    kind: str
    layer: FaultLayer
    description: str = ""
    scheduled_start: Seconds
    scheduled_end: Seconds | None = Field(default=None, description="None: until the load ended")
    actual_start: Seconds | None = None
    actual_end: Seconds | None = None
    error: str | None = Field(
        default=None,
        description="why applying or removing it failed, if it did",
    )
    back_after_s: Seconds | None = Field(
        default=None,
        description="a process fault that started the process again (kill at its end, restart): "
        "seconds until it answered its readiness check",
    )

    @property
    def start(self) -> float:
        return self.actual_start if self.actual_start is not None else self.scheduled_start

    def end(self, run_end: float) -> float:
        """When it stopped acting: actual end, else scheduled end, else the end of the load."""
        if self.actual_end is not None:
            return self.actual_end
        if self.scheduled_end is not None:
            return self.scheduled_end
        return run_end

    @property
    def start_error(self) -> float | None:
        """Actual minus scheduled start, seconds (the runner's timing accuracy)."""
        return None if self.actual_start is None else self.actual_start - self.scheduled_start


class Episode(_Frozen):
    """A stretch with at least one fault active: merged, overlapping windows."""

    start: float
    end: float
    ended: bool = Field(description="False if a fault was still on when the load ended")
    steps: tuple[int, ...]


class PhaseSpan(_Frozen):
    phase: Phase
    start: float
    end: float


class ProbeResult(_Frozen):
    """One liveness probe of the client under test."""

    t: Seconds
    ok: bool
    status: int | None = None
    latency_ms: float | None = None
    error: str | None = None


class ClientExit(_Frozen):
    """The client process ended during the run."""

    t: Seconds
    returncode: int


class LoadGeneration(_Frozen):
    """How the load was generated: one locust process, or a master with workers."""

    local_workers: Annotated[int, Field(ge=0)] = 0
    remote_workers: Annotated[int, Field(ge=0)] = 0
    locust_requests: int | None = Field(
        default=None, description="locust's own count of the run's requests (its --json-file)"
    )

    @property
    def mode(self) -> str:
        local = f"{self.local_workers} local" if self.local_workers else ""
        remote = f"{self.remote_workers} remote" if self.remote_workers else ""
        if not (local or remote):
            return "local (one locust process)"
        return f"{' + '.join(part for part in (local, remote) if part)} worker(s)"


class RunData(_Frozen):
    """Everything the checks look at."""

    duration: Seconds = Field(description="when the load stopped, seconds since t0")
    requests: RequestLog
    faults: tuple[FaultWindow, ...] = ()
    ledger: Ledger = Ledger()
    probes: tuple[ProbeResult, ...] = ()
    client_exit: ClientExit | None = None
    load: LoadGeneration = LoadGeneration()

    def episodes(self) -> list[Episode]:
        return episodes(self.faults, run_end=self.duration)

    def phases(self) -> list[PhaseSpan]:
        return phases(self.episodes(), run_end=self.duration)

    @functools.cached_property
    def reconciled(self) -> Reconciliation:
        """The request log's buckets held against the ledgers (harness.results.answers)."""
        return reconcile(self.requests, self.ledger)

    def seconds(self) -> list[SecondTotals]:
        """Every whole second of the load, in order, including seconds without any request."""
        reconciled = self.requests.model_copy(update={"buckets": self.reconciled.buckets})
        recorded = reconciled.per_second()
        last = max(int(self.duration) - 1, max(recorded, default=-1))
        return [recorded.get(s) or SecondTotals(second=s) for s in range(last + 1)]

    def wrong_examples(self) -> list[WrongExample]:
        """The load's examples of wrong answers and the contradicted references, in time order."""
        return sorted((*self.requests.wrong, *self.reconciled.mismatches), key=lambda w: w.t)

    def wrong_by_name(self) -> Counter[str]:
        """Wrong answers per request name (the reconciled buckets', and those not placed)."""
        counts: Counter[str] = Counter()
        for bucket in self.reconciled.buckets:
            if bucket.wrong:
                counts[bucket.name] += bucket.wrong
        for example in self.reconciled.unplaced:
            counts[example.name] += 1
        return counts


def episodes(windows: Iterable[FaultWindow], *, run_end: float) -> list[Episode]:
    """Fault windows merged where they overlap or touch, in time order."""
    spans = sorted(
        (w.start, w.end(run_end), w.actual_end is not None or w.scheduled_end is not None, w.step)
        for w in windows
        if w.error is None or w.actual_start is not None
    )
    merged: list[Episode] = []
    for start, end, ended, step in spans:
        if merged and start <= merged[-1].end:
            last = merged[-1]
            new_end = max(last.end, end)
            merged[-1] = Episode(
                start=last.start,
                end=new_end,
                ended=(last.ended if last.end >= end else ended) and new_end < run_end,
                steps=(*last.steps, step),
            )
        else:
            merged.append(
                Episode(start=start, end=end, ended=ended and end < run_end, steps=(step,))
            )
    return merged


def phases(episode_list: list[Episode], *, run_end: float) -> list[PhaseSpan]:
    """Before / during / after spans covering [0, run_end) (see the module docstring)."""
    if not episode_list:
        return [PhaseSpan(phase=Phase.BEFORE, start=0.0, end=run_end)]
    spans = [PhaseSpan(phase=Phase.BEFORE, start=0.0, end=episode_list[0].start)]
    for index, episode in enumerate(episode_list):
        spans.append(PhaseSpan(phase=Phase.DURING, start=episode.start, end=episode.end))
        following = episode_list[index + 1].start if index + 1 < len(episode_list) else run_end
        spans.append(PhaseSpan(phase=Phase.AFTER, start=episode.end, end=following))
    return [span for span in spans if span.end > span.start]


def phase_at(spans: list[PhaseSpan], t: float) -> Phase | None:
    for span in spans:
        if span.start <= t < span.end:
            return span.phase
    return None


def seconds_in(
    spans: list[PhaseSpan], phase: Phase, seconds: Iterable[SecondTotals]
) -> list[SecondTotals]:
    """The seconds whose midpoint lies in `phase`."""
    return [s for s in seconds if phase_at(spans, s.second + 0.5) is phase]
