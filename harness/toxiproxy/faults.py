"""Network faults as values: what toxiproxy can do to a TCP stream, validated before it is sent.

A network fault is either a `Toxic` (one of toxiproxy's built-in toxics with its attributes, the
stream it acts on and its toxicity) or `Down` (the proxy disabled, so new connections are refused
and open ones are cut). Both are frozen values: building one validates it, and applying or removing
it is the adapter's job (harness.toxiproxy.adapter). The toxics and their attributes are data in
service_contract.faults (TOXIC_ATTRIBUTES); this module checks values against them.

    Toxic(type=ToxicType.LATENCY, attributes={"latency": 300, "jitter": 50})
    Toxic.build("limit_data", {"bytes": 100}, stream="downstream")
    parse_network_fault("bandwidth", {"rate": "8"})          # from `key=value` words on a CLI
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from harness.toxiproxy.errors import InvalidFaultError
from service_contract.faults import TOXIC_ATTRIBUTES, ToxicType


class Stream(StrEnum):
    """Which direction a toxic acts on: downstream is server -> client (responses)."""

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"


DOWN: Final = "down"


NETWORK_FAULT_NAMES: Final[tuple[str, ...]] = (*(t.value for t in ToxicType), DOWN)
"""Every network fault name the harness accepts: the toxic types and `down`."""


def _allowed(toxic_type: ToxicType) -> str:
    return ", ".join(spec.describe() for spec in TOXIC_ATTRIBUTES[toxic_type])


def _toxic_type(name: str) -> ToxicType:
    try:
        return ToxicType(name)
    except ValueError:
        raise InvalidFaultError(
            f"unknown network fault {name!r}; choose one of: {', '.join(NETWORK_FAULT_NAMES)}"
        ) from None


def _stream(value: str | Stream) -> Stream:
    try:
        return Stream(value)
    except ValueError:
        raise InvalidFaultError(
            f"stream={value!r} is not a stream; use stream=downstream (responses) or "
            "stream=upstream (requests)"
        ) from None


def validate_attributes(toxic_type: ToxicType, attributes: Mapping[str, int]) -> dict[str, int]:
    """Check `attributes` against the toxic's spec and return them complete, defaults filled in.

    Raises InvalidFaultError naming the bad attribute and listing the allowed ones.
    """
    specs = {spec.name: spec for spec in TOXIC_ATTRIBUTES[toxic_type]}
    unknown = sorted(set(attributes) - set(specs))
    if unknown:
        raise InvalidFaultError(
            f"{toxic_type} has no attribute {unknown[0]!r}; allowed: {_allowed(toxic_type)}"
        )
    complete: dict[str, int] = {}
    for name, spec in specs.items():
        value = attributes.get(name, spec.default)
        if value is None:
            raise InvalidFaultError(
                f"{toxic_type} needs {name}=<{spec.unit}> ({spec.help}); "
                f"allowed: {_allowed(toxic_type)}"
            )
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidFaultError(
                f"{toxic_type} {name}={value!r} must be a whole number of {spec.unit}"
            )
        if value < spec.minimum:
            raise InvalidFaultError(
                f"{toxic_type} {name}={value} must be at least {spec.minimum} {spec.unit}"
            )
        complete[name] = value
    return complete


def _validate_toxicity(toxicity: float) -> float:
    if isinstance(toxicity, bool) or not isinstance(toxicity, int | float):
        raise InvalidFaultError(f"toxicity={toxicity!r} must be a number between 0 and 1")
    if not 0.0 <= toxicity <= 1.0:
        raise InvalidFaultError(
            f"toxicity={toxicity} must be between 0 and 1 (the share of connections affected)"
        )
    return float(toxicity)


@dataclass(frozen=True, kw_only=True)
class Toxic:
    """One toxiproxy toxic as a value. Attributes are validated and completed with defaults.

    `name` is the toxic's name on the server; by default `<type>_<stream>`, toxiproxy's own
    convention, so that one proxy carries at most one toxic of a type per direction.
    """

    type: ToxicType
    attributes: Mapping[str, int] = field(default_factory=dict)
    stream: Stream = Stream.DOWNSTREAM
    toxicity: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        toxic_type = _toxic_type(str(self.type))
        complete = validate_attributes(toxic_type, self.attributes)
        # Frozen: the validated values replace the raw ones once, here.
        object.__setattr__(self, "type", toxic_type)
        object.__setattr__(self, "attributes", MappingProxyType(complete))
        object.__setattr__(self, "stream", _stream(self.stream))
        object.__setattr__(self, "toxicity", _validate_toxicity(self.toxicity))
        object.__setattr__(self, "name", self.name or f"{toxic_type}_{self.stream}")

    def __hash__(self) -> int:
        return hash(
            (
                self.type,
                tuple(sorted(self.attributes.items())),
                self.stream,
                self.toxicity,
                self.name,
            )
        )

    @classmethod
    def build(
        cls,
        toxic_type: str | ToxicType,
        attributes: Mapping[str, int] | None = None,
        *,
        stream: str | Stream = Stream.DOWNSTREAM,
        toxicity: float = 1.0,
        name: str = "",
    ) -> Toxic:
        """Build from plain strings (as found in a scenario file), validating everything."""
        return cls(
            type=_toxic_type(str(toxic_type)),
            attributes=dict(attributes or {}),
            stream=_stream(stream),
            toxicity=toxicity,
            name=name,
        )

    @property
    def kind(self) -> str:
        return str(self.type)

    def with_attributes(self, changes: Mapping[str, int]) -> Toxic:
        """The same toxic with some attributes changed (validated again)."""
        return Toxic(
            type=self.type,
            attributes={**self.attributes, **changes},
            stream=self.stream,
            toxicity=self.toxicity,
            name=self.name,
        )

    def describe(self) -> str:
        words = [str(self.type), *(f"{k}={v}" for k, v in self.attributes.items())]
        share = "" if self.toxicity == 1.0 else f", toxicity={self.toxicity:g}"
        return f"{' '.join(words)} ({self.stream}{share})"


@dataclass(frozen=True)
class Down:
    """The proxy disabled: it stops listening, so connections are refused and open ones cut."""

    @property
    def kind(self) -> str:
        return DOWN

    def describe(self) -> str:
        return "down (connections refused)"


NetworkFault = Toxic | Down
"""Any fault toxiproxy makes: a toxic, or the proxy down."""


def _whole_number(fault: str, key: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InvalidFaultError(f"{fault} {key}={raw!r} must be a whole number") from None


def parse_network_fault(name: str, options: Mapping[str, str]) -> NetworkFault:
    """Build a fault from a name and `key=value` strings, as typed on a command line.

    `stream` and `toxicity` are options of every toxic; every other key is a toxic attribute.
    """
    if name == DOWN:
        if options:
            raise InvalidFaultError(
                f"down takes no attributes (got {', '.join(sorted(options))}); "
                "use `harness heal` to bring the proxy back"
            )
        return Down()
    toxic_type = _toxic_type(name)
    attributes: dict[str, int] = {}
    stream: str = Stream.DOWNSTREAM
    toxicity = 1.0
    for key, raw in options.items():
        if key == "stream":
            stream = raw
        elif key == "toxicity":
            try:
                toxicity = float(raw)
            except ValueError:
                raise InvalidFaultError(
                    f"toxicity={raw!r} must be a number between 0 and 1"
                ) from None
        else:
            if key not in {spec.name for spec in TOXIC_ATTRIBUTES[toxic_type]}:
                raise InvalidFaultError(
                    f"{toxic_type} has no attribute {key!r}; allowed: {_allowed(toxic_type)}, "
                    "plus stream=upstream|downstream and toxicity=0..1"
                )
            attributes[key] = _whole_number(name, key, raw)
    return Toxic.build(toxic_type, attributes, stream=stream, toxicity=toxicity)


__all__ = [
    "DOWN",
    "NETWORK_FAULT_NAMES",
    "TOXIC_ATTRIBUTES",
    "Down",
    "NetworkFault",
    "Stream",
    "Toxic",
    "ToxicType",
    "parse_network_fault",
    "validate_attributes",
]
