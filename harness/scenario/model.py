"""The scenario file, as typed models. docs/scenario-format.md documents every key.

    name: bpjs-outage
    title: BPJS eligibility down during morning registration
    incident: 5
    stack: {services: [bpjs, erm, patient-app], seed: 7}
    load: {users: {FrontDeskStaff: 6, AppPatient: 10}, spawn_rate: 4, duration: 4h30m}
    timeline:
      starts_at: "08:00"
      steps:
        - {at: "08:05", until: "12:10", target: bpjs, fault: {kind: down}}
    checks: {served_rate: {during: 0.9}, nothing_lost: true}
    time_scale: 180

Timeline and load durations are incident time, divided by `time_scale` when run; steady state,
drain and check thresholds are wall-clock time. Rules that span several fields (a step's target
is in the stack, a clock time needs `timeline.starts_at`, ...) are in `scenario_issues`, which
reports each by its location so that the loader can name the line.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Union

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    Tag,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from harness.client import ClientDefinition
from harness.durations import ClockTime, format_duration
from harness.faults import (
    INSTANTANEOUS_KINDS,
    SERVICE_ONLY_KINDS,
    Fault,
    FaultLayer,
)
from harness.scenario.checks import CheckName, Checks
from harness.scenario.incidents import IncidentNumber
from harness.scenario.types import (
    CLIENT,
    Clock,
    NonNegativeInt,
    PositiveSeconds,
    Rate,
    Seconds,
    ServiceName,
    Strict,
    Target,
    TimePoint,
)
from harness.yamlmodel import Located

DEFER_CROSS_CHECKS = "defer_cross_checks"
"""Validation context key: the loader runs `scenario_issues` itself to report lines."""

UserClassName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"{value!r} is not a scenario name: use lower-case letters, digits and hyphens "
            "(e.g. bpjs-outage), at most 80"
        )
    return value


Slug = Annotated[str, AfterValidator(_slug), Field(json_schema_extra={"pattern": _SLUG.pattern})]


class Stack(Strict):
    """Which mocks run, the seed of their shared dataset, and whether they serve HTTPS."""

    services: tuple[ServiceName, ...] = Field(
        default=(ServiceName.BPJS, ServiceName.ERM, ServiceName.PATIENT_APP),
        description="the mocks to start, each once",
    )
    seed: NonNegativeInt = Field(
        default=1,
        description="seed of the shared dataset: the same seed, the same patients everywhere",
    )
    tls: bool = Field(
        default=False,
        description="serve every mock over HTTPS, as BPJS and SATUSEHAT do, with a certificate "
        "from a CA made for the run: the client's URLs are https:// and it must trust "
        "{ca_bundle}",
    )

    @model_validator(mode="after")
    def _unique(self) -> Stack:
        if not self.services:
            raise ValueError("name at least one service: bpjs, erm, patient-app")
        if len(set(self.services)) != len(self.services):
            raise ValueError("each service may be listed once")
        return self


class Step(Strict):
    """One fault on one service over a window of the timeline."""

    at: TimePoint = Field(
        description="when the fault starts: an offset from the timeline's start, or a clock time"
    )
    for_: PositiveSeconds | None = Field(
        default=None,
        alias="for",
        description="how long; absent (and no until): to the end of the load",
    )
    until: TimePoint | None = Field(
        default=None, description="when it ends (instead of for): an offset or a clock time"
    )
    target: Target = Field(
        description="the service it hits (it must be in stack.services), or `client`: the client "
        "under test's own process (kill, restart and pause only)"
    )
    fault: Fault = Field(description="the fault: its kind and attributes (see the fault kinds)")
    note: str = Field(default="", description="free text for the report")


def _steps_only(value: Any) -> Any:
    """`timeline:` may be just the list of steps."""
    return {"steps": value} if isinstance(value, list) else value


class Timeline(Strict):
    starts_at: Clock | None = Field(
        default=None,
        description="the incident's clock time at offset 0s, for steps given as clock times",
    )
    steps: tuple[Step, ...] = Field(
        default=(), description="the faults, each over its window of the timeline"
    )

    def offset(self, point: float | ClockTime) -> float | None:
        """Incident seconds from the start for an offset or clock time; None if unresolvable."""
        if not isinstance(point, ClockTime):
            return point
        if self.starts_at is None:
            return None
        seconds = point.seconds_since_midnight - self.starts_at.seconds_since_midnight
        return float(seconds) if seconds >= 0 else None

    def window(self, step: Step) -> tuple[float, float | None]:
        """(start, end) of a step in incident seconds; end None: until the load ends."""
        start = self.offset(step.at)
        if start is None:
            raise ValueError(f"step at {step.at} cannot be placed: set timeline.starts_at")
        if step.fault.kind in INSTANTANEOUS_KINDS:
            return start, start
        if step.for_ is not None:
            return start, start + step.for_
        if step.until is not None:
            end = self.offset(step.until)
            if end is None:
                raise ValueError(
                    f"step until {step.until} cannot be placed: set timeline.starts_at"
                )
            return start, end
        return start, None


class Stage(Strict):
    """A stretch of the load with its own user counts (a locust load shape)."""

    name: str = Field(default="", description="a label for the stage")
    duration: PositiveSeconds = Field(description="how long the stage lasts (incident time)")
    users: dict[UserClassName, NonNegativeInt] | None = Field(
        default=None, description="counts for classes of load.users; absent: load.users"
    )
    spawn_rate: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="users started per second; absent: load.spawn_rate"
    )


class AnswerTimes(StrEnum):
    """Whether times in the mocks' answers follow the scenario's time scale."""

    SCALED = "scaled"
    AS_WRITTEN = "as_written"


class Load(Strict):
    """The patients and staff: locust user classes with counts, for a duration or in stages."""

    users: dict[UserClassName, NonNegativeInt] = Field(
        description="locust user class to count, e.g. {FrontDeskStaff: 4, AppPatient: 6}"
    )
    spawn_rate: Annotated[float, Field(gt=0)] = Field(
        default=5.0,
        description="users started per second",
    )
    duration: PositiveSeconds | None = Field(
        default=None,
        description="incident time of the load (the timeline's length); or give stages",
    )
    stages: tuple[Stage, ...] = Field(
        default=(),
        description="stretches of the load with their own user counts, instead of duration",
    )
    patience: PositiveSeconds = Field(
        default=10.0,
        description="how long a simulated patient waits for an answer before giving up (the "
        "request counts as failed); wall-clock time, not scaled",
    )

    @model_validator(mode="after")
    def _shape(self) -> Load:
        if not self.users or sum(self.users.values()) == 0:
            raise ValueError("give at least one user class with a count above 0")
        if (self.duration is None) == (not self.stages):
            raise ValueError("give either duration or stages (not both)")
        return self

    @property
    def incident_duration(self) -> float:
        return self.duration if self.duration is not None else sum(s.duration for s in self.stages)


class SteadyStateWindow(Strict):
    """A fault-free stretch of load whose served rate must hold (wall-clock time)."""

    duration: Seconds = Field(default=5.0, description="how long the window lasts (wall time)")
    min_served_rate: Rate = Field(
        default=0.95, description="the share of requests that must be served in it"
    )


class SteadyState(Strict):
    """Checked before the timeline starts (else the run stops: exit 3) and after it ends."""

    before: SteadyStateWindow = Field(
        default=SteadyStateWindow(),
        description="before the timeline starts; if it does not hold, the run stops with exit 3",
    )
    after: SteadyStateWindow = Field(
        default=SteadyStateWindow(),
        description="the last seconds of load, once every fault is over: served normally "
        "(degraded does not count); the check served_rate.after.steady_state",
    )


def _client_tag(value: Any) -> str:
    return "path" if isinstance(value, str) else "inline"


ClientRef = Annotated[
    Union[  # noqa: UP007 (Tag needs the members spelled out)
        Annotated[ClientDefinition, Tag("inline")],
        Annotated[str, Tag("path")],
    ],
    Discriminator(_client_tag),
]


class Scenario(Strict):
    """A real incident (or a building block) as a fault timeline under load, with its checks."""

    extends: Annotated[str, Field(min_length=1)] | None = Field(
        default=None,
        description="the scenario this file starts from: a built-in one's name (e.g. incident-2) "
        "or a file relative to this one; each top-level key given here replaces the base's whole "
        "(resolved when a file is read; a Scenario built in Python only records it)",
    )
    name: Slug = Field(description="the scenario's id: lower-case letters, digits and hyphens")
    title: Annotated[str, Field(min_length=1)] = Field(
        description="one line for listings and reports"
    )
    incident: IncidentNumber | None = Field(
        default=None,
        description="which incident of shared/incidents.md (1-5); absent: a building block",
    )
    reference: str = Field(default="", description="where the incident's facts come from")
    description: str = Field(default="", description="what the scenario models and why")
    tags: tuple[str, ...] = Field(
        default=(), description="words to select scenarios by, e.g. `harness run --suite ci`"
    )
    stack: Stack = Field(
        default=Stack(), description="which mocks run, the dataset seed, HTTP or HTTPS"
    )
    client: ClientRef | None = Field(
        default=None, description="inline client definition, or a client file relative to this file"
    )
    load: Load = Field(description="the patients and staff sending requests throughout")
    timeline: Annotated[
        Timeline, BeforeValidator(_steps_only, json_schema_input_type=Timeline | list[Step])
    ] = Field(
        default=Timeline(), description="the faults over time (a bare list of steps is accepted)"
    )
    checks: Checks = Field(description="what must hold for a pass; at least one")
    time_scale: Annotated[float, Field(gt=0)] = Field(
        default=1.0, description="incident seconds per wall second; 160 runs 4h in 90s"
    )
    answer_times: AnswerTimes = Field(
        default=AnswerTimes.SCALED,
        description="times the mocks put in their answers for a client to act on (a maintenance "
        "page's Retry-After): `scaled` divides them by the time scale, as the timeline is "
        "(7200 s at time_scale 180 is sent as 40 s); `as_written` sends them as in the file",
    )
    steady_state: SteadyState = Field(
        default=SteadyState(), description="fault-free windows before and after the timeline"
    )
    drain: Seconds = Field(
        default=10.0,
        description="wall seconds after the load stops, before checks",
    )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """A file with `extends:` may leave out every key its base gives (name, load, ...)."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        required = schema.pop("required", None)
        if handler.mode == "validation" and required:
            schema["if"] = {"required": ["extends"]}
            schema["else"] = {"required": required}
        elif required:
            schema["required"] = required
        return schema

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Scenario:
        if info.context and info.context.get(DEFER_CROSS_CHECKS):
            return self
        issues = scenario_issues(self)
        if issues:
            raise ValueError("; ".join(f"{_dotted(i.loc)}: {i.message}" for i in issues))
        return self


