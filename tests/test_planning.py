"""The evidence a scenario's load will give, estimated before it runs (harness/results/planning.py)
and warned about by `harness validate`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.load.runner import BUILTIN_LOCUSTFILE
from harness.results.planning import ASSUMED_LATENCY_S, estimate_requests, user_pacing
from harness.scenario.model import Scenario
from tests.cli_support import harness_in_process

pytestmark = pytest.mark.unit


def test_pacing_is_read_from_wait_time_and_inherited() -> None:
    pacing = user_pacing(BUILTIN_LOCUSTFILE)
    assert pacing["FrontDeskStaff"] == pytest.approx(1.0 + ASSUMED_LATENCY_S)  # between(0.5, 1.5)
    assert pacing["RetryingFrontDeskStaff"] == pacing["FrontDeskStaff"]  # inherits it
    assert pacing["AppPatient"] == pytest.approx(2.0 + ASSUMED_LATENCY_S)  # between(1, 3)


def test_pacing_of_other_wait_times_and_of_a_class_without_one(tmp_path: Path) -> None:
    locustfile = tmp_path / "load.py"
    locustfile.write_text(
        textwrap.dedent(
            """
            import locust
            from locust import HttpUser, constant, constant_pacing, constant_throughput
            from team.load import TeamUser
            from team.timing import think_time

            class Paced(HttpUser):
                wait_time = constant_pacing(2)

            class Steady(HttpUser):
                wait_time = constant(0.4)

            class Busy(HttpUser):
                wait_time = constant_throughput(4)

            class BackToBack(HttpUser):  # locust's default wait_time: constant(0)
                pass

            class AlsoBackToBack(locust.FastHttpUser):
                pass

            class Inherits(BackToBack):
                pass

            class Elsewhere(TeamUser):  # its base may set one
                pass

            class Unread(HttpUser):
                wait_time = think_time()

            class Method(HttpUser):
                def wait_time(self):
                    return 2
            """
        )
    )
    assert user_pacing(locustfile) == {
        "Paced": 2.0,
        "Steady": pytest.approx(0.5),
        "Busy": 0.25,
        "BackToBack": ASSUMED_LATENCY_S,
        "AlsoBackToBack": ASSUMED_LATENCY_S,
        "Inherits": ASSUMED_LATENCY_S,
        "Elsewhere": 1.0,
        "Unread": 1.0,
        "Method": 1.0,
    }


def _scenario(users: int, *, during: float = 0.9, after_window: str = "10s") -> Scenario:
    return Scenario.model_validate(
        {
            "name": "estimate",
            "title": "estimate",
            "stack": {"services": ["bpjs", "erm", "patient-app"]},
            "load": {"users": {"FrontDeskStaff": users}, "spawn_rate": 100, "duration": "40s"},
            "timeline": {
                "steps": [{"at": "10s", "for": "20s", "target": "erm", "fault": {"kind": "down"}}]
            },
            "steady_state": {
                "before": {"duration": "5s", "min_served_rate": 0.9},
                "after": {"duration": after_window, "min_served_rate": 0.95},
            },
            "checks": {"served_rate": {"during": during}},
        }
    )


def test_estimates_follow_the_phases_and_the_users() -> None:
    during, steady = estimate_requests(_scenario(11), locustfile=BUILTIN_LOCUSTFILE)
    # 11 users at one request per 1.1 s: 10 requests a second.
    assert (during.check_id, during.seconds) == ("served_rate.during", 20.0)
    assert during.requests == pytest.approx(200, rel=0.01)
    assert (during.needed, during.enough) == (35, True)
    assert (steady.check_id, steady.seconds) == ("served_rate.after.steady_state", 10.0)
    assert steady.requests == pytest.approx(100, rel=0.01)
    assert (steady.needed, steady.enough) == (73, True)
    _, short = estimate_requests(_scenario(3), locustfile=BUILTIN_LOCUSTFILE)
    assert not short.enough
    assert short.warning().startswith(
        "served_rate.after.steady_state: about 27 requests expected (10s at ~2.7 req/s), fewer "
        "than the 73 that 0.95 needs even if none fails"
    )


@pytest.mark.integration
def test_validate_warns_about_a_phase_too_short_to_decide_and_still_exits_0(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "thin.yaml"
    scenario.write_text(_scenario(3).model_dump_json(by_alias=True, exclude_defaults=True))
    done = harness_in_process("validate", str(scenario))
    assert done.returncode == 0, done.stderr
    assert f"warning: {scenario}: served_rate.after.steady_state: about 27 requests" in (
        done.stdout
    )
    assert "served_rate.during" not in done.stdout  # 54 expected: enough for 0.9


def test_a_percentile_needs_enough_samples_for_an_upper_bound_and_a_bar_of_1_needs_one() -> None:
    data = _scenario(11).model_dump(by_alias=True, exclude_defaults=True)
    data["checks"] = {"served_rate": {"during": 1.0}, "latency": {"during": {"p99": "2s"}}}
    during, p99, _ = estimate_requests(Scenario.model_validate(data), locustfile=BUILTIN_LOCUSTFILE)
    assert (during.check_id, during.needed, during.enough) == ("served_rate.during", 1, True)
    assert (p99.check_id, p99.needed, p99.enough) == ("latency.during.p99", 368, False)
    assert "fewer than the 368 that an upper bound on p99 needs" in p99.warning()
