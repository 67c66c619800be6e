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

Kinds and params come from service_contract.faults, the one definition the mocks use too: an app
fault is its params model plus where it hits (`admin_request()` is the body the mock validates),
and a toxic's attributes are fields made from their specs there. `network_fault()` builds the
toxiproxy layer's own value, which validates once more.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from harness.toxiproxy.faults import Down, NetworkFault, Stream, Toxic
from service_contract.admin import AppFaultRequest, check_faultable
from service_contract.faults import (
    PARAMS_BY_KIND,
    TOXIC_ATTRIBUTES,
    AppFaultKind,
    ClockSkewParams,
    DelayParams,
    HttpErrorParams,
    MaintenanceParams,
    NoParams,
    Probability,
    SchemaDriftParams,
    ServiceErrorParams,
    StaleDataParams,
    ToxicType,
    TruncatedBodyParams,
    WrongContentTypeParams,
    toxic_attribute,
)


class FaultLayer(StrEnum):
    """Where a fault is made: in toxiproxy, in the mock's app, or to the mock's process."""

    NETWORK = "network"
    APP = "app"
    PROCESS = "process"


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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        toxic = ToxicType(get_args(cls.model_fields["kind"].annotation)[0])
        own = [name for name in cls.model_fields if name not in _ToxicFault.model_fields]
        specs = [spec.name for spec in TOXIC_ATTRIBUTES[toxic]]
        if own != specs:  # a toxic's model is its specs, field for field: fail at import
            raise TypeError(f"{cls.__name__} has fields {own}; {toxic} has attributes {specs}")

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


def _attribute(toxic: ToxicType, name: str) -> Any:
    """The field of one toxic attribute, made from its spec in service_contract.faults."""
    spec = toxic_attribute(toxic, name)
    default: Any = ... if spec.default is None else spec.default
    return Field(default, ge=spec.minimum, description=spec.description)


class LatencyToxic(_ToxicFault):
    kind: Literal["latency"]
    latency: int = _attribute(ToxicType.LATENCY, "latency")
    jitter: int = _attribute(ToxicType.LATENCY, "jitter")


class BandwidthToxic(_ToxicFault):
    kind: Literal["bandwidth"]
    rate: int = _attribute(ToxicType.BANDWIDTH, "rate")


class SlowCloseToxic(_ToxicFault):
    kind: Literal["slow_close"]
    delay: int = _attribute(ToxicType.SLOW_CLOSE, "delay")


class TimeoutToxic(_ToxicFault):
    kind: Literal["timeout"]
    timeout: int = _attribute(ToxicType.TIMEOUT, "timeout")


class ResetPeerToxic(_ToxicFault):
    kind: Literal["reset_peer"]
    timeout: int = _attribute(ToxicType.RESET_PEER, "timeout")


class SlicerToxic(_ToxicFault):
    kind: Literal["slicer"]
    average_size: int = _attribute(ToxicType.SLICER, "average_size")
    size_variation: int = _attribute(ToxicType.SLICER, "size_variation")
    delay: int = _attribute(ToxicType.SLICER, "delay")


class LimitDataToxic(_ToxicFault):
    kind: Literal["limit_data"]
    bytes: int = _attribute(ToxicType.LIMIT_DATA, "bytes")


class DownFault(_Strict):
    """The proxy disabled: new connections are refused and open ones cut."""

    layer: ClassVar[FaultLayer] = FaultLayer.NETWORK
    kind: Literal["down"]

    def network_fault(self) -> NetworkFault:
        return Down()

    def describe(self) -> str:
        return "down (connections refused)"


# --- app faults (the mocks' admin API) ----------------------------------------------------------


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
        return check_faultable(route)

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
    """SIGKILL of the process (a mock's, or the client's). With a window, it is started again
    when the window ends, with the same command, environment and files."""

    layer: ClassVar[FaultLayer] = FaultLayer.PROCESS
    kind: Literal["kill"]

    def describe(self) -> str:
        return "kill -9"


class RestartFault(_Strict):
    """The process stopped (SIGTERM, then SIGKILL after its stop timeout) and started again at
    once, readiness awaited: an instantaneous fault."""

    layer: ClassVar[FaultLayer] = FaultLayer.PROCESS
    kind: Literal["restart"]

    def describe(self) -> str:
        return "restart"


class PauseFault(_Strict):
    """SIGSTOP of the process for the window, then SIGCONT: a frozen process that holds its
    connections open and answers nothing."""

    layer: ClassVar[FaultLayer] = FaultLayer.PROCESS
    kind: Literal["pause"]

    def describe(self) -> str:
        return "pause (SIGSTOP)"


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
ProcessFault = KillFault | RestartFault | PauseFault
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