def _dotted(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc)


def scenario_issues(scenario: Scenario) -> list[Located]:
    """Rules that span several fields, each reported at the location to fix."""
    issues: list[Located] = []
    issues += _timeline_issues(scenario)
    issues += _load_issues(scenario.load)
    issues += _check_issues(scenario)
    return issues


def _timeline_issues(scenario: Scenario) -> list[Located]:
    issues: list[Located] = []
    timeline = scenario.timeline
    load_end = scenario.load.incident_duration
    windows: list[tuple[int, Step, float, float]] = []
    for index, step in enumerate(timeline.steps):
        here: tuple[str | int, ...] = ("timeline", "steps", index)
        if step.target == CLIENT and step.fault.layer is not FaultLayer.PROCESS:
            issues.append(
                Located(
                    loc=(*here, "fault", "kind"),
                    message=f"{step.fault.kind} is not a fault of the client's process; the "
                    "client takes kill, restart and pause (fault its upstreams instead)",
                )
            )
        elif step.target != CLIENT and step.target not in scenario.stack.services:
            services = ", ".join(scenario.stack.services)
            issues.append(
                Located(
                    loc=(*here, "target"),
                    message=f"{step.target} is not in stack.services ({services}); add it there",
                )
            )
        only = SERVICE_ONLY_KINDS.get(step.fault.kind)
        if only is not None and step.target != only:
            issues.append(
                Located(
                    loc=(*here, "fault", "kind"),
                    message=f"{step.fault.kind} exists only on {only}, not on {step.target}",
                )
            )
        if step.for_ is not None and step.until is not None:
            issues.append(Located(loc=(*here, "until"), message="give for or until, not both"))
        if step.fault.kind in INSTANTANEOUS_KINDS and (step.for_ is not None or step.until):
            key = "for" if step.for_ is not None else "until"
            issues.append(
                Located(
                    loc=(*here, key),
                    message=f"{step.fault.kind} is instantaneous and takes no {key}; use kill "
                    "with a window for a process that stays down",
                )
            )
        start = timeline.offset(step.at)
        if start is None:
            issues.append(Located(loc=(*here, "at"), message=_clock_message(timeline, step.at)))
            continue
        if start >= load_end:
            issues.append(
                Located(
                    loc=(*here, "at"),
                    message=f"starts at {format_duration(start)}, after the load ends "
                    f"({format_duration(load_end)}); lengthen load.duration or move the step",
                )
            )
        end = load_end
        if step.until is not None and step.for_ is None:
            until = timeline.offset(step.until)
            if until is None:
                issues.append(
                    Located(loc=(*here, "until"), message=_clock_message(timeline, step.until))
                )
                continue
            end = until
            if end <= start:
                issues.append(
                    Located(loc=(*here, "until"), message=f"until {step.until} is not after at")
                )
                continue
        elif step.for_ is not None:
            end = start + step.for_
        windows.append((index, step, start, min(end, load_end)))
    issues += _overlap_issues(windows)
    return issues


