"""How many requests each judged phase of a scenario will get, estimated before it runs.

A served-rate check can only pass when its 95 % interval clears the threshold, which takes a
minimum number of requests even if none fails (harness/results/evidence.py: 35 for 0.90, 73 for
0.95), and a latency percentile only when its order statistics bound it from above (72 samples
for p95, 368 for p99). `harness validate` warns when a scenario's load cannot deliver them:

    for estimate in estimate_requests(scenario, locustfile=BUILTIN_LOCUSTFILE):
        if not estimate.enough: print(estimate.warning())

The estimate: each user of a class makes one request per `wait_time` (read from the locustfile:
between(a, b) -> (a + b) / 2, constant(x) -> x, constant_pacing(x) -> x, constant_throughput(x)
-> 1 / x; none on the way to locust's own base classes or HarnessUser -> locust's default,
constant(0)) plus ASSUMED_LATENCY_S for the answer; users start at spawn_rate. It is optimistic on
purpose (answers during a fault are often slower, tasks that make several requests are counted
once): a phase it finds short is short. Phases are laid out as the run lays them out (steady
state before, the timeline at its time scale, steady state after), fault windows at their
scheduled times.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from harness.results.evidence import requests_needed, samples_needed
from harness.results.run import Episode, PhaseSpan, phases
from harness.results.vocabulary import Phase
from harness.scenario.model import Scenario
from harness.scenario.schedule import build_schedule

ASSUMED_LATENCY_S: Final = 0.1
UNKNOWN_PACING_S: Final = 1.0  # a class whose wait_time the file does not show
# Bases whose wait_time is locust's default, constant(0): their users make requests back to back.
NO_WAIT_BASES: Final = frozenset({"User", "HttpUser", "FastHttpUser", "HarnessUser"})


@dataclass(frozen=True, kw_only=True)
class PhaseEstimate:
    """The requests one judged check is expected to get, and how many it needs."""

    check_id: str
    seconds: float
    requests: float
    needed: int
    bar: str  # what needs them, e.g. "0.95" or "an upper bound on p95"

    @property
    def enough(self) -> bool:
        return self.requests >= self.needed

    def warning(self) -> str:
        rate = self.requests / self.seconds if self.seconds else 0.0
        return (
            f"{self.check_id}: about {self.requests:.0f} requests expected ({self.seconds:.0f}s "
            f"at ~{rate:.1f} req/s), fewer than the {self.needed} that {self.bar} needs "
            "even if none fails: it can only end inconclusive or failed; add users or lengthen "
            "the phase"
        )


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    return None


def _pacing(call: ast.expr) -> float | None:
    """Seconds between one user's requests for a `wait_time = ...(...)` value, if known."""
    if not isinstance(call, ast.Call):
        return None
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
    args = [_number(a) for a in call.args]
    if any(a is None for a in args) or not args:
        return None
    values = [a for a in args if a is not None]
    if name == "between" and len(values) == 2:
        return (values[0] + values[1]) / 2 + ASSUMED_LATENCY_S
    if name == "constant":
        return values[0] + ASSUMED_LATENCY_S
    if name == "constant_pacing":
        return max(values[0], ASSUMED_LATENCY_S)
    if name == "constant_throughput" and values[0] > 0:
        return max(1 / values[0], ASSUMED_LATENCY_S)
    return None


