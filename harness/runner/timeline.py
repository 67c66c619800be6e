"""Executing a scenario's timeline: each fault applied at its time and removed at its end.

Every application and removal is recorded with its scheduled and actual time (seconds since t0,
the start of the load), so the journal shows how late each fault came. Every fault, network, app
or process (kill -9, restart), goes through the run's RunningStack, the one code path shared
with `harness inject` and the pytest plugin.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum

from harness.errors import HarnessError
from harness.faults import RestartFault
from harness.results.run import FaultWindow
from harness.scenario.schedule import Schedule, ScheduledStep
from harness.stack.apply import AppliedStackFault
from harness.stack.running import RunningStack


class Action(StrEnum):
    START = "start"
    END = "end"


@dataclass(frozen=True, order=True)
class Event:
    at: float  # seconds since t0
    order: int  # ends before starts at the same instant, then by step
    step_index: int
    action: Action = field(compare=False)


@dataclass
class _StepState:
    step: ScheduledStep
    scheduled_start: float
    scheduled_end: float | None
    applied: AppliedStackFault | None = None
    actual_start: float | None = None
    actual_end: float | None = None
    error: str | None = None

    @property
    def active(self) -> bool:
        return self.actual_start is not None and self.actual_end is None

    def window(self) -> FaultWindow:
        return FaultWindow(
            step=self.step.index,
            target=str(self.step.target),
            kind=self.step.fault.kind,
            layer=self.step.fault.layer,
            description=self.step.describe(),
            scheduled_start=self.scheduled_start,
            scheduled_end=self.scheduled_end,
            actual_start=self.actual_start,
            actual_end=self.actual_end,
            error=self.error,
        )


class TimelineExecutor:
    """Applies due faults when `run_due` is called; `heal_all` removes whatever is still on."""

    def __init__(
        self,
        schedule: Schedule,
        *,
        stack: RunningStack,
        t0: float,
    ) -> None:
        self.stack = stack
        self.t0 = t0
        offset = schedule.steady_before
        self._steps = [
            _StepState(
                step=step,
                scheduled_start=offset + step.start,
                scheduled_end=None if step.end is None else offset + step.end,
            )
            for step in schedule.steps
        ]
        events = []
        for state in self._steps:
            events.append(Event(state.scheduled_start, 1, state.step.index, Action.START))
            if state.scheduled_end is not None and not state.step.instantaneous:
                events.append(Event(state.scheduled_end, 0, state.step.index, Action.END))
        self._pending = sorted(events)

    def now(self) -> float:
        return time.time() - self.t0

    def next_at(self) -> float | None:
        """When the next event is due (seconds since t0), None if none is left."""
        return self._pending[0].at if self._pending else None

    def run_due(self) -> None:
        while self._pending and self._pending[0].at <= self.now():
            event = self._pending.pop(0)
            state = self._steps[event.step_index]
            if event.action is Action.START:
                self._start(state)
            else:
                self._end(state)

    def active(self) -> list[str]:
        return [s.step.describe() for s in self._steps if s.active]

    def heal_all(self) -> None:
        """Remove every fault still applied (a killed mock is started again); record the time."""
        self._pending.clear()
        for state in self._steps:
            if state.active:
                self._end(state)

    def windows(self) -> tuple[FaultWindow, ...]:
        return tuple(state.window() for state in self._steps)

    def errors(self) -> list[str]:
        return [
            f"step {s.step.index} ({s.step.describe()}): {s.error}" for s in self._steps if s.error
        ]

    def _start(self, state: _StepState) -> None:
        fault, service = state.step.fault, state.step.target
        try:
            applied = self.stack.apply(service, fault)
            state.actual_start = self.now()
            if isinstance(fault, RestartFault):
                state.actual_end = state.actual_start  # instantaneous: nothing to remove
            else:
                state.applied = applied
        except HarnessError as exc:
            state.error = f"could not apply: {exc}"

    def _end(self, state: _StepState) -> None:
        try:
            if state.applied is not None:
                self.stack.remove(state.applied)
                state.applied = None
            state.actual_end = self.now()
        except HarnessError as exc:
            state.error = f"could not remove: {exc}"
            state.actual_end = self.now()