def _clock_message(timeline: Timeline, point: float | ClockTime) -> str:
    if timeline.starts_at is None:
        return f'{point} is a clock time: set timeline.starts_at (e.g. "08:00") to place it'
    return f"{point} is before timeline.starts_at ({timeline.starts_at})"


def _overlap_issues(windows: list[tuple[int, Step, float, float]]) -> list[Located]:
    """Toxiproxy keeps one toxic per type and direction on a proxy: overlaps would clash."""
    issues: list[Located] = []
    for position, (index, step, start, end) in enumerate(windows):
        if step.fault.layer is not FaultLayer.NETWORK:
            continue
        for other_index, other, other_start, other_end in windows[:position]:
            same_slot = (
                other.target == step.target
                and other.fault.kind == step.fault.kind
                and getattr(other.fault, "stream", None) == getattr(step.fault, "stream", None)
            )
            if same_slot and start < other_end and other_start < end:
                issues.append(
                    Located(
                        loc=("timeline", "steps", index, "at"),
                        message=f"overlaps step {other_index} ({other.fault.kind} on "
                        f"{other.target}); toxiproxy holds one {step.fault.kind} per direction, "
                        "so end one before the other starts",
                    )
                )
    return issues


def _load_issues(load: Load) -> list[Located]:
    issues: list[Located] = []
    for index, stage in enumerate(load.stages):
        for name in stage.users or {}:
            if name not in load.users:
                issues.append(
                    Located(
                        loc=("load", "stages", index, "users", name),
                        message=f"user class {name} is not in load.users "
                        f"({', '.join(load.users)}); declare it there",
                    )
                )
    return issues