def _base_name(node: ast.expr) -> str:
    """`HttpUser` for `HttpUser` and `locust.HttpUser`; "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def user_pacing(locustfile: Path) -> dict[str, float]:
    """Seconds between requests of one user, per class the file defines (inherited from a base
    class defined in the same file; a class on locust's own bases or HarnessUser without one
    waits nothing; UNKNOWN_PACING_S where the file does not show it)."""
    tree = ast.parse(locustfile.read_text(encoding="utf-8"), filename=str(locustfile))
    own: dict[str, float | None] = {}
    bases: dict[str, list[str]] = {}
    sets_wait: set[str] = set()  # classes with a wait_time of their own, read or not
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases[node.name] = [_base_name(b) for b in node.bases]
        own[node.name] = None
        for item in node.body:
            if isinstance(item, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "wait_time" for t in item.targets
            ):
                own[node.name] = _pacing(item.value)
                sets_wait.add(node.name)
            elif isinstance(item, ast.FunctionDef) and item.name == "wait_time":
                sets_wait.add(node.name)

    def resolved(name: str, depth: int = 0) -> float | None:
        if name in sets_wait or depth > 10:
            return own.get(name)
        for base in bases.get(name, []):
            if base in own:
                if (found := resolved(base, depth + 1)) is not None:
                    return found
            elif base in NO_WAIT_BASES:
                return ASSUMED_LATENCY_S  # locust's default wait_time: constant(0)
            else:
                return None  # a base from another module may set one
        return None

    return {name: resolved(name) or UNKNOWN_PACING_S for name in own}


def _requests_per_second(users: Mapping[str, int], pacing: Mapping[str, float]) -> float:
    return sum(count / pacing.get(name, UNKNOWN_PACING_S) for name, count in users.items())


def _overlap(start: float, end: float, spans: Sequence[PhaseSpan], phase: Phase) -> float:
    return sum(max(0.0, min(end, s.end) - max(start, s.start)) for s in spans if s.phase is phase)


def estimate_requests(
    scenario: Scenario, *, locustfile: Path, time_scale: float | None = None
) -> list[PhaseEstimate]:
    """One estimate per served-rate check the scenario judges (the steady state after too)."""
    schedule = build_schedule(scenario, time_scale=time_scale)
    pacing = user_pacing(locustfile)
    offset = schedule.steady_before
    load_end = offset + schedule.load_duration + schedule.steady_after
    windows = sorted(
        (offset + step.start, offset + (schedule.load_duration if step.end is None else step.end))
        for step in schedule.steps
        if step.end is None or step.end > step.start
    )
    merged: list[Episode] = []
    for start, end in windows:
        if merged and start <= merged[-1].end:
            previous = merged[-1]
            merged[-1] = previous.model_copy(update={"end": max(previous.end, end)})
        else:
            merged.append(Episode(start=start, end=end, ended=True, steps=(len(merged),)))
    spans = phases(merged, run_end=load_end)

    # The load's stretches (wall seconds since t0) with their requests per second.
    load = scenario.load
    stretches: list[tuple[float, float, float]] = []
    ramp = sum(load.users.values()) / load.spawn_rate
    if load.stages:
        t = offset
        first = dict(load.stages[0].users or load.users)
        stretches.append((0.0, offset, _requests_per_second(first, pacing)))
        last = first
        for stage in load.stages:
            length = stage.duration / schedule.time_scale
            last = dict(stage.users or load.users)
            stretches.append((t, t + length, _requests_per_second(last, pacing)))
            t += length
        stretches.append((t, load_end, _requests_per_second(last, pacing)))
    else:
        stretches.append((0.0, load_end, _requests_per_second(load.users, pacing)))

    def expected(start: float, end: float, phase: Phase | None) -> tuple[float, float]:
        seconds = requests = 0.0
        for s_start, s_end, rate in stretches:
            lo, hi = max(start, s_start), min(end, s_end)
            if hi <= lo:
                continue
            part = hi - lo if phase is None else _overlap(lo, hi, spans, phase)
            seconds += part
            requests += rate * part
        # Users start at spawn_rate: the first `ramp` seconds carry half the rate on average.
        if start < ramp and stretches:
            early = min(ramp, end) - start if phase is None else _overlap(start, ramp, spans, phase)
            requests -= stretches[0][2] * early / 2
        return seconds, max(0.0, requests)

    found: list[PhaseEstimate] = []
    rates = scenario.checks.served_rate
    if rates is not None:
        for phase in Phase:
            minimum = rates.minimum(phase)
            if minimum is None:
                continue
            seconds, requests = expected(0.0, load_end, phase)
            found.append(
                PhaseEstimate(
                    check_id=f"served_rate.{phase}",
                    seconds=seconds,
                    requests=requests,
                    needed=requests_needed(minimum),
                    bar=f"{minimum:g}",
                )
            )
    latency = scenario.checks.latency
    if latency is not None:
        for phase in Phase:
            limits = latency.limits(phase)
            if limits is None:
                continue
            seconds, requests = expected(0.0, load_end, phase)
            for metric, _ in limits.limits():
                found.append(
                    PhaseEstimate(
                        check_id=f"latency.{phase}.{metric}",
                        seconds=seconds,
                        requests=requests,
                        needed=samples_needed(int(metric[1:]) / 100),
                        bar=f"an upper bound on {metric}",
                    )
                )
    window = scenario.steady_state.after
    seconds, requests = expected(load_end - window.duration, load_end, None)
    found.append(
        PhaseEstimate(
            check_id="served_rate.after.steady_state",
            seconds=seconds,
            requests=requests,
            needed=requests_needed(window.min_served_rate),
            bar=f"{window.min_served_rate:g}",
        )
    )
    return found


__all__ = ["PhaseEstimate", "estimate_requests", "user_pacing"]
