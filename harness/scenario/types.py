"""Field types of scenario files: durations, time points, rates, service names.

Durations and time points in a scenario's `timeline` and `load` are in incident time (scaled by
`time_scale`); everything else (steady state, drain, check thresholds) is wall-clock time.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from harness.durations import (
    DURATION_HELP,
    ClockTime,
    looks_like_clock,
    parse_clock,
    parse_duration,
)
from service_contract.services import ServiceName as ServiceName  # the scenario's vocabulary

CLIENT: Final = "client"
"""The target of a step that faults the client under test's own process (kill, restart, pause)."""

Target = ServiceName | Literal["client"]
"""What a fault hits: a service of the stack, or the client under test."""


class Strict(BaseModel):
    """Base of every scenario model: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _duration(value: Any) -> float:
    return parse_duration(value)


def _time_point(value: Any) -> float | ClockTime:
    if isinstance(value, ClockTime):
        return value
    if looks_like_clock(value):
        return parse_clock(str(value))
    try:
        return parse_duration(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is neither an offset nor a clock time; {DURATION_HELP}, "
            "or a clock time like 08:05 (with timeline.starts_at)"
        ) from None


def _time_point_out(value: float | ClockTime) -> str | float:
    return str(value) if isinstance(value, ClockTime) else value


def _clock(value: Any) -> ClockTime:
    if isinstance(value, ClockTime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a clock time; write it as HH:MM, e.g. 08:00")
    return parse_clock(value)


def _rate(value: Any) -> Any:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100
        except ValueError:
            raise ValueError(f"{value!r} is not a percentage; write e.g. 95% or 0.95") from None
    return value


Seconds = Annotated[
    float, BeforeValidator(_duration, json_schema_input_type=str | float), Field(ge=0)
]
"""A duration: "500ms", "30s", "4h", "1h30m", or a number of seconds."""

PositiveSeconds = Annotated[
    float, BeforeValidator(_duration, json_schema_input_type=str | float), Field(gt=0)
]

TimePoint = Annotated[
    float | ClockTime,
    BeforeValidator(_time_point, json_schema_input_type=str | float),
    PlainSerializer(_time_point_out, return_type=str | float),
]
"""An offset from the timeline's start (a duration) or a clock time such as "08:05"."""

Clock = Annotated[
    ClockTime,
    BeforeValidator(_clock, json_schema_input_type=str),
    PlainSerializer(str, return_type=str),
]

Rate = Annotated[
    float, BeforeValidator(_rate, json_schema_input_type=str | float), Field(ge=0.0, le=1.0)
]
"""A share between 0 and 1; "95%" is accepted too."""

PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
