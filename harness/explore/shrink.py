"""Shrinking a failing timeline to a smallest one that still fails the same check.

    steps = shrink(steps, still_fails, phase=on_phase)

`still_fails(steps)` runs the candidate (and its confirmation re-run) and says whether it failed
the same check; it may raise to stop (the budget is spent, Ctrl-C), and the caller keeps the last
timeline it saw fail. The passes, in order, each kept only while the candidate still fails:

1. drop steps: delta debugging (Zeller's ddmin) over the steps;
2. shorten windows: each window halved, down to MIN_WINDOW_S;
3. lower intensities: probability and toxicity halved (down to 0.1), and each kind's own
   parameter made milder (MILDER);
4. simplify routes: an app fault's `methods` dropped and its route made `*`, the default, so that
   the file says less.

Every pass moves parameters one way toward a floor, so the number of candidates is bounded
whatever the oracle answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from typing import Any, Final

from harness.explore.catalogue import MIN_WINDOW_S
from harness.faults import FaultLayer
from harness.scenario.model import Step

MIN_SHARE: Final = 0.1


class ShrinkPhase(StrEnum):
    DROP_STEPS = "drop steps"
    SHORTEN_WINDOWS = "shorten windows"
    LOWER_INTENSITY = "lower intensities"
    SIMPLIFY_ROUTES = "simplify routes"


Oracle = Callable[[tuple[Step, ...]], bool]
PhaseHook = Callable[[ShrinkPhase], None]


def shrink(
    steps: Sequence[Step], still_fails: Oracle, *, phase: PhaseHook | None = None
) -> tuple[Step, ...]:
    """The smallest timeline found that `still_fails`; `steps` themselves must fail."""
    current = tuple(steps)
    if phase is not None:
        phase(ShrinkPhase.DROP_STEPS)
    current = ddmin(current, still_fails)
    for name, variants in (
        (ShrinkPhase.SHORTEN_WINDOWS, shorter_windows),
        (ShrinkPhase.LOWER_INTENSITY, milder_faults),
        (ShrinkPhase.SIMPLIFY_ROUTES, simpler_routes),
    ):
        if phase is not None:
            phase(name)
        current = _greedy(current, variants, still_fails)
    return current


def ddmin(steps: tuple[Step, ...], still_fails: Oracle) -> tuple[Step, ...]:
    """A 1-minimal subset of `steps` that still fails: dropping any one step makes it pass."""
    n = 2
    while len(steps) >= 2:
        chunks = _split(steps, n)
        reduced = False
        for chunk in chunks:  # a subset alone
            if still_fails(chunk):
                steps, n, reduced = chunk, 2, True
                break
        if not reduced and n > 2:  # a complement (with two chunks it is the other subset)
            for index in range(len(chunks)):
                rest = tuple(s for i, c in enumerate(chunks) if i != index for s in c)
                if still_fails(rest):
                    steps, n, reduced = rest, max(n - 1, 2), True
                    break
        if not reduced:
            if n >= len(steps):
                break
            n = min(len(steps), n * 2)
    return steps


def _split(steps: tuple[Step, ...], n: int) -> list[tuple[Step, ...]]:
    size, extra = divmod(len(steps), n)
    chunks, start = [], 0
    for index in range(n):
        end = start + size + (1 if index < extra else 0)
        chunks.append(steps[start:end])
        start = end
    return [c for c in chunks if c]


def _greedy(
    steps: tuple[Step, ...],
    variants: Callable[[Step], Iterator[Step]],
    still_fails: Oracle,
) -> tuple[Step, ...]:
    """Each step in turn replaced by its first variant that still fails, again until none of
    that step's variants does."""
    for index in range(len(steps)):
        changed = True
        while changed:
            changed = False
            for variant in variants(steps[index]):
                candidate = (*steps[:index], variant, *steps[index + 1 :])
                if still_fails(candidate):
                    steps, changed = candidate, True
                    break
    return steps


def shorter_windows(step: Step) -> Iterator[Step]:
    """The window halved (whole seconds), or cut to MIN_WINDOW_S when half would be shorter."""
    if step.for_ is not None and step.for_ > MIN_WINDOW_S:
        yield step.model_copy(update={"for_": float(max(MIN_WINDOW_S, round(step.for_ / 2)))})


def _halved_share(value: float) -> float | None:
    lower = round(max(MIN_SHARE, value / 2), 2)
    return lower if lower < value else None


def _toward(
    value: int, *, factor: float, floor: int | None = None, ceiling: int | None = None
) -> int | None:
    moved = int(value * factor)
    if floor is not None:
        moved = max(floor, moved)
    if ceiling is not None:
        moved = min(ceiling, moved)
    return moved if moved != value else None


MILDER: Final[dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]]] = {
    "latency": lambda f: (
        [{"latency": v} for v in [_toward(f["latency"], factor=0.5, floor=100)] if v is not None]
        + ([{"jitter": 0}] if f["jitter"] else [])
    ),
    "bandwidth": lambda f: [
        {"rate": v} for v in [_toward(f["rate"], factor=2, ceiling=1024)] if v is not None
    ],
    "slow_close": lambda f: [
        {"delay": v} for v in [_toward(f["delay"], factor=0.5, floor=100)] if v is not None
    ],
    "slicer": lambda f: [
        {"delay": v} for v in [_toward(f["delay"], factor=0.5, floor=100)] if v is not None
    ],
    "limit_data": lambda f: [
        {"bytes": v} for v in [_toward(f["bytes"], factor=2, ceiling=100_000)] if v is not None
    ],
    "delay": lambda f: [
        {"ms": v} for v in [_toward(f["ms"], factor=0.5, floor=250)] if v is not None
    ],
    "truncated_body": lambda f: [{"keep": 0.9}] if f["keep"] < 0.9 else [],
    "stale_data": lambda f: [
        {"days": v} for v in [_toward(f["days"], factor=0.5, floor=1)] if v is not None
    ],
    "clock_skew": lambda f: [
        {"seconds": (1 if f["seconds"] > 0 else -1) * v}
        for v in [_toward(abs(f["seconds"]), factor=0.5, floor=400)]
        if v is not None
    ],
}
"""Per kind, its parameters one step milder (each toward a floor or a ceiling)."""


def milder_faults(step: Step) -> Iterator[Step]:
    fault = step.fault.model_dump()
    changes: list[dict[str, Any]] = []
    for share in ("probability", "toxicity"):
        if share in fault:
            lower = _halved_share(fault[share])
            if lower is not None:
                changes.append({share: lower})
    milder = MILDER.get(fault["kind"])
    if milder is not None:
        changes += milder(fault)
    for change in changes:
        yield step.model_copy(update={"fault": step.fault.model_copy(update=change)})


def simpler_routes(step: Step) -> Iterator[Step]:
    if step.fault.layer is not FaultLayer.APP:
        return
    fault = step.fault.model_dump()
    if fault.get("methods") is not None:
        yield step.model_copy(update={"fault": step.fault.model_copy(update={"methods": None})})
    if fault.get("route", "*") != "*":
        yield step.model_copy(update={"fault": step.fault.model_copy(update={"route": "*"})})


__all__ = [
    "ShrinkPhase",
    "ddmin",
    "milder_faults",
    "shorter_windows",
    "shrink",
    "simpler_routes",
]
