"""A scenario's timeline resolved to wall-clock seconds at a time scale: what the runner executes.

    schedule = build_schedule(scenario)            # at the file's own time_scale
    schedule = build_schedule(scenario, time_scale=600)   # `--time-scale 600`
    for step in schedule.steps: ...                # start/end in wall seconds from timeline start

Offsets are from the start of the timeline, which begins once the steady state before has held;
`total` is the whole run: steady state before + timeline + steady state after + drain.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.faults import AnyFault, MaintenanceFault
from harness.scenario.model import AnswerTimes, Scenario
from harness.scenario.types import Target


@dataclass(frozen=True, kw_only=True)
class ScheduledStep:
    """One step of the timeline in wall seconds. `end` None: until the load ends."""

    index: int
    target: Target
    fault: AnyFault
    start: float
    end: float | None
    incident_start: float
    incident_end: float | None

    @property
    def instantaneous(self) -> bool:
        return self.end is not None and self.end == self.start

    def describe(self) -> str:
        return f"{self.target}: {self.fault.describe()}"


@dataclass(frozen=True, kw_only=True)
class Schedule:
    time_scale: float
    steps: tuple[ScheduledStep, ...]
    load_duration: float
    steady_before: float
    steady_after: float
    drain: float

    @property
    def total(self) -> float:
        """Wall seconds of a whole run, start-up excluded."""
        return self.steady_before + self.load_duration + self.steady_after + self.drain

    def since_t0(self, step: ScheduledStep) -> tuple[float, float | None]:
        """(start, end) of a step in seconds since t0, the start of the load: the timeline
        starts once the steady state before is over."""
        offset = self.steady_before
        return offset + step.start, None if step.end is None else offset + step.end


def answer_times_scaled(fault: AnyFault, scale: float) -> AnyFault:
    """`fault` with the times a client reads in the answers divided by `scale`: a maintenance
    page's Retry-After, at least 1 s (0 would tell the client to come back at once)."""
    if isinstance(fault, MaintenanceFault) and scale != 1 and fault.retry_after > 0:
        return fault.model_copy(update={"retry_after": max(1, round(fault.retry_after / scale))})
    return fault


def build_schedule(scenario: Scenario, *, time_scale: float | None = None) -> Schedule:
    """`scenario`'s timeline in wall seconds; `time_scale` overrides the file's own."""
    scale = scenario.time_scale if time_scale is None else time_scale
    if scale <= 0:
        raise ValueError(f"time scale {scale} must be above 0")
    steps = []
    scaled_answers = scenario.answer_times is AnswerTimes.SCALED
    for index, step in enumerate(scenario.timeline.steps):
        start, end = scenario.timeline.window(step)
        steps.append(
            ScheduledStep(
                index=index,
                target=step.target,
                fault=answer_times_scaled(step.fault, scale) if scaled_answers else step.fault,
                start=start / scale,
                end=None if end is None else end / scale,
                incident_start=start,
                incident_end=end,
            )
        )
    return Schedule(
        time_scale=scale,
        steps=tuple(steps),
        load_duration=scenario.load.incident_duration / scale,
        steady_before=scenario.steady_state.before.duration,
        steady_after=scenario.steady_state.after.duration,
        drain=scenario.drain,
    )