def _check_issues(scenario: Scenario) -> list[Located]:
    issues: list[Located] = []
    checks = scenario.checks
    has_steps = bool(scenario.timeline.steps)
    needs_faults: list[CheckName] = []
    if checks.served_rate is not None and checks.served_rate.during is not None:
        needs_faults.append(CheckName.SERVED_RATE)
    if checks.latency is not None and checks.latency.during is not None:
        needs_faults.append(CheckName.LATENCY)
    if checks.time_to_served is not None:
        needs_faults.append(CheckName.TIME_TO_SERVED)
    if checks.recovery_time is not None:
        needs_faults.append(CheckName.RECOVERY_TIME)
    if checks.no_wrong_answers is not None and checks.no_wrong_answers.during is not None:
        needs_faults.append(CheckName.NO_WRONG_ANSWERS)
    if not has_steps:
        for name in needs_faults:
            issues.append(
                Located(
                    loc=("checks", name.value),
                    message="needs a fault: the timeline has no steps",
                )
            )
    if checks.recovery_time is not None and has_steps:
        load_end = scenario.load.incident_duration
        ends = []
        for step in scenario.timeline.steps:
            try:
                _, end = scenario.timeline.window(step)
            except ValueError:
                continue
            ends.append(end is not None and end < load_end)
        if ends and not any(ends):
            issues.append(
                Located(
                    loc=("checks", "recovery_time"),
                    message="no fault ends before the load does, so there is no recovery to "
                    "time; give a step `for` or `until`, or lengthen load.duration",
                )
            )
    ledger_services = {ServiceName.ERM, ServiceName.PATIENT_APP}
    if not ledger_services & set(scenario.stack.services):
        for name in (CheckName.NOTHING_LOST, CheckName.NO_DUPLICATES):
            if getattr(checks, name.value) is not None:
                issues.append(
                    Located(
                        loc=("checks", name.value),
                        message="needs a ledger: add erm or patient-app to stack.services",
                    )
                )
    return issues


__all__ = [
    "DEFER_CROSS_CHECKS",
    "Load",
    "Scenario",
    "Stack",
    "Stage",
    "SteadyState",
    "SteadyStateWindow",
    "Step",
    "Timeline",
    "scenario_issues",
]
