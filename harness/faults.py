"""The harness's fault catalogue: every fault a scenario, the CLI or the pytest plugin can apply.

A fault is a frozen value whose `kind` says what it is; its other fields are its attributes:

    network (toxiproxy)  latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data
                         (each with stream and toxicity), and down (the proxy disabled)
    app (mock admin API) http_error, maintenance, service_error, delay, malformed_json,
                         truncated_body, wrong_content_type, schema_drift, stale_data,
                         undecryptable, clock_skew (each with route, methods and probability)
    process              kill (SIGKILL of the mock), restart (the mock stopped and started again)

    LatencyToxic(kind="latency", latency=300, jitter=50).network_fault()   # -> toxiproxy Toxic
    MaintenanceFault(kind="maintenance", route="/vclaim-rest/Peserta/*").admin_request()

The harness never imports mock_services (it drives the mocks over HTTP), so the app-fault params
below mirror mock_services.common.faults.PARAMS_BY_KIND; tests/test_fault_catalogue.py keeps the
two in sync. Toxic attributes mirror harness.toxiproxy.faults.TOXIC_ATTRIBUTES (same test file),
and `network_fault()` builds the toxiproxy layer's own value, which validates once more.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, ClassVar, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from harness.toxiproxy.faults import Down, NetworkFault, Stream, Toxic

ADMIN_PREFIX: Final = "/__admin"


class FaultLayer(StrEnum):
    """Where a fault is made: in toxiproxy, in the mock's app, or to the mock's process."""

    NETWORK = "network"
    APP = "app"
    PROCESS = "process"


class AppFaultKind(StrEnum):
    """Mirror of mock_services.common.faults.FaultKind."""

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


class ProcessFaultKind(StrEnum):
    KILL = "kill"
    RESTART = "restart"


class HttpMethod(StrEnum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    HEAD = "HEAD"
    OPTIONS = "OPTIONS"


class DriftMode(StrEnum):
    """Mirror of mock_services.common.faults.DriftMode."""

    RENAME = "rename"
    MISSING = "missing"
    NULL = "null"
    WRONG_TYPE = "wrong_type"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegativeInt = Annotated[int, Field(ge=0)]


# --- network faults (toxiproxy) -----------------------------------------------------------------


class _ToxicFault(_Strict):
    """Options every toxic has: the direction it acts on and the share of connections hit."""

    layer: ClassVar[FaultLayer] = FaultLayer.NETWORK
    kind: str
    stream: Stream = Field(
        default=Stream.DOWNSTREAM,
        description="direction: downstream (responses) or upstream (requests)",
    )
    toxicity: Probability = Field(
        default=1.0, description="share of connections the toxic applies to"
    )

    def attributes(self) -> dict[str, int]:
        """The toxic's own attributes (without kind, stream and toxicity)."""
        raw = self.model_dump(exclude={"kind", "stream", "toxicity"})
        return {name: int(value) for name, value in raw.items()}

    def network_fault(self) -> NetworkFault:
        """The toxiproxy layer's value for this fault."""
        return Toxic.build(self.kind, self.attributes(), stream=self.stream, toxicity=self.toxicity)

    def describe(self) -> str:
        words = [self.kind, *(f"{k}={v}" for k, v in self.attributes().items())]
        share = "" if self.toxicity == 1.0 else f" toxicity={self.toxicity:g}"
        return f"{' '.join(words)} ({self.stream}{share})"


class LatencyToxic(_ToxicFault):
    kind: Literal["latency"]
    latency: NonNegativeInt = Field(description="delay added to the data, ms")
    jitter: NonNegativeInt = Field(default=0, description="+/- random variation, ms")


class BandwidthToxic(_ToxicFault):
    kind: Literal["bandwidth"]
    rate: Annotated[int, Field(ge=1, description="transfer rate limit, KB/s")]


class SlowCloseToxic(_ToxicFault):
    kind: Literal["slow_close"]
    delay: NonNegativeInt = Field(description="delay before the connection closes, ms")


class TimeoutToxic(_ToxicFault):
    kind: Literal["timeout"]
    timeout: NonNegativeInt = Field(
        default=0, description="drop all data and close after this long, ms; 0 holds it open"
    )


