"""Distributed load records every request and gives the verdict a single process gives.

scenarios/blocks/flapping-link.yaml (40 s of load: forty flushes per worker) runs against the
naive reference client three ways: one locust process, `--workers 2`, and `--remote-workers 2`
with the two workers started from the command the run prints, as another machine would start
them. Every run must record exactly what locust itself counted (its own --json-file), and fail
the same checks. About a minute per run.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.process import ProcessSpec, Supervisor
from tests.test_run_e2e import NAIVE, ROOT, _failed_checks, _harness, _journal

pytestmark = pytest.mark.integration

SCENARIO = ROOT / "scenarios" / "blocks" / "flapping-link.yaml"
WAITING = "remote worker(s); on each: "


def _locust_count(run_dir: Path) -> int:
    """locust's own request count for the run, from the stats file its master wrote."""
    entries = json.loads((run_dir / "load" / "locust-stats.json").read_text())
    return sum(int(entry["num_requests"]) for entry in entries)


def _journal_requests(journal: dict[str, Any]) -> int:
    return sum(s["served"] + s["degraded"] + s["failed"] for s in journal["timeline"]["per_second"])


def _run_dir(journal: dict[str, Any], reports: Path) -> Path:
    return reports / str(journal["run_id"])


def _assert_every_request_recorded(journal: dict[str, Any], reports: Path, *, workers: int) -> None:
    counted = _locust_count(_run_dir(journal, reports))
    assert counted > 100  # 4 users for 40 s
    assert _journal_requests(journal) == counted
    load = journal["load"]
    assert load["recorded"] == counted
    assert load["locust_counted"] == counted
    assert load["problems"] == []
    sources = load["sources"]
    assert sorted(s["source"] for s in sources) == [f"worker-{i}" for i in range(workers)]
    assert all(s["complete"] and s["lost_at"] is None for s in sources)
    assert all(s["requests"] > 0 for s in sources)  # both workers carried load
    assert sum(s["requests"] for s in sources) == counted


@pytest.fixture(scope="module")
def single_process(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The baseline: the same scenario and client on one locust process."""
    reports = tmp_path_factory.mktemp("single")
    done = _harness("run", str(SCENARIO), "--client", str(NAIVE), "--report-dir", str(reports))
    assert done.returncode == 1, done.stdout + done.stderr
    journal: dict[str, Any] = _journal(done.stdout)
    assert journal["load"]["mode"] == "local (one locust process)"
    assert journal["load"]["recorded"] == _locust_count(_run_dir(journal, reports))
    return journal


@pytest.mark.e2e
def test_local_workers_record_every_request_and_keep_the_verdict(
    single_process: dict[str, Any], tmp_path: Path
) -> None:
    args = ("--client", str(NAIVE), "--workers", "2", "--report-dir", str(tmp_path))
    done = _harness("run", str(SCENARIO), *args)
    assert done.returncode == 1, done.stdout + done.stderr
    journal: dict[str, Any] = _journal(done.stdout)
    assert journal["verdict"] == single_process["verdict"]
    assert _failed_checks(journal) == _failed_checks(single_process) == {"served_rate.during"}
    assert journal["load"]["mode"] == "2 local worker(s)"
    _assert_every_request_recorded(journal, tmp_path, workers=2)
    assert "load:    2 local worker(s)" in done.stdout


@pytest.mark.e2e
def test_remote_workers_started_from_the_printed_command(
    single_process: dict[str, Any], tmp_path: Path
) -> None:
    argv = [sys.executable, "-m", "harness.cli", "run", str(SCENARIO), "--client", str(NAIVE)]
    argv += ["--remote-workers", "2", "--report-dir", str(tmp_path)]
    with (
        Supervisor(log_dir=tmp_path / "remote") as sup,
        subprocess.Popen(
            argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as run,
    ):
        try:
            assert run.stdout is not None
            printed: list[str] = []
            for line in run.stdout:  # bounded by the run itself and pytest-timeout
                printed.append(line)
                if WAITING in line:
                    command = shlex.split(line.split(WAITING, 1)[1])
                    for index in (1, 2):  # "another machine": only what the run printed
                        sup.start(ProcessSpec(name=f"remote-{index}", argv=command), wait=False)
                    break
            else:
                pytest.fail(
                    "the run never printed the remote workers' command:\n" + "".join(printed)
                )
            out = "".join(printed) + run.stdout.read()
            run.wait(timeout=120)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait(timeout=10)
    assert run.returncode == 1, out
    journal: dict[str, Any] = _journal(out)
    assert journal["verdict"] == single_process["verdict"]
    assert _failed_checks(journal) == _failed_checks(single_process)
    assert journal["load"]["mode"] == "2 remote worker(s)"
    _assert_every_request_recorded(journal, tmp_path, workers=2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--workers", "-1"), "harness: error: --workers and --remote-workers must be 0 or more"),
        (("--master-port", "70000"), "harness: error: --master-port 70000: give a TCP port"),
        (
            ("--remote-workers", "1", "--master-bind", "10.0.0.1"),
            "harness: error: refusing to touch '10.0.0.1': the harness only targets 127.0.0.0/8",
        ),
    ],
)
def test_bad_load_options_exit_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    done = _harness("run", str(SCENARIO), "--client", str(NAIVE), *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(message)
    assert done.stderr.count("\n") == 1
