"""What a run tells its subscribers while it happens: typed events, and the bus that delivers them.

    def on_event(event: RunEvent) -> None:
        match event:
            case FaultApplied():
                print(f"{event.step.describe()}: {event.late_ms:.0f} ms after its time")
            case Tick(second=SecondCounts() as s):
                print(f"second {s.second}: {s.served} served, {s.failed} failed")

    harness.run(scenario, client="examples/clients/resilient.yaml", on_event=on_event)

In the order a run emits them: LeftoverStopped (what a killed earlier run left, stopped),
RunStarted, StackReady, WaitingForWorkers (remote workers only), then while the load runs
PhaseChanged, FaultApplied / FaultRemoved / FaultFailed and a Tick each second, then
LoadStopped, CheckEvaluated per check, and last RunFinished, or RunAborted when the run stops
with an error or is interrupted. Times are seconds since t0, the start of the load (the clock of
the request log and the journal).

Subscribers are called in the run's own thread, in the order they were given, between the
timeline's actions: a fault's actual time is taken before its event is sent, but a slow
subscriber delays what comes next, so keep them quick (hand heavy work to a thread of your own).
A subscriber that raises does not stop the run: the failure goes to the run's `logs/events.log`
and into `RunResult.subscriber_errors`, and the subscriber keeps receiving events. The harness's
own subscribers (the journal's fault windows) are not guarded: their failure is the run's.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from harness.load.runner import Progress, SecondCounts
from harness.results.checks import CheckResult, Verdict
from harness.scenario.schedule import ScheduledStep

EVENTS_LOG: Final = "events.log"  # in the run's logs/


class RunPhase(StrEnum):
    """Where the run is while the load runs (the progress line's first column)."""

    STEADY = "steady"  # the steady state before: no fault yet
    TIMELINE = "timeline"  # between faults
    FAULT = "fault"  # at least one fault on
    RECOVERY = "recovery"  # the steady state after: the timeline is over


class FaultAction(StrEnum):
    APPLY = "apply"
    REMOVE = "remove"


@dataclass(frozen=True, kw_only=True)
class LeftoverStopped:
    """A process an earlier run left running when it was killed (kill -9), stopped now."""

    name: str


@dataclass(frozen=True, kw_only=True)
class RunStarted:
    run_id: str
    scenario: str
    title: str
    time_scale: float
    run_dir: Path
    total_s: float
    """Wall seconds of the load and the drain (start-up excluded)."""


@dataclass(frozen=True, kw_only=True)
class StackReady:
    """Toxiproxy, the mocks, their proxies and the client under test are up."""

    client_url: str


@dataclass(frozen=True, kw_only=True)
class WaitingForWorkers:
    """The load waits for workers on other machines; each runs `command`."""

    count: int
    command: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class PhaseChanged:
    phase: RunPhase
    previous: RunPhase | None
    elapsed: float


@dataclass(frozen=True, kw_only=True)
class FaultApplied:
    step: ScheduledStep
    scheduled: float
    actual: float
    instantaneous: bool
    """A fault that happens at a moment (restart): nothing to remove later."""
    back_after_s: float | None = None
    """A restart: seconds from the stop until the process answered its readiness check."""

    @property
    def late_ms(self) -> float:
        return (self.actual - self.scheduled) * 1000


@dataclass(frozen=True, kw_only=True)
class FaultRemoved:
    step: ScheduledStep
    scheduled: float | None
    """None: the fault had no end and lasted until the load stopped."""
    actual: float
    back_after_s: float | None = None
    """A kill: seconds from starting the process again until it answered its readiness check."""

    @property
    def late_ms(self) -> float | None:
        return None if self.scheduled is None else (self.actual - self.scheduled) * 1000


@dataclass(frozen=True, kw_only=True)
class FaultFailed:
    """Applying or removing a fault failed; the run goes on and the journal records why."""

    step: ScheduledStep
    action: FaultAction
    scheduled: float | None
    actual: float
    error: str


@dataclass(frozen=True, kw_only=True)
class Tick:
    """Once a second while the load runs."""

    elapsed: float
    total: float
    """Wall seconds of the load (steady state before, timeline, steady state after)."""
    phase: RunPhase
    active_faults: tuple[str, ...]
    second: SecondCounts | None
    """The last second whose records have all arrived; None before the first."""
    load: Progress
    """Requests/s, error and degraded rates over the last few complete seconds."""


@dataclass(frozen=True, kw_only=True)
class LoadStopped:
    duration: float
    """Seconds of load, from t0."""
    drain: float
    """Seconds the client now has to replay what it queued, before the ledgers are read."""


@dataclass(frozen=True, kw_only=True)
class CheckEvaluated:
    result: CheckResult


@dataclass(frozen=True, kw_only=True)
class RunFinished:
    verdict: Verdict
    exit_code: int
    run_dir: Path
    journal_path: Path


@dataclass(frozen=True, kw_only=True)
class RunAborted:
    """The run stopped without a verdict: bad input (2), infrastructure (3), interrupted (130)."""

    exit_code: int
    error: str


RunEvent = (
    LeftoverStopped
    | RunStarted
    | StackReady
    | WaitingForWorkers
    | PhaseChanged
    | FaultApplied
    | FaultRemoved
    | FaultFailed
    | Tick
    | LoadStopped
    | CheckEvaluated
    | RunFinished
    | RunAborted
)
Subscriber = Callable[[RunEvent], None]


@dataclass(frozen=True, kw_only=True)
class SubscriberError:
    """A subscriber raised on an event; the run went on."""

    subscriber: str
    event: str
    error: str


class EventBus:
    """Delivers each event to every subscriber, in order, in the caller's thread.

    `subscribe(handler)` guards the handler: an exception it raises is written to `log_file`
    (with its traceback the first time, one line after) and kept in `errors`, and delivery goes
    on. `subscribe(handler, guarded=False)` is for the harness's own subscribers, whose failure
    must stop the run.
    """

    def __init__(self, *, log_file: Path) -> None:
        self.log_file = log_file
        self._subscribers: list[tuple[Subscriber, bool]] = []
        self._errors: list[SubscriberError] = []

    def subscribe(self, handler: Subscriber, *, guarded: bool = True) -> None:
        self._subscribers.append((handler, guarded))

    def emit(self, event: RunEvent) -> None:
        for handler, guarded in self._subscribers:
            if not guarded:
                handler(event)
                continue
            try:
                handler(event)
            except Exception as exc:  # a subscriber's bug must not stop the run: recorded
                self._record(handler, event, exc)

    @property
    def errors(self) -> tuple[SubscriberError, ...]:
        return tuple(self._errors)

    def _record(self, handler: Subscriber, event: RunEvent, exc: Exception) -> None:
        name = getattr(handler, "__qualname__", None) or type(handler).__qualname__
        first = all(error.subscriber != name for error in self._errors)
        error = SubscriberError(
            subscriber=name, event=type(event).__name__, error=f"{type(exc).__name__}: {exc}"
        )
        self._errors.append(error)
        text = f"subscriber {name} raised on {error.event}: {error.error}\n"
        if first:
            text += "".join(traceback.format_exception(exc))
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("a", encoding="utf-8") as handle:
            handle.write(text)


def subscribers(on_event: Subscriber | Iterable[Subscriber] | None) -> list[Subscriber]:
    """`on_event` as a list: one callable, several, or none."""
    if on_event is None:
        return []
    if callable(on_event):
        return [on_event]
    return list(on_event)


__all__ = [
    "EVENTS_LOG",
    "CheckEvaluated",
    "EventBus",
    "FaultAction",
    "FaultApplied",
    "FaultFailed",
    "FaultRemoved",
    "LeftoverStopped",
    "LoadStopped",
    "PhaseChanged",
    "RunAborted",
    "RunEvent",
    "RunFinished",
    "RunPhase",
    "RunStarted",
    "SecondCounts",
    "StackReady",
    "Subscriber",
    "SubscriberError",
    "Tick",
    "WaitingForWorkers",
    "subscribers",
]