class ResetPeerToxic(_ToxicFault):
    kind: Literal["reset_peer"]
    timeout: NonNegativeInt = Field(default=0, description="send a TCP RST after this long, ms")


class SlicerToxic(_ToxicFault):
    kind: Literal["slicer"]
    average_size: Annotated[int, Field(ge=1, description="average size of a slice, bytes")]
    size_variation: NonNegativeInt = Field(default=0, description="+/- variation of a slice, bytes")
    delay: NonNegativeInt = Field(default=0, description="delay between slices, µs")


class LimitDataToxic(_ToxicFault):
    kind: Literal["limit_data"]
    bytes: NonNegativeInt = Field(description="close the connection after this many bytes")


class DownFault(_Strict):
    """The proxy disabled: new connections are refused and open ones cut."""

    layer: ClassVar[FaultLayer] = FaultLayer.NETWORK
    kind: Literal["down"]

    def network_fault(self) -> NetworkFault:
        return Down()

    def describe(self) -> str:
        return "down (connections refused)"


# --- app faults (the mocks' admin API) ----------------------------------------------------------
# Params models: field for field the mocks' own (see the module docstring).


class _Params(_Strict):
    pass


class HttpErrorParams(_Params):
    status: Literal[500, 502, 503, 504] = Field(default=500, description="HTTP status to answer")


class MaintenanceParams(_Params):
    retry_after: Annotated[int, Field(ge=0, le=86_400)] = Field(
        default=7200, description="Retry-After header, seconds"
    )
    message: str = Field(
        default="Sistem sedang dalam pemeliharaan (maintenance). Silakan coba beberapa saat lagi.",
        description="text of the HTML maintenance page",
    )


class ServiceErrorParams(_Params):
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


class DelayParams(_Params):
    ms: Annotated[int, Field(ge=0, le=600_000)] = Field(
        default=1000, description="server-side delay before answering, ms"
    )


class NoParams(_Params):
    pass


class TruncatedBodyParams(_Params):
    keep: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        default=0.5, description="share of the body's bytes sent"
    )
    declare_full_length: bool = Field(default=True, description="Content-Length says the full size")


class WrongContentTypeParams(_Params):
    content_type: str = Field(
        default="text/html; charset=utf-8", description="the Content-Type sent instead"
    )


class SchemaDriftParams(_Params):
    mode: DriftMode = Field(default=DriftMode.RENAME, description="how the field drifts")
    field: str = Field(min_length=1, description="the field that drifts")
    to: str | None = Field(default=None, description="the new name (rename) or value (wrong_type)")


class StaleDataParams(_Params):
    days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=1, description="how many days old the data is"
    )


