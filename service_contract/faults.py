"""Every fault kind with its parameters: the one definition the mocks and the harness share.

    app (the mocks' admin API)  AppFaultKind, each with its params model (PARAMS_BY_KIND)
    network (toxiproxy)         ToxicType, each with its attributes (TOXIC_ATTRIBUTES)

A mock validates `POST /__admin/faults` with these params models and acts on them; the harness
builds its scenario fault values from the same models, so a scenario, the CLI and the mocks accept
exactly the same faults. Toxic attributes are data here; checking them and talking to toxiproxy
is the harness's toxiproxy layer's job.

    PARAMS_BY_KIND[AppFaultKind.MAINTENANCE].model_validate({"retry_after": 1800})
    [spec.name for spec in TOXIC_ATTRIBUTES[ToxicType.LATENCY]]      # ["latency", "jitter"]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
"""A share between 0 and 1."""


# --- app faults (the mocks' admin API) ----------------------------------------------------------


class AppFaultKind(StrEnum):
    """The faults a mock makes in its own app, by name."""

    HTTP_ERROR = "http_error"
    MAINTENANCE = "maintenance"
    SERVICE_ERROR = "service_error"
    DELAY = "delay"
    MALFORMED_JSON = "malformed_json"
    TRUNCATED_BODY = "truncated_body"
    WRONG_CONTENT_TYPE = "wrong_content_type"
    SCHEMA_DRIFT = "schema_drift"
    STALE_DATA = "stale_data"
    UNDECRYPTABLE = "undecryptable"
    CLOCK_SKEW = "clock_skew"


class DelayWhen(StrEnum):
    """When a delay fault holds the request: before the handler runs, or after it has run and
    committed, holding back only the answer (the slow but successful case)."""

    BEFORE = "before"
    AFTER = "after"


class DriftMode(StrEnum):
    """How a schema_drift fault changes its field: renamed, left out, null or of another type."""

    RENAME = "rename"
    MISSING = "missing"
    NULL = "null"
    WRONG_TYPE = "wrong_type"


class FaultParams(BaseModel):
    """Base of the params models: frozen, and an unknown param is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpErrorParams(FaultParams):
    status: Literal[500, 502, 503, 504] = Field(default=500, description="HTTP status to answer")


class MaintenanceParams(FaultParams):
    retry_after: Annotated[int, Field(ge=0, le=86_400)] = Field(
        default=7200, description="Retry-After header, seconds"
    )
    message: str = Field(
        default="Sistem sedang dalam pemeliharaan (maintenance). Silakan coba beberapa saat lagi.",
        description="text of the HTML maintenance page",
    )


class ServiceErrorParams(FaultParams):
    code: str = Field(
        default="500",
        description="the service's own error code (BPJS metaData.code, FHIR issue code)",
    )
    message: str = Field(
        default="Terjadi kesalahan pada server", description="the service's error message"
    )
    status: Annotated[int, Field(ge=200, le=599)] | None = Field(
        default=None, description="HTTP status; absent: the service's usual (200 for BPJS)"
    )


class DelayParams(FaultParams):
    ms: Annotated[int, Field(ge=0, le=600_000)] = Field(
        default=1000, description="server-side delay before answering, ms"
    )
    when: DelayWhen = Field(
        default=DelayWhen.BEFORE,
        description="before: the request waits, then runs; after: it runs and commits, then "
        "the answer waits (a client that times out and retries without an Idempotency-Key "
        "makes a duplicate)",
    )


class NoParams(FaultParams):
    pass


class TruncatedBodyParams(FaultParams):
    keep: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        default=0.5, description="share of the body's bytes sent"
    )
    # True: headers declare the full length and the connection closes early, as a dying gateway
    # does. False: a well-formed response whose body is simply cut.
    declare_full_length: bool = Field(default=True, description="Content-Length says the full size")


class WrongContentTypeParams(FaultParams):
    content_type: str = Field(
        default="text/html; charset=utf-8", description="the Content-Type sent instead"
    )


class SchemaDriftParams(FaultParams):
    mode: DriftMode = Field(default=DriftMode.RENAME, description="how the field drifts")
    field: str = Field(min_length=1, description="the field that drifts")
    to: str | None = Field(default=None, description="the new name (rename) or value (wrong_type)")


class StaleDataParams(FaultParams):
    days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=1, description="how many days old the data is"
    )


