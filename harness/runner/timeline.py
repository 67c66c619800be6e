"""Executing a scenario's timeline: each fault applied at its time and removed at its end.

Every application and removal is sent as an event (harness.runner.events) with its scheduled and
actual time, in seconds since t0 (the start of the load); the actual time is taken before the
event is sent. `FaultWindows`, one of the run's subscribers, keeps them for the journal, which
shows how late each fault came. Every fault, network, app or process (kill -9, restart), goes
through the run's RunningStack, the one code path shared with `harness inject` and the pytest
plugin.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from harness.errors import HarnessError
from harness.faults import RestartFault
from harness.results.run import FaultWindow
from harness.runner.events import (
    FaultAction,
    FaultApplied,
    FaultFailed,
    FaultRemoved,
    RunEvent,
)
from harness.scenario.schedule import Schedule, ScheduledStep
from harness.stack.apply import AppliedStackFault
from harness.stack.running import RunningStack


class Action(StrEnum):
    START = "start"
    END = "end"


@dataclass(frozen=True, order=True)
class _Due:
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
    on: bool = False  # applied and not removed yet


class TimelineExecutor:
    """Applies due faults when `run_due` is called; `heal_all` removes whatever is still on."""

    def __init__(
        self,
        schedule: Schedule,
        *,
        stack: RunningStack,
        t0: float,
        emit: Callable[[RunEvent], None],
    ) -> None:
        self.stack = stack
        self.t0 = t0
        self.emit = emit
        self._steps = [_StepState(step, *schedule.since_t0(step)) for step in schedule.steps]
        due = []
        for state in self._steps:
            due.append(_Due(state.scheduled_start, 1, state.step.index, Action.START))
            if state.scheduled_end is not None and not state.step.instantaneous:
                due.append(_Due(state.scheduled_end, 0, state.step.index, Action.END))
        self._pending = sorted(due)

    def now(self) -> float:
        return time.time() - self.t0

    def next_at(self) -> float | None:
        """When the next action is due (seconds since t0), None if none is left."""
        return self._pending[0].at if self._pending else None

    def run_due(self) -> None:
        while self._pending and self._pending[0].at <= self.now():
            due = self._pending.pop(0)
            state = self._steps[due.step_index]
            if due.action is Action.START:
                self._start(state)
            else:
                self._end(state)

    def active(self) -> list[str]:
        return [s.step.describe() for s in self._steps if s.on]

    def heal_all(self) -> None:
        """Remove every fault still applied (a killed mock is started again)."""
        self._pending.clear()
        for state in self._steps:
            self._end(state)

    def _start(self, state: _StepState) -> None:
        fault, service = state.step.fault, state.step.target
        try:
            applied = self.stack.apply(service, fault)
        except HarnessError as exc:
            self._failed(state, FaultAction.APPLY, state.scheduled_start, exc)
            return
        actual = self.now()
        instantaneous = isinstance(fault, RestartFault)  # nothing to remove
        state.applied, state.on = (None, False) if instantaneous else (applied, True)
        self.emit(
            FaultApplied(
                step=state.step,
                scheduled=state.scheduled_start,
                actual=actual,
                instantaneous=instantaneous,
                back_after_s=applied.back_after_s,
            )
        )

    def _end(self, state: _StepState) -> None:
        if not state.on:  # never applied (it failed), instantaneous, or removed already
            return
        state.on = False
        back_after = None
        try:
            if state.applied is not None:
                back_after = self.stack.remove(state.applied)
                state.applied = None
        except HarnessError as exc:
            self._failed(state, FaultAction.REMOVE, state.scheduled_end, exc)
            return
        self.emit(
            FaultRemoved(
                step=state.step,
                scheduled=state.scheduled_end,
                actual=self.now(),
                back_after_s=back_after,
            )
        )

    def _failed(
        self, state: _StepState, action: FaultAction, scheduled: float | None, exc: HarnessError
    ) -> None:
        self.emit(
            FaultFailed(
                step=state.step,
                action=action,
                scheduled=scheduled,
                actual=self.now(),
                error=str(exc),
            )
        )


class FaultWindows:
    """The journal's fault windows, scheduled vs actual: a subscriber to the run's fault events."""

    def __init__(self, schedule: Schedule) -> None:
        self._windows: list[FaultWindow] = []
        for step in schedule.steps:
            start, end = schedule.since_t0(step)
            self._windows.append(
                FaultWindow(
                    step=step.index,
                    target=str(step.target),
                    kind=step.fault.kind,
                    layer=step.fault.layer,
                    description=step.describe(),
                    scheduled_start=start,
                    scheduled_end=end,
                )
            )

    def __call__(self, event: RunEvent) -> None:
        match event:
            case FaultApplied(instantaneous=True):
                self._update(
                    event.step,
                    actual_start=event.actual,
                    actual_end=event.actual,
                    back_after_s=event.back_after_s,
                )
            case FaultApplied():
                self._update(event.step, actual_start=event.actual)
            case FaultRemoved():
                self._update(event.step, actual_end=event.actual, back_after_s=event.back_after_s)
            case FaultFailed(action=FaultAction.APPLY):
                self._update(event.step, error=f"could not apply: {event.error}")
            case FaultFailed():
                self._update(
                    event.step, actual_end=event.actual, error=f"could not remove: {event.error}"
                )

    def windows(self) -> tuple[FaultWindow, ...]:
        return tuple(self._windows)

    def _update(self, step: ScheduledStep, **changes: float | str | None) -> None:
        self._windows[step.index] = self._windows[step.index].model_copy(update=changes)
