"""`kill -9` of `harness run`, `harness up` and a pytest session using the plugin: every process
it started (toxiproxy, the mocks, the client, locust) stops by itself within 5 s, through its
Supervisor's watchdog, and their ports are free; the next run has nothing left to reap.

Each test starts the harness as a user would, waits until its children are up (their pids read
from its state file), kills it with SIGKILL and watches the children from outside, through /proc.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from harness.net import free_port, port_is_free
from harness.process import reap_abandoned, wait_until
from tests.cli_support import harness_in_process
from tests.conftest import UNRELATED_PLUGINS
from tests.process_support import descendants, listening_ports, recorded_pids, seconds_until_gone

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
RESILIENT = ROOT / "examples" / "clients" / "resilient.yaml"
SERVICES = ("bpjs", "erm", "patient-app")
BUDGET_S = 5.0  # issue 13: every process stops by itself within 5 s of the kill

LONG_RUN = """
name: killed-mid-run
title: A long run, killed with kill -9 while the load runs
stack: {{services: [bpjs, erm, patient-app], seed: 1}}
client: {client}
load: {{users: {{FrontDeskStaff: 2, AppPatient: 2}}, spawn_rate: 10, duration: 120s}}
timeline:
  steps:
    - {{at: 0s, target: bpjs, fault: {{kind: latency, latency: 50}}}}
steady_state:
  before: {{duration: 1s, min_served_rate: 0.5}}
  after: {{duration: 1s, min_served_rate: 0.5}}
drain: 1s
checks: {{client_alive: true}}
"""

SESSION = """
import pathlib, time

def test_waits(harness_stack):
    pathlib.Path({started!r}).write_text("yes")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.2)
"""


def _environment(state_dir: Path) -> dict[str, str]:
    """Our own state directory, and our own toxiproxy server (a child of the harness too)."""
    env = {k: v for k, v in os.environ.items() if k != "TOXIPROXY_URL"}
    return {**env, "HARNESS_STATE_DIR": str(state_dir)}


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """The harness processes a test starts; what survives a failed test is reaped as the next
    run would (by the state files)."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()
    for prefix in ("run", "pytest"):
        reap_abandoned(tmp_path / "state", prefix)
    harness_in_process("down", env={"HARNESS_STATE_DIR": str(tmp_path / "state")})


def _start(
    harness: list[subprocess.Popen[bytes]], argv: list[str], *, state_dir: Path, out: Path
) -> subprocess.Popen[bytes]:
    with out.open("wb") as sink:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=_environment(state_dir), stdout=sink, stderr=subprocess.STDOUT
        )
    harness.append(process)
    return process


def _kill_9(process: subprocess.Popen[bytes], children: Iterable[int], what: str) -> float:
    """SIGKILL `process`; the seconds until every one of `children` is gone (at most BUDGET_S),
    their listening ports free."""
    children = [*children, *(pid for child in children for pid in descendants(child))]
    ports = listening_ports(children)
    assert ports, f"{what}: no child listens on a port yet"
    killed_at = time.monotonic()
    process.kill()
    elapsed = seconds_until_gone(children, since=killed_at, timeout=BUDGET_S)
    # A port can stay busy for a moment after its listener is gone, while the kernel closes the
    # connections it had accepted.
    wait_until(
        lambda: all(map(port_is_free, ports)),
        timeout=killed_at + BUDGET_S - time.monotonic(),
        what=f"the ports of {what}'s children to be free",
    )
    assert process.wait(timeout=10) == -9
    print(f"{what}: {len(children)} processes gone {elapsed:.2f}s after kill -9")
    return elapsed


@pytest.mark.e2e
def test_kill_9_of_harness_run_stops_every_process_it_started(
    tmp_path: Path, harness: list[subprocess.Popen[bytes]]
) -> None:
    scenario, state_dir, out = tmp_path / "long.yaml", tmp_path / "state", tmp_path / "run.out"
    scenario.write_text(LONG_RUN.format(client=RESILIENT))
    argv = [sys.executable, "-m", "harness.cli", "run", str(scenario), "--workers", "1"]
    run = _start(
        harness, [*argv, "--report-dir", str(tmp_path / "reports")], state_dir=state_dir, out=out
    )
    wait_until(lambda: "req/s" in out.read_text(), timeout=180, what="the run's load to start")
    children = recorded_pids(state_dir, "run-*.pids.json")
    assert len(children) == 7  # toxiproxy, three mocks, the client, locust master and worker

    _kill_9(run, children, "harness run")

    assert reap_abandoned(state_dir, "run") == []  # the next run finds nothing to stop


def test_kill_9_of_harness_up_stops_every_process_it_started(
    tmp_path: Path, harness: list[subprocess.Popen[bytes]]
) -> None:
    state_dir, toxiproxy_port = tmp_path / "state", free_port()
    ports = {service: (free_port(), free_port()) for service in SERVICES}
    argv = [sys.executable, "-m", "harness.cli", "up", "--toxiproxy-port", str(toxiproxy_port)]
    argv += ["--services", ",".join(SERVICES)]
    for service, (mock, proxy) in ports.items():
        argv += ["--port", f"{service}={mock}:{proxy}"]
    up = _start(harness, argv, state_dir=state_dir, out=tmp_path / "up.out")
    wait_until((state_dir / "stack.json").exists, timeout=120, what="the stack to be up")
    children = recorded_pids(state_dir, "stack.pids.json")
    assert len(children) == 4  # toxiproxy and three mocks

    _kill_9(up, children, "harness up")

    every_port = [toxiproxy_port, *(port for pair in ports.values() for port in pair)]
    assert [port for port in every_port if not port_is_free(port)] == []
    done = harness_in_process("down", env={"HARNESS_STATE_DIR": str(state_dir)})
    assert done.stdout == "harness: the stack's owner was gone; stopped: nothing\n", done


@pytest.mark.e2e
def test_kill_9_of_a_pytest_session_stops_its_stack(
    tmp_path: Path, harness: list[subprocess.Popen[bytes]]
) -> None:
    state_dir, started, suite = tmp_path / "state", tmp_path / "started", tmp_path / "suite"
    suite.mkdir()
    (suite / "test_waits.py").write_text(SESSION.format(started=str(started)))
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *UNRELATED_PLUGINS]
    session = _start(harness, [*argv, str(suite)], state_dir=state_dir, out=tmp_path / "pytest.out")
    wait_until(started.exists, timeout=120, what="the session's stack to be up")
    children = recorded_pids(state_dir, "pytest-*.pids.json")
    assert len(children) == 4  # toxiproxy and three mocks

    _kill_9(session, children, "pytest session")

    assert reap_abandoned(state_dir, "pytest") == []
