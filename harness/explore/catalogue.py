"""What `harness explore` may draw: every fault kind with the bounds of its parameters.

    rng = random.Random("7-3")                      # trial 3 of seed 7 (trial_rng)
    steps = draw_timeline(rng, Targets(services=(ServiceName.ERM,), client=True), length=45.0)

A drawn timeline has one to four steps, each a fault of the catalogue on a target, with a start
and a window inside the trial's load. Every bound is in BOUNDS (docs/explore.md lists them): wide
enough to reach every failure the incident library knows, narrow enough that a resilient client
is expected to ride each one out. Drawing is a pure function of the random generator, so the same
seed gives the same trials whatever else happens (`--parallel`, the budget, a failed trial).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from harness.faults import Fault, FaultLayer
from harness.scenario.model import Step
from harness.scenario.types import CLIENT, ServiceName, Target

MAX_STEPS: Final = 4
MIN_WINDOW_S: Final = 3.0
"""The shortest drawn window: shorter ones give a check too few requests to judge."""
MAX_WINDOW_S: Final = 20.0
CLIENT_SHARE: Final = 0.1
"""The chance that a step faults the client's own process, when it is a target. Kept low: a
trial that faults the client leaves out the bars of serving during faults (scenario_file), so a
service fault in the same trial is judged on records and answers only."""
_DRAW_ATTEMPTS: Final = 50  # redraws of one step that clashes with another (bounded)

ROUTES: Final[Mapping[ServiceName, tuple[str, ...]]] = {
    ServiceName.BPJS: ("*", "/vclaim-rest/Peserta/*", "/antreanrs/jadwaldokter/*"),
    ServiceName.ERM: ("*", "/api/v1/visits", "/oauth2/v1/accesstoken", "/fhir-r4/v1/*"),
    ServiceName.PATIENT_APP: (
        "*",
        "/api/v1/*",
        "/api/v1/bookings",
        "/api/v1/lab-results",
        "/api/v1/lab-results/*/pdf",
        "/api/v1/auth/login",
        "/api/v1/certificates/*",
    ),
}
"""Routes an app fault may hit, per service: the routes the built-in load and clients use."""

_FAULT: Final = TypeAdapter(Fault)


@dataclass(frozen=True)
class Targets:
    """What a trial may fault: mock services, and the client's own process if it has one."""

    services: tuple[ServiceName, ...]
    client: bool = False

    def all(self) -> tuple[Target, ...]:
        return (*self.services, CLIENT) if self.client else self.services


def _pick(rng: random.Random, *values: Any) -> Any:
    return values[rng.randrange(len(values))]


def _share(rng: random.Random) -> float:
    """A probability or toxicity: 0.1 to 1.0 in steps of 0.05."""
    return round(rng.randint(2, 20) * 0.05, 2)


def _app(kind: str, params: Callable[[random.Random], dict[str, Any]]) -> _Drawer:
    def draw(rng: random.Random, target: ServiceName) -> dict[str, Any]:
        fault: dict[str, Any] = {"kind": kind, **params(rng)}
        fault["route"] = _pick(rng, *ROUTES[target])
        fault["probability"] = _share(rng)
        if kind == "delay" and fault["when"] == "after":
            fault["methods"] = ["POST"]  # a slow commit: the write done, its answer late
        return fault

    return draw


def _toxic(kind: str, params: Callable[[random.Random], dict[str, Any]]) -> _Drawer:
    def draw(rng: random.Random, target: ServiceName) -> dict[str, Any]:
        return {
            "kind": kind,
            **params(rng),
            "stream": _pick(rng, "downstream", "upstream"),
            "toxicity": _pick(rng, 1.0, _share(rng)),
        }

    return draw


def _plain(kind: str) -> _Drawer:
    def draw(rng: random.Random, target: ServiceName) -> dict[str, Any]:
        return {"kind": kind}

    return draw


_Drawer = Callable[[random.Random, ServiceName], dict[str, Any]]


