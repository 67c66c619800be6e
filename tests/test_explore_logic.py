"""harness explore in process: drawing, shrinking, trial files (the runs: test_explore_run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.api import load_scenario
from harness.explore.catalogue import (
    BOUNDS,
    LAYER_OF,
    MAX_STEPS,
    MIN_WINDOW_S,
    ROUTES,
    Targets,
    draw_timeline,
    trial_rng,
    window,
)
from harness.explore.explorer import primary_check
from harness.explore.scenario_file import default_base, scenario_yaml, trial_scenario
from harness.explore.shrink import ShrinkPhase, ddmin, milder_faults, shrink
from harness.faults import FAULT_KINDS, FaultLayer, HttpErrorFault
from harness.scenario.model import Step
from harness.scenario.types import CLIENT, ServiceName

pytestmark = pytest.mark.unit

EVERYTHING = Targets(services=tuple(ServiceName), client=True)


def _steps(seed: int, trial: int, length: float = 45.0) -> tuple[Step, ...]:
    return draw_timeline(trial_rng(seed, trial), EVERYTHING, length=length)


def test_the_same_seed_draws_the_same_trials_and_another_seed_others() -> None:
    first = [_steps(7, n) for n in range(1, 21)]
    again = [_steps(7, n) for n in range(1, 21)]
    other = [_steps(8, n) for n in range(1, 21)]
    assert first == again
    assert first != other
    assert len({tuple(s.model_dump_json() for s in t) for t in first}) == 20  # no repeats


def test_every_drawn_timeline_is_a_valid_scenario_inside_the_load() -> None:
    kinds: set[str] = set()
    for trial in range(1, 301):
        steps = _steps(3, trial, length=30.0)
        assert 1 <= len(steps) <= MAX_STEPS
        scenario = trial_scenario(default_base(), steps, name="explore-t001", length=30.0)
        for step in scenario.timeline.steps:
            start, end = window(step)
            assert 0 <= start <= end <= 30.0
            if step.for_ is not None:
                assert step.for_ >= MIN_WINDOW_S
            if step.target == CLIENT:
                assert step.fault.layer is FaultLayer.PROCESS
            kinds.add(step.fault.kind)
    # 300 trials reach every kind of the catalogue, and the catalogue every fault the harness has
    # but schema_drift (its field names are the service's own: no bound fits every route).
    assert kinds == {spec.kind for spec in BOUNDS}
    assert set(FAULT_KINDS) - kinds == {"schema_drift"}


def test_only_the_services_asked_for_are_faulted() -> None:
    only_bpjs = Targets(services=(ServiceName.BPJS,), client=False)
    for trial in range(1, 51):
        steps = draw_timeline(trial_rng(1, trial), only_bpjs, length=45.0)
        assert {step.target for step in steps} == {ServiceName.BPJS}


def _step(at: float, kind: str, target: str = "erm", **fault: object) -> Step:
    return Step.model_validate(
        {"at": at, "for": 16.0, "target": target, "fault": {"kind": kind, **fault}}
    )


def test_ddmin_finds_the_one_step_that_fails_among_four_in_few_runs() -> None:
    steps = (
        _step(0, "down"),
        _step(5, "latency", latency=500),
        _step(10, "http_error"),
        _step(15, "pause"),
    )
    asked: list[tuple[Step, ...]] = []

    def fails(candidate: tuple[Step, ...]) -> bool:
        asked.append(candidate)
        return any(s.fault.kind == "http_error" for s in candidate)

    assert ddmin(steps, fails) == (steps[2],)
    assert len(asked) <= 4


def test_ddmin_keeps_two_steps_that_fail_only_together() -> None:
    steps = (
        _step(0, "down"),
        _step(5, "latency", latency=500),
        _step(10, "http_error"),
        _step(15, "pause"),
    )

    def fails(candidate: tuple[Step, ...]) -> bool:
        kinds = {s.fault.kind for s in candidate}
        return {"down", "pause"} <= kinds

    assert ddmin(steps, fails) == (steps[0], steps[3])


def test_shrinking_shortens_windows_and_softens_faults_while_they_still_fail() -> None:
    steps = (
        _step(2, "http_error", route="/api/v1/visits", methods=["POST"], probability=1.0),
        _step(4, "latency", target="bpjs", latency=3000, jitter=100),
    )
    phases: list[ShrinkPhase] = []

    def fails(candidate: tuple[Step, ...]) -> bool:  # the 5xx alone, at 0.25 or more
        return any(
            s.fault.kind == "http_error" and getattr(s.fault, "probability", 0) >= 0.25
            for s in candidate
        )

    smallest = shrink(steps, fails, phase=phases.append)
    assert phases == list(ShrinkPhase)
    (step,) = smallest
    assert step.for_ == MIN_WINDOW_S  # 16 -> 8 -> 4 -> 3: half of 4 is under the floor
    fault = step.fault
    assert isinstance(fault, HttpErrorFault)
    assert fault.probability == 0.25
    assert fault.route == "*"
    assert fault.methods is None


def test_shrinking_ends_even_when_every_candidate_fails() -> None:
    steps = _steps(11, 1)
    calls = 0

    def fails(candidate: tuple[Step, ...]) -> bool:
        nonlocal calls
        calls += 1
        assert calls < 500
        return True

    smallest = shrink(steps, fails)
    assert len(smallest) == 1
    assert list(milder_faults(smallest[0])) == []  # as mild as the bounds go


def test_primary_check_puts_records_before_service() -> None:
    assert primary_check(["served_rate.during", "no_duplicates"]) == "no_duplicates"
    assert primary_check(["served_rate.after.steady_state", "served_rate.during"]) == (
        "served_rate.during"
    )
    assert primary_check(["latency.during.p95"]) == "latency.during.p95"


def test_a_trial_file_reads_back_as_the_same_scenario(tmp_path: Path) -> None:
    steps = _steps(5, 2)
    scenario = trial_scenario(default_base(), steps, name="minimal-nothing-lost", length=45.0)
    path = tmp_path / "minimal-nothing-lost.yaml"
    path.write_text(scenario_yaml(scenario, comments=["found by a test"]), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# found by a test\n")
    again = load_scenario(path)
    assert again.timeline.steps == scenario.timeline.steps
    assert again.checks == scenario.checks
    assert again.load == scenario.load


@pytest.mark.parametrize("client_fault", [True, False])
def test_a_trial_that_faults_the_client_leaves_out_the_bars_of_serving_during_it(
    client_fault: bool,
) -> None:
    target = CLIENT if client_fault else "erm"
    steps = (_step(5, "kill", target=target),)
    checks = trial_scenario(default_base(), steps, name="explore-t001", length=45.0).checks
    assert checks.served_rate is not None
    assert checks.served_rate.before == 0.95
    assert (checks.served_rate.during is None) is client_fault
    assert checks.nothing_lost is not None
    assert checks.client_alive is not None


def test_docs_list_the_catalogue_as_explore_draws_it() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "explore.md").read_text()
    for spec in BOUNDS:
        where = "BPJS" if spec.only else "services and the client" if spec.client else "services"
        assert f"| `{spec.kind}` | {LAYER_OF[spec.kind].value} | {where} | {spec.bounds} |" in text
    for service, routes in ROUTES.items():
        assert f"{service.value}: " + ", ".join(f"`{r}`" for r in routes) in " ".join(text.split())
