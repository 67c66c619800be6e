"""A trial's scenario: the base's stack, load and checks with a drawn timeline, and its YAML.

    base = default_base()                        # or base_from(load_scenario("incident-2"))
    scenario = trial_scenario(base, steps, name="explore-t003", length=45.0)
    path.write_text(scenario_yaml(scenario, comments=["found by harness explore --seed 7"]))

Every trial, shrink candidate and minimal scenario is written as a file that `harness run`
takes as it is, so that any of them can be replayed alone.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Final

from ruamel.yaml import YAML

from harness.durations import format_duration
from harness.scenario.model import Scenario, Step
from harness.scenario.types import CLIENT

TRIAL_LENGTH_S: Final = 45.0

_DEFAULT_BASE: Final[dict[str, Any]] = {
    "name": "explore",
    "title": "Random faults under the built-in front-desk and patient load",
    "description": "The load and checks harness explore uses when no --from scenario is given.",
    "tags": ["explore"],
    "stack": {"services": ["bpjs", "erm", "patient-app"], "seed": 2026},
    "load": {
        "users": {"FrontDeskStaff": 6, "RetryingFrontDeskStaff": 2, "AppPatient": 8},
        "spawn_rate": 16,
        "duration": TRIAL_LENGTH_S,
    },
    "timeline": [{"at": 0, "for": 1, "target": "erm", "fault": {"kind": "down"}}],
    "steady_state": {
        "before": {"duration": 3, "min_served_rate": 0.95},
        "after": {"duration": 6, "min_served_rate": 0.9},
    },
    "drain": 5,
    "checks": {
        "served_rate": {"before": 0.95, "during": 0.8},
        "nothing_lost": True,
        "no_duplicates": True,
        "no_wrong_answers": True,
        "client_alive": True,
    },
}
"""The front-desk clerks (two of them saving again after an error, as clerks do) and app patients
of the library, and its standard checks at the lowest during-bar a building block sets (0.8,
half-open): a drawn trial can stack up to four faults, harsher than any one block."""


def default_base() -> Scenario:
    return Scenario.model_validate(_DEFAULT_BASE)


def trial_scenario(base: Scenario, steps: Sequence[Step], *, name: str, length: float) -> Scenario:
    """`base` with `steps` as its timeline and a load of `length` seconds at time scale 1.

    A timeline that kills, restarts or pauses the client leaves out the checks of serving during
    the faults (CLIENT_BARS), as the library's client-power-cut block does: no client serves
    while its process is down, so those bars would fail every client and tell nothing. What such
    a trial judges is what a power cut can break: records lost or doubled, wrong answers, the
    client back after it, and service before and after.
    """
    load = base.load.model_copy(update={"duration": length, "stages": ()})
    checks = base.checks.model_dump(by_alias=True, exclude_none=True)
    if any(step.target == CLIENT for step in steps):
        checks = without_client_bars(checks)
    return Scenario.model_validate(
        {
            **base.model_dump(
                by_alias=True, exclude={"timeline", "load", "extends", "checks", "client"}
            ),
            "name": name,
            "load": load.model_dump(by_alias=True),
            "timeline": {"steps": [s.model_dump(by_alias=True) for s in steps]},
            "checks": checks,
            "time_scale": 1.0,
        }
    )


CLIENT_BARS: Final = ("served_rate.during", "latency.during", "time_to_served", "recovery_time")
"""The checks a trial that faults the client's own process leaves out."""


def without_client_bars(checks: dict[str, Any]) -> dict[str, Any]:
    kept = dict(checks)
    for bar in CLIENT_BARS:
        check, _, phase = bar.partition(".")
        if check not in kept:
            continue
        if not phase:
            del kept[check]
            continue
        rest = {k: v for k, v in kept[check].items() if k != phase}
        if any(rest.get(p) is not None for p in ("before", "during", "after")):
            kept[check] = rest
        else:
            del kept[check]
    return kept


def scenario_yaml(scenario: Scenario, *, comments: Sequence[str] = ()) -> str:
    """The scenario as a file `harness run` reads: comments first, durations written as 10s."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    data.pop("extends", None)
    data["name"] = scenario.name  # required, even where it equals a default
    data["load"]["duration"] = format_duration(scenario.load.incident_duration)
    data["timeline"] = {"steps": [_step(s) for s in scenario.timeline.steps]}
    data["checks"] = scenario.checks.model_dump(mode="json", exclude_none=True)
    out = io.StringIO()
    for line in comments:
        out.write(f"# {line}\n" if line else "#\n")
    yaml = YAML()
    yaml.default_flow_style = None
    yaml.width = 100
    yaml.dump(data, out)
    return out.getvalue()


def _step(step: Step) -> dict[str, Any]:
    fault = step.fault.model_dump(mode="json", exclude_defaults=True)
    fault = {"kind": step.fault.kind, **fault}
    out: dict[str, Any] = {"at": format_duration(float(step.at))}  # type: ignore[arg-type]
    if step.for_ is not None:
        out["for"] = format_duration(step.for_)
    out["target"] = str(step.target)
    if step.note:
        out["note"] = step.note
    out["fault"] = fault
    return out


__all__ = ["TRIAL_LENGTH_S", "default_base", "scenario_yaml", "trial_scenario"]
