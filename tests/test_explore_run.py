"""`harness explore` on real processes: trials on real stacks, shrinking, Ctrl-C, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness.api import load_scenario
from harness.explore.catalogue import Targets, draw_timeline, trial_rng
from harness.explore.journal import RunPurpose, StopReason, read_explore
from harness.process import wait_until
from harness.scenario.model import Step
from harness.scenario.types import ServiceName
from tests.process_support import running

ROOT = Path(__file__).resolve().parents[1]
NAIVE = ROOT / "examples" / "clients" / "naive.yaml"
RESILIENT = ROOT / "examples" / "clients" / "resilient.yaml"
EVERY_TARGET = Targets(services=tuple(ServiceName), client=True)


def _explore(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "explore", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _dump(steps: tuple[Step, ...]) -> list[dict[str, object]]:
    return [s.model_dump(mode="json", by_alias=True) for s in steps]


@pytest.mark.e2e
def test_explore_finds_a_failure_of_the_naive_client_and_shrinks_it(tmp_path: Path) -> None:
    # Seed 1's first trial: the ERM holds every answer (toxiproxy timeout 0) for 13 s, and the
    # patient app restarts; the naive build has no timeout, so the front desk waits it out.
    done = _explore(
        "--client", str(NAIVE), "--seed", "1", "--trials", "1", "--trial-length", "20s",
        "--budget", "3m", "--report-dir", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (explore_dir,) = tmp_path.iterdir()
    journal = read_explore(explore_dir / "explore.json")
    assert journal.seed == 1
    drawn = draw_timeline(trial_rng(1, 1), EVERY_TARGET, length=20.0)
    assert journal.trials[0].timeline == _dump(drawn)  # the journal has what was drawn
    assert len(drawn) == 2

    (minimal,) = journal.minimal
    assert f"minimal: {explore_dir / minimal.file}" in done.stdout
    assert f"replay:  {minimal.replay}" in done.stdout
    scenario = load_scenario(explore_dir / minimal.file)  # valid, as harness run reads it
    assert 1 <= len(scenario.timeline.steps) <= 2
    assert minimal.check in minimal.failed
    assert (explore_dir / minimal.file).read_text().startswith("# Found by `harness explore`")
    copied = json.loads((explore_dir / minimal.run_dir / "journal.json").read_text())
    assert copied["scenario"]["timeline"]["steps"] == minimal.timeline
    assert (explore_dir / minimal.run_dir / "report.html").is_file()

    # Every run is on record; the trial's failure and each smaller candidate kept were
    # confirmed by a second run of the same file before counting.
    runs = journal.runs
    assert [r.purpose for r in runs[:2]] == [RunPurpose.TRIAL, RunPurpose.CONFIRM]
    for index, run in enumerate(runs):
        assert (explore_dir / run.run_dir / "journal.json").is_file()
        assert (explore_dir / run.scenario_file).is_file()
        if run.purpose is RunPurpose.SHRINK and minimal.check in run.failed:
            assert index + 1 < len(runs) or journal.stopped is not None
            if index + 1 < len(runs):
                assert runs[index + 1].purpose is RunPurpose.CONFIRM
                assert runs[index + 1].steps == run.steps
    assert sum(journal.phase_seconds.values()) == pytest.approx(
        sum(r.wall_s for r in runs), abs=0.1 * len(runs)
    )
    page = (explore_dir / "explore.html").read_text()
    assert minimal.file in page
    assert "Time per phase" in page
    assert 'href="explore.html"' in (explore_dir / "index.html").read_text()
    assert minimal.file in (explore_dir / "explore.md").read_text()


@pytest.mark.e2e
def test_ctrl_c_stops_the_trial_and_still_writes_what_was_found(tmp_path: Path) -> None:
    state = tmp_path / "state"
    explore = subprocess.Popen(
        [
            sys.executable, "-m", "harness.cli", "explore", "--client", str(RESILIENT),
            "--seed", "8", "--trial-length", "20s", "--budget", "5m",
            "--report-dir", str(tmp_path / "reports"),
        ],
        cwd=ROOT,
        env=os.environ | {"HARNESS_STATE_DIR": str(state)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        wait_until(
            lambda: any(state.glob("run-*.pids.json")), timeout=120, what="the first trial's stack"
        )
        pids_file = next(state.glob("run-*.pids.json"))
        wait_until(
            lambda: len(json.loads(pids_file.read_text() or "[]")) >= 5,
            timeout=120,
            what="mocks, client and locust to start",
        )
        pids = [int(r["pid"]) for r in json.loads(pids_file.read_text())]
        explore.send_signal(signal.SIGINT)
        out, _ = explore.communicate(timeout=90)
    finally:
        if explore.poll() is None:
            explore.kill()
            explore.wait(timeout=10)
    assert explore.returncode == 130, out
    assert "Traceback" not in out
    wait_until(lambda: not any(running(pid) for pid in pids), timeout=10, what="trial processes")
    (explore_dir,) = (tmp_path / "reports").iterdir()
    journal = read_explore(explore_dir / "explore.json")
    assert journal.stopped is StopReason.INTERRUPTED
    assert journal.trials[0].timeline  # drawn and recorded, though it never finished
    assert (explore_dir / "explore.html").is_file()
    assert f"interrupted; what was found is in {explore_dir / 'explore.html'}" in out


@pytest.mark.e2e
def test_parallel_trials_run_at_once_and_are_the_trials_of_the_seed(tmp_path: Path) -> None:
    done = _explore(
        "--client", str(RESILIENT), "--seed", "3", "--trials", "2", "--parallel", "2",
        "--trial-length", "10s", "--budget", "5m", "--report-dir", str(tmp_path),
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr
    (explore_dir,) = tmp_path.iterdir()
    journal = read_explore(explore_dir / "explore.json")
    assert [t.timeline for t in journal.trials] == [
        _dump(draw_timeline(trial_rng(3, n), EVERY_TARGET, length=10.0)) for n in (1, 2)
    ]
    trial_runs = [r for r in journal.runs if r.purpose is RunPurpose.TRIAL]
    assert sorted(r.trial for r in trial_runs) == [1, 2]  # recorded as each one ends
    for run in trial_runs:
        assert (explore_dir / run.run_dir / "report.html").is_file()
    assert all(t.verdict is not None for t in journal.trials)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--budget", "soon"], "--budget 'soon'"),
        (["--services", "lab"], "--services lab: 'lab' is not a service"),
        (["--trial-length", "5s"], "--trial-length 5s: give 10s or more"),
        (["--parallel", "0"], "--parallel 0"),
        (["--trials", "0"], "--trials 0"),
        (["--from", "no-such-scenario"], "no-such-scenario"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_anything_starts(
    tmp_path: Path, args: list[str], names: str
) -> None:
    done = _explore("--client", str(NAIVE), "--report-dir", str(tmp_path), *args)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("harness: error: ")
    assert names in lines[0]
    assert not list(tmp_path.iterdir())  # nothing started, nothing written