@dataclass(frozen=True)
class KindSpec:
    """One fault kind as explore draws it: its layer, where it applies, how its params vary."""

    kind: str
    draw: _Drawer
    bounds: str
    """The parameter bounds in words, as docs/explore.md's table gives them."""
    only: ServiceName | None = None
    client: bool = False
    """Whether the client's process takes it too."""
    instantaneous: bool = False


BOUNDS: Final[tuple[KindSpec, ...]] = (
    # network (toxiproxy): every toxic on one direction (stream), toxicity 1.0 or 0.1-1.0
    KindSpec("down", _plain("down"), "proxy disabled"),
    KindSpec(
        "latency",
        _toxic(
            "latency",
            lambda r: (lambda ms: {"latency": ms, "jitter": r.randrange(0, ms // 2 + 1, 50)})(
                r.randrange(200, 3001, 100)
            ),
        ),
        "latency 200-3000 ms, jitter 0 to half of it",
    ),
    KindSpec(
        "bandwidth",
        _toxic("bandwidth", lambda r: {"rate": _pick(r, 1, 2, 4, 8, 16, 32)}),
        "rate 1-32 KB/s",
    ),
    KindSpec(
        "slow_close",
        _toxic("slow_close", lambda r: {"delay": r.randrange(500, 5001, 500)}),
        "delay 500-5000 ms",
    ),
    KindSpec(
        "timeout",
        _toxic("timeout", lambda r: {"timeout": _pick(r, 0, 1000, 3000, 5000)}),
        "timeout 0 (hold forever) or 1000-5000 ms",
    ),
    KindSpec(
        "reset_peer",
        _toxic("reset_peer", lambda r: {"timeout": _pick(r, 0, 500, 1000)}),
        "timeout 0-1000 ms",
    ),
    KindSpec(
        "slicer",
        _toxic(
            "slicer",
            lambda r: {
                "average_size": _pick(r, 1, 8, 64),
                "size_variation": 0,
                "delay": r.randrange(1000, 20001, 1000),
            },
        ),
        "average_size 1-64 bytes, delay 1000-20000 us between slices",
    ),
    KindSpec(
        "limit_data",
        _toxic("limit_data", lambda r: {"bytes": r.randrange(100, 2001, 100)}),
        "bytes 100-2000 per connection",
    ),
    # app (the mock's admin API): a route of ROUTES, probability 0.1-1.0
    KindSpec(
        "http_error",
        _app("http_error", lambda r: {"status": _pick(r, 500, 502, 503, 504)}),
        "status 500, 502, 503 or 504",
    ),
    KindSpec(
        "maintenance",
        _app("maintenance", lambda r: {"retry_after": _pick(r, 60, 600, 3600, 7200)}),
        "Retry-After 60-7200 s (scaled by the time scale, 1 in a trial)",
    ),
    KindSpec("service_error", _app("service_error", lambda r: {}), "the service's own error"),
    KindSpec(
        "delay",
        _app(
            "delay",
            lambda r: {"ms": r.randrange(500, 15001, 500), "when": _pick(r, "before", "after")},
        ),
        "500-15000 ms, before the work, or after it commits (then on POST only)",
    ),
    KindSpec("malformed_json", _app("malformed_json", lambda r: {}), "invalid JSON body"),
    KindSpec(
        "truncated_body",
        _app("truncated_body", lambda r: {"keep": _pick(r, 0.1, 0.3, 0.5, 0.7, 0.9)}),
        "keep 0.1-0.9 of the body",
    ),
    KindSpec("wrong_content_type", _app("wrong_content_type", lambda r: {}), "text/html"),
    KindSpec(
        "stale_data",
        _app("stale_data", lambda r: {"days": _pick(r, 1, 2, 7, 30)}),
        "1-30 days old",
    ),
    KindSpec(
        "undecryptable",
        _app("undecryptable", lambda r: {}),
        "BPJS only",
        only=ServiceName.BPJS,
    ),
    KindSpec(
        "clock_skew",
        _app("clock_skew", lambda r: {"seconds": _pick(r, -1, 1) * _pick(r, 400, 600, 3600)}),
        "BPJS only: 400-3600 s ahead or behind",
        only=ServiceName.BPJS,
    ),
    # process: the mock's (or the client's) process
    KindSpec("kill", _plain("kill"), "SIGKILL, started again when the window ends", client=True),
    KindSpec(
        "restart",
        _plain("restart"),
        "stopped and started again at once",
        client=True,
        instantaneous=True,
    ),
    KindSpec("pause", _plain("pause"), "SIGSTOP for the window, then SIGCONT", client=True),
)
"""The catalogue explore draws from, in catalogue order."""

LAYER_OF: Final[Mapping[str, FaultLayer]] = {
    spec.kind: _FAULT.validate_python(
        spec.draw(random.Random(0), spec.only or ServiceName.BPJS)
    ).layer
    for spec in BOUNDS
}


def trial_rng(seed: int, trial: int) -> random.Random:
    """The generator of one trial: a function of the seed and the trial's number alone."""
    return random.Random(f"{seed}-{trial}")


def draw_timeline(rng: random.Random, targets: Targets, *, length: float) -> tuple[Step, ...]:
    """One to MAX_STEPS steps inside a load of `length` seconds; every step a valid fault."""
    count = rng.randint(1, MAX_STEPS)
    steps: list[Step] = []
    for _ in range(count):
        for _attempt in range(_DRAW_ATTEMPTS):
            step = _draw_step(rng, targets, length=length)
            if not any(_clash(step, other) for other in steps):
                steps.append(step)
                break
    return tuple(sorted(steps, key=lambda s: float(s.at)))  # type: ignore[arg-type]


def _draw_step(rng: random.Random, targets: Targets, *, length: float) -> Step:
    client = targets.client and rng.random() < CLIENT_SHARE
    target: Target = CLIENT if client else _pick(rng, *targets.services)
    if target == CLIENT:
        specs = [s for s in BOUNDS if s.client]
    else:
        specs = [s for s in BOUNDS if s.only in (None, target)]
    spec: KindSpec = _pick(rng, *specs)
    fault = _FAULT.validate_python(spec.draw(rng, target if target != CLIENT else ServiceName.ERM))
    longest = min(MAX_WINDOW_S, length - 1.0)
    duration = float(rng.randint(int(MIN_WINDOW_S), max(int(MIN_WINDOW_S), int(longest))))
    start = float(rng.randint(0, max(0, int(length - duration - 1))))
    if spec.instantaneous:
        return Step(at=start, target=target, fault=fault)
    return Step.model_validate({"at": start, "for": duration, "target": target, "fault": fault})


def window(step: Step) -> tuple[float, float]:
    """(start, end) of a drawn step in seconds; an instantaneous one ends where it starts."""
    start = float(step.at)  # type: ignore[arg-type]
    return start, start + (step.for_ or 0.0)


def _clash(step: Step, other: Step) -> bool:
    """Two faults that cannot hold at once on one target (toxiproxy keeps one toxic per type
    and direction; a process is killed, restarted or paused by one fault at a time)."""
    if step.target != other.target:
        return False
    a, b = window(step), window(other)
    overlap = a[0] <= b[1] and b[0] <= a[1]
    if not overlap:
        return False
    if step.fault.layer is FaultLayer.PROCESS and other.fault.layer is FaultLayer.PROCESS:
        return True
    return step.fault.kind == other.fault.kind


def valid_fault(data: dict[str, Any]) -> bool:
    try:
        _FAULT.validate_python(data)
    except ValidationError:
        return False
    return True


__all__ = [
    "BOUNDS",
    "MAX_STEPS",
    "MIN_WINDOW_S",
    "ROUTES",
    "KindSpec",
    "Targets",
    "draw_timeline",
    "trial_rng",
    "window",
]