class ClockSkewParams(FaultParams):
    # "not 0" in the schema too, so that editors reject it before a run.
    seconds: Annotated[
        int, Field(ge=-86_400, le=86_400, json_schema_extra={"not": {"const": 0}})
    ] = Field(
        # past the mock's default window (--max-skew 300), so the default rejects
        default=600,
        description="BPJS only: the server clock reads this many seconds ahead (positive) or "
        "behind (negative) of real time; correct X-timestamps are rejected when it exceeds the "
        "mock's --max-skew (300 s by default); not 0",
    )

    @field_validator("seconds")
    @classmethod
    def _non_zero(cls, seconds: int) -> int:
        if seconds == 0:
            raise ValueError(
                "0 is no skew: give the seconds the server clock is ahead (positive) or "
                "behind (negative)"
            )
        return seconds


PARAMS_BY_KIND: Final[Mapping[AppFaultKind, type[FaultParams]]] = MappingProxyType(
    {
        AppFaultKind.HTTP_ERROR: HttpErrorParams,
        AppFaultKind.MAINTENANCE: MaintenanceParams,
        AppFaultKind.SERVICE_ERROR: ServiceErrorParams,
        AppFaultKind.DELAY: DelayParams,
        AppFaultKind.MALFORMED_JSON: NoParams,
        AppFaultKind.TRUNCATED_BODY: TruncatedBodyParams,
        AppFaultKind.WRONG_CONTENT_TYPE: WrongContentTypeParams,
        AppFaultKind.SCHEMA_DRIFT: SchemaDriftParams,
        AppFaultKind.STALE_DATA: StaleDataParams,
        AppFaultKind.UNDECRYPTABLE: NoParams,
        AppFaultKind.CLOCK_SKEW: ClockSkewParams,
    }
)
"""The params model of each app fault kind."""


# --- network faults (toxiproxy) -----------------------------------------------------------------


class ToxicType(StrEnum):
    """Toxiproxy's built-in toxics (v2.12.0)."""

    LATENCY = "latency"
    BANDWIDTH = "bandwidth"
    SLOW_CLOSE = "slow_close"
    TIMEOUT = "timeout"
    RESET_PEER = "reset_peer"
    SLICER = "slicer"
    LIMIT_DATA = "limit_data"


@dataclass(frozen=True, kw_only=True)
class AttributeSpec:
    """One attribute of a toxic: its unit, what it means and its default (None: required)."""

    name: str
    unit: str
    help: str
    note: str = ""
    """What a special value means ("0 holds it open until removed"), after the unit."""
    default: int | None = None
    minimum: int = 0

    @property
    def description(self) -> str:
        """What it means, with its unit: "delay added to the data (ms)"."""
        text = f"{self.help} ({self.unit})"
        return f"{text}; {self.note}" if self.note else text

    def describe(self) -> str:
        need = "required" if self.default is None else f"default {self.default}"
        return f"{self.name} ({self.unit}, {need})"


TOXIC_ATTRIBUTES: Final[Mapping[ToxicType, tuple[AttributeSpec, ...]]] = MappingProxyType(
    {
        ToxicType.LATENCY: (
            AttributeSpec(name="latency", unit="ms", help="delay added to the data"),
            AttributeSpec(name="jitter", unit="ms", help="+/- random variation", default=0),
        ),
        ToxicType.BANDWIDTH: (
            AttributeSpec(name="rate", unit="KB/s", help="transfer rate limit", minimum=1),
        ),
        ToxicType.SLOW_CLOSE: (
            AttributeSpec(name="delay", unit="ms", help="delay before the connection closes"),
        ),
        ToxicType.TIMEOUT: (
            AttributeSpec(
                name="timeout",
                unit="ms",
                help="drop all data, close the connection after this long",
                note="0 holds it open until removed",
                default=0,
            ),
        ),
        ToxicType.RESET_PEER: (
            AttributeSpec(
                name="timeout", unit="ms", help="send a TCP RST after this long", default=0
            ),
        ),
        ToxicType.SLICER: (
            AttributeSpec(
                name="average_size", unit="bytes", help="average size of a slice", minimum=1
            ),
            AttributeSpec(
                name="size_variation", unit="bytes", help="+/- variation of a slice", default=0
            ),
            AttributeSpec(name="delay", unit="µs", help="delay between slices", default=0),
        ),
        ToxicType.LIMIT_DATA: (
            AttributeSpec(
                name="bytes", unit="bytes", help="data sent before the connection closes"
            ),
        ),
    }
)
"""The attributes of each toxic, in toxiproxy's order."""


def toxic_attribute(toxic: ToxicType, name: str) -> AttributeSpec:
    """The spec of one attribute of a toxic; KeyError if the toxic has no such attribute."""
    for spec in TOXIC_ATTRIBUTES[toxic]:
        if spec.name == name:
            return spec
    raise KeyError(f"{toxic} has no attribute {name!r}")