class ClockSkewParams(_Params):
    seconds: Annotated[
        int, Field(ge=-86_400, le=86_400, json_schema_extra={"not": {"const": 0}})
    ] = Field(
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


PARAMS_BY_KIND: Final[Mapping[AppFaultKind, type[_Params]]] = MappingProxyType(
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
"""Harness-side mirror of mock_services.common.faults.PARAMS_BY_KIND."""


class AppFaultRequest(_Strict):
    """The body of `POST /__admin/faults` on a mock."""

    kind: AppFaultKind
    route: str
    methods: tuple[HttpMethod, ...] | None
    probability: Probability
    params: dict[str, JsonValue]


class _AppFault(_Strict):
    """Options every app fault has: which requests it hits, and how often."""

    layer: ClassVar[FaultLayer] = FaultLayer.APP
    kind: str
    route: str = Field(
        default="*",
        description="fnmatch glob on the request path; '*' is every route",
    )
    methods: tuple[HttpMethod, ...] | None = Field(
        default=None, description="HTTP methods it hits; absent: all"
    )
    probability: Probability = Field(default=1.0, description="per-request chance that it fires")

    @field_validator("route")
    @classmethod
    def _not_admin(cls, route: str) -> str:
        if route.startswith(ADMIN_PREFIX):
            raise ValueError(f"route {route!r} is the admin API, which is never faulted")
        return route

    def params(self) -> dict[str, JsonValue]:
        """The kind-specific params, as the admin API takes them."""
        own = set(PARAMS_BY_KIND[AppFaultKind(self.kind)].model_fields)
        dumped: dict[str, JsonValue] = self.model_dump(mode="json", include=own)
        return dumped

    def admin_request(self) -> AppFaultRequest:
        return AppFaultRequest(
            kind=AppFaultKind(self.kind),
            route=self.route,
            methods=self.methods,
            probability=self.probability,
            params=self.params(),
        )

    def describe(self) -> str:
        own = set(PARAMS_BY_KIND[AppFaultKind(self.kind)].model_fields)
        changed = self.model_dump(mode="json", include=own, exclude_defaults=True)
        params = " ".join(f"{k}={v}" for k, v in changed.items())
        where = self.route if self.methods is None else f"{','.join(self.methods)} {self.route}"
        share = "" if self.probability == 1.0 else f" p={self.probability:g}"
        return " ".join(part for part in (self.kind, params, f"on {where}{share}") if part)


class HttpErrorFault(_AppFault, HttpErrorParams):
    kind: Literal["http_error"]


class MaintenanceFault(_AppFault, MaintenanceParams):
    kind: Literal["maintenance"]


class ServiceErrorFault(_AppFault, ServiceErrorParams):
    kind: Literal["service_error"]


class DelayFault(_AppFault, DelayParams):
    kind: Literal["delay"]


class MalformedJsonFault(_AppFault, NoParams):
    kind: Literal["malformed_json"]


class TruncatedBodyFault(_AppFault, TruncatedBodyParams):
    kind: Literal["truncated_body"]


class WrongContentTypeFault(_AppFault, WrongContentTypeParams):
    kind: Literal["wrong_content_type"]


class SchemaDriftFault(_AppFault, SchemaDriftParams):
    kind: Literal["schema_drift"]


class StaleDataFault(_AppFault, StaleDataParams):
    kind: Literal["stale_data"]


class UndecryptableFault(_AppFault, NoParams):
    """BPJS only: a response the client cannot decrypt."""

    kind: Literal["undecryptable"]


class ClockSkewFault(_AppFault, ClockSkewParams):
    """BPJS only: the server clock moved, so every X-timestamp is judged against the wrong time."""

    kind: Literal["clock_skew"]


# --- process faults -----------------------------------------------------------------------------


class KillFault(_Strict):
    """SIGKILL of the mock's process. With a window, it is started again when the window ends."""

    layer: ClassVar[FaultLayer] = FaultLayer.PROCESS
    kind: Literal["kill"]

    def describe(self) -> str:
        return "kill -9"


class RestartFault(_Strict):
    """The mock stopped (SIGTERM) and started again at once: an instantaneous fault."""

    layer: ClassVar[FaultLayer] = FaultLayer.PROCESS
    kind: Literal["restart"]

    def describe(self) -> str:
        return "restart"


ToxicFault = (
    LatencyToxic
    | BandwidthToxic
    | SlowCloseToxic
    | TimeoutToxic
    | ResetPeerToxic
    | SlicerToxic
    | LimitDataToxic
)
AppFault = (
    HttpErrorFault
    | MaintenanceFault
    | ServiceErrorFault
    | DelayFault
    | MalformedJsonFault
    | TruncatedBodyFault
    | WrongContentTypeFault
    | SchemaDriftFault
    | StaleDataFault
    | UndecryptableFault
    | ClockSkewFault
)
ProcessFault = KillFault | RestartFault
AnyFault = ToxicFault | DownFault | AppFault | ProcessFault

Fault = Annotated[AnyFault, Field(discriminator="kind")]
"""Any fault, told apart by its `kind`: use as a pydantic field type."""

FAULT_KINDS: Final[tuple[str, ...]] = tuple(
    get_args(model.model_fields["kind"].annotation)[0] for model in get_args(AnyFault)
)
"""Every fault kind, in catalogue order."""

INSTANTANEOUS_KINDS: Final = frozenset({ProcessFaultKind.RESTART.value})
"""Faults that happen at a moment and take no window (`for` is not allowed)."""

SERVICE_ONLY_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {AppFaultKind.UNDECRYPTABLE.value: "bpjs", AppFaultKind.CLOCK_SKEW.value: "bpjs"}
)
"""App faults that only one service implements."""
