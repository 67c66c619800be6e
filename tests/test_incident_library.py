"""The incident library (scenarios/ and scenarios/blocks/) validates and runs end to end.

For every incident scenario the naive reference client fails at least one of the checks the
incident is about, and the resilient one passes every check. Every building block validates and
passes against the resilient client. Real toxiproxy, mocks, reference clients and locust, as in
tests/test_run_e2e.py (which runs incident 5, scenarios/bpjs-outage.yaml, against both builds).

Each run takes about 1.5 minutes (incidents) or 1 minute (blocks); the whole file about 20
minutes on this machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenario.loader import find_scenario_files, load_scenario
from tests.test_run_e2e import NAIVE, RESILIENT, ROOT, _failed_checks, _harness, _journal

pytestmark = pytest.mark.unit  # the runs below are e2e, validation by the CLI integration

SCENARIOS = ROOT / "scenarios"
BLOCKS = SCENARIOS / "blocks"

# What each incident is about: the naive client must fail at least one of these.
KEY_CHECKS: dict[str, frozenset[str]] = {
    # broken app: patients not served, and not served again while it lasts
    "incident-1-patient-app-broken.yaml": frozenset({"served_rate.during", "time_to_served"}),
    # ERM down: no offline queue within seconds, visits lost or entered twice
    "incident-2-erm-down.yaml": frozenset(
        {"served_rate.during", "time_to_served", "nothing_lost", "no_duplicates"}
    ),
    # maintenance: no stored certificate / cached data, or no return to live data
    "incident-3-maintenance.yaml": frozenset(
        {"served_rate.during", "time_to_served", "recovery_time"}
    ),
    # e-HAC unreachable: submissions refused (re-entered on paper), lost or duplicated
    "incident-4-ehac-unreachable.yaml": frozenset(
        {"served_rate.during", "time_to_served", "nothing_lost", "no_duplicates"}
    ),
}
# Incident 5 runs against both builds in tests/test_run_e2e.py; not twice.
RUN_ELSEWHERE = frozenset({"bpjs-outage.yaml"})

# The records each incident's load must have had accepted (so nothing_lost judged something).
ACCEPTED_KINDS: dict[str, tuple[str, ...]] = {
    "incident-1-patient-app-broken.yaml": ("booking",),
    "incident-2-erm-down.yaml": ("registration",),
    "incident-3-maintenance.yaml": ("booking",),
    "incident-4-ehac-unreachable.yaml": ("submission",),
}


def _incident_files() -> list[Path]:
    return [p for p in find_scenario_files([SCENARIOS]) if BLOCKS not in p.parents]


def _block_files() -> list[Path]:
    return find_scenario_files([BLOCKS])


@pytest.mark.integration
def test_the_whole_library_validates() -> None:
    done = _harness("validate", "scenarios")  # cwd is ROOT: relative paths in the output
    assert done.returncode == 0, done.stdout + done.stderr
    for path in find_scenario_files([SCENARIOS]):
        assert f"ok  {path.relative_to(ROOT)}" in done.stdout, done.stdout
    # Enough evidence by design: every rate check can be decided by the load it gets.
    assert "warning:" not in done.stdout, done.stdout


def test_every_incident_has_a_scenario_with_key_checks() -> None:
    incidents = {
        load_scenario(path).scenario.incident: path.name
        for path in _incident_files()
        if load_scenario(path).scenario.incident is not None
    }
    assert set(incidents) == {1, 2, 3, 4, 5}
    assert {p.name for p in _incident_files()} == set(KEY_CHECKS) | RUN_ELSEWHERE


@pytest.mark.parametrize("path", _incident_files(), ids=lambda p: p.stem)
def test_incident_scenarios_are_tagged_for_ci(path: Path) -> None:
    scenario = load_scenario(path).scenario
    assert scenario.incident is not None
    assert {"incident", "ci"} <= set(scenario.tags), scenario.tags
    assert len(scenario.tags) >= 3, "a topic tag besides incident and ci"


@pytest.mark.parametrize("path", _block_files(), ids=lambda p: p.stem)
def test_blocks_are_tagged(path: Path) -> None:
    scenario = load_scenario(path).scenario
    assert scenario.incident is None
    assert "block" in scenario.tags


@pytest.mark.parametrize("name", sorted(KEY_CHECKS))
@pytest.mark.e2e
def test_incident_fails_the_naive_client(name: str, tmp_path: Path) -> None:
    scenario = SCENARIOS / name
    done = _harness("run", str(scenario), "--client", str(NAIVE), "--report-dir", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    failed = _failed_checks(_journal(done.stdout))
    assert failed & KEY_CHECKS[name], f"failed {sorted(failed)}, none of {KEY_CHECKS[name]}"


@pytest.mark.parametrize("name", sorted(KEY_CHECKS))
@pytest.mark.e2e
def test_incident_passes_the_resilient_client(name: str, tmp_path: Path) -> None:
    scenario = SCENARIOS / name
    done = _harness("run", str(scenario), "--client", str(RESILIENT), "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    journal = _journal(done.stdout)
    assert journal["verdict"] == "pass"
    assert not _failed_checks(journal)
    integrity = journal["integrity"]
    assert isinstance(integrity, dict)
    for kind in ACCEPTED_KINDS[name]:
        assert integrity["accepted"][kind] > 0, integrity
    assert integrity["lost"] == 0


@pytest.mark.parametrize("path", _block_files(), ids=lambda p: p.stem)
@pytest.mark.e2e
def test_block_passes_the_resilient_client(path: Path, tmp_path: Path) -> None:
    done = _harness("run", str(path), "--client", str(RESILIENT), "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    journal = _journal(done.stdout)
    assert journal["verdict"] == "pass"
    assert not _failed_checks(journal)


@pytest.mark.e2e
def test_a_power_cut_of_the_client_loses_an_outbox_kept_only_by_its_process(
    tmp_path: Path,
) -> None:
    """The client killed in the middle of an ERM outage: the registrations a client queued in a
    file it never finds again die with it, and `nothing_lost` names them."""
    block = BLOCKS / "client-power-cut.yaml"
    volatile = ROOT / "examples" / "clients" / "volatile-outbox.yaml"
    done = _harness("run", str(block), "--client", str(volatile), "--report-dir", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    journal = _journal(done.stdout)
    assert _failed_checks(journal) == {"nothing_lost"}  # client_alive holds: the kill explains it
    (killed,) = [w for w in journal["faults"] if w["target"] == "client"]
    assert killed["kind"] == "kill"
    assert killed["error"] is None
    assert 0 < killed["back_after_s"] < 30  # started again, and ready, within its readiness time
    assert killed["actual_end"] >= killed["scheduled_end"] + killed["back_after_s"] - 0.5


@pytest.mark.e2e
def test_a_slow_commit_makes_a_client_without_keys_register_twice(tmp_path: Path) -> None:
    """The ERM commits, then answers past the patient's patience; the clerk saves again. The
    naive client forwards each save without an Idempotency-Key: a second visit, and only
    `no_duplicates` fails (nothing is lost, the client stays up)."""
    block = BLOCKS / "slow-commit.yaml"
    done = _harness("run", str(block), "--client", str(NAIVE), "--report-dir", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    journal = _journal(done.stdout)
    assert _failed_checks(journal) == {"no_duplicates"}
    (delayed,) = journal["faults"]
    assert (delayed["kind"], delayed["error"]) == ("delay", None)


@pytest.mark.e2e
def test_schedule_lies_catch_a_client_that_shows_empty_data_as_normal(tmp_path: Path) -> None:
    """Drifted and malformed timetables: the lenient build never fails a request and never marks
    anything degraded, so only judging its answers shows it; `no_wrong_answers` fails, with
    examples of what the patient was told and what was true."""
    block = BLOCKS / "schedule-lies.yaml"
    lenient = ROOT / "examples" / "clients" / "lenient.yaml"
    done = _harness("run", str(block), "--client", str(lenient), "--report-dir", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    journal = _journal(done.stdout)
    assert "no_wrong_answers" in _failed_checks(journal)
    wrong = journal["wrong_answers"]
    assert isinstance(wrong, dict)
    assert wrong["count"] > 0
    names = {example["name"] for example in wrong["examples"]}
    assert "GET /schedules" in names, wrong["examples"]
    example = next(e for e in wrong["examples"] if e["name"] == "GET /schedules")
    assert example["truth"] != example["said"]
    assert "dokter" in example["truth"]  # the timetable the dataset holds


@pytest.mark.e2e
def test_schedule_lies_fail_the_naive_client_on_served_rate_not_on_wrong_answers(
    tmp_path: Path,
) -> None:
    """The naive build passes the broken timetables on as errors: patients not served, but not
    lied to. (The resilient build passes the block: test_block_passes_the_resilient_client.)"""
    block = BLOCKS / "schedule-lies.yaml"
    done = _harness("run", str(block), "--client", str(NAIVE), "--report-dir", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    journal = _journal(done.stdout)
    assert _failed_checks(journal) == {"served_rate.during"}
    wrong = journal["wrong_answers"]
    assert isinstance(wrong, dict)
    assert wrong["count"] == 0, wrong["examples"]
