"""The load layer with real locust processes against a real mock: recording, outcomes, workers."""

from __future__ import annotations

import dataclasses
import os
import signal
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from harness.client import DegradedMarker
from harness.errors import UsageError
from harness.load.config import LoadConfig
from harness.load.runner import RECORDING_LOCUSTFILE, LoadPlan, start_load, worker_argv
from harness.process import ProcessSpec, Supervisor, wait_until
from harness.results.timeline import RequestLog, read_request_log
from harness.results.vocabulary import Outcome
from mock_services.common import clock
from tests.conftest import StartMock

pytestmark = pytest.mark.integration

PROBE = Path(__file__).parent / "locustfiles" / "probe.py"


def _plan(
    url: str,
    out: Path,
    *,
    run_time_s: float,
    users: int,
    workers: int = 0,
    locustfile: Path = PROBE,
    user_counts: dict[str, int] | None = None,
    marker: DegradedMarker | None = None,
) -> LoadPlan:
    counts = user_counts or {"Prober": users}
    config = LoadConfig(
        t0=time.time(),
        out_dir=out,
        user_counts=counts,
        visit_date=clock.today().isoformat(),
        patience_s=5,
        degraded_marker=marker or DegradedMarker(header="X-Degraded"),
    )
    return LoadPlan(
        locustfile=locustfile,
        host=url,
        user_counts=counts,
        spawn_rate=50,
        run_time_s=run_time_s,
        config=config,
        workers=workers,
    )


def test_requests_are_recorded_per_second_with_outcomes(
    start_mock: StartMock, supervisor: Supervisor, tmp_path: Path
) -> None:
    app = start_mock("patient-app")
    # 12 s: on a busy CI the first two seconds of records arrived so late in a 6 s run that the
    # load ended before the fault could be seen (timed out waiting for failed requests).
    plan = _plan(app.url, tmp_path / "load", run_time_s=12, users=3)
    load = start_load(supervisor, plan, run_dir=tmp_path)
    # Break the facility endpoint once requests flow, then heal it: the log must show both.
    wait_until(lambda: load.progress().seconds >= 2, timeout=30, what="two seconds of load")
    fault = {"kind": "http_error", "route": "/api/v1/facility", "params": {"status": 503}}
    httpx.post(f"{app.url}/__admin/faults", json=fault, timeout=5).raise_for_status()
    wait_until(lambda: load.progress().error_rate > 0, timeout=15, what="failed requests")
    httpx.delete(f"{app.url}/__admin/faults", timeout=5).raise_for_status()
    load.wait(timeout=60)

    log = read_request_log(load.request_logs())
    by_name: dict[str, dict[Outcome, int]] = {}
    for bucket in log.buckets:
        counts = by_name.setdefault(bucket.name, dict.fromkeys(Outcome, 0))
        for outcome in Outcome:
            counts[outcome] += bucket.count(outcome)
    facility = by_name["GET /api/v1/facility"]
    assert facility[Outcome.SERVED] > 0
    assert facility[Outcome.FAILED] > 0
    assert facility[Outcome.DEGRADED] == 0
    polyclinics = by_name["GET /api/v1/polyclinics"]
    assert polyclinics[Outcome.DEGRADED] > 0
    assert polyclinics[Outcome.SERVED] == 0
    # The mock counted what locust recorded (both sides of the wire agree).
    stats = httpx.get(f"{app.url}/__admin/stats", timeout=5).json()
    recorded = sum(facility.values())
    assert stats["requests"]["GET /api/v1/facility"] == recorded
    assert len(log.accepted) == 3
    assert {a.kind.value for a in log.accepted} == {"booking"}
    assert len({a.key["nik"] for a in log.accepted}) == 3


def test_local_workers_share_one_clock_and_do_not_overlap(
    start_mock: StartMock, supervisor: Supervisor, tmp_path: Path
) -> None:
    app = start_mock("patient-app")
    plan = _plan(app.url, tmp_path / "load", run_time_s=4, users=4, workers=2)
    load = start_load(supervisor, plan, run_dir=tmp_path)
    load.wait(timeout=90)
    logs = load.request_logs()
    assert [p.name for p in logs] == ["requests-master.jsonl"]  # workers ship to the master
    log = read_request_log(logs)
    assert sum(b.total for b in log.buckets) > 0
    niks = [a.key["nik"] for a in log.accepted]
    assert len(niks) == 4
    assert len(set(niks)) == 4


def test_remote_workers_get_the_config_from_the_master(
    start_mock: StartMock, supervisor: Supervisor, tmp_path: Path
) -> None:
    """Workers started elsewhere need only the worker command line: no config file, no env."""
    app = start_mock("patient-app")
    plan = _plan(app.url, tmp_path / "load", run_time_s=4, users=4)
    plan = dataclasses.replace(plan, remote_workers=2)
    load = start_load(supervisor, plan, run_dir=tmp_path)
    assert len(load.processes) == 1  # only the master: the workers are "remote"
    argv = worker_argv(plan, master_host="127.0.0.1", master_port=load.master_port)
    assert "--harness-config" not in argv
    for index in (1, 2):
        supervisor.start(ProcessSpec(name=f"remote-worker-{index}", argv=argv), wait=False)
    load.wait(timeout=90)
    log = read_request_log(load.request_logs())
    assert sum(b.total for b in log.buckets) > 0
    niks = [a.key["nik"] for a in log.accepted]
    assert len(niks) == 4
    assert len(set(niks)) == 4


def test_workers_ship_every_record_of_a_long_run_once(
    start_mock: StartMock, supervisor: Supervisor, tmp_path: Path
) -> None:
    """Twelve seconds of flushes per worker: everything locust counted reaches the master's log."""
    app = start_mock("patient-app")
    plan = _plan(app.url, tmp_path / "load", run_time_s=12, users=4, workers=2)
    load = start_load(supervisor, plan, run_dir=tmp_path)
    # Judging waits for both workers' marks: once they say second 5 is in, it does not change.
    wait_until(lambda: load.records_through() >= 6, timeout=60, what="six seconds of records")
    early = load.served_rate(0, 5)
    load.wait(timeout=90)
    log = read_request_log(load.request_logs())
    counted = load.locust_requests()
    assert counted is not None
    assert counted > 100
    assert log.requests == counted
    assert [(s.source, s.complete) for s in log.sources] == [
        ("worker-0", True),
        ("worker-1", True),
    ]
    assert all(s.requests > 0 for s in log.sources)
    assert sum(s.requests for s in log.sources) == counted
    assert max(b.second for b in log.buckets) >= 11  # the last seconds arrived too
    assert load.served_rate(0, 5) == early
    assert len(log.accepted) == 4


def test_a_worker_that_dies_is_reported_lost(
    start_mock: StartMock, supervisor: Supervisor, tmp_path: Path
) -> None:
    app = start_mock("patient-app")
    plan = _plan(app.url, tmp_path / "load", run_time_s=14, users=4, workers=2)
    load = start_load(supervisor, plan, run_dir=tmp_path)
    wait_until(lambda: load.records_through() >= 3, timeout=60, what="three seconds of records")
    os.kill(load.processes[2].pid, signal.SIGKILL)
    killed_at = time.time() - plan.config.t0
    load.wait(timeout=90)
    log = read_request_log(load.request_logs())
    lost = [s for s in log.sources if s.lost_at is not None]
    assert len(lost) == 1
    assert not lost[0].complete
    assert lost[0].lost_at is not None
    assert killed_at <= lost[0].lost_at <= killed_at + 10  # missed heartbeats: about 3 s
    others = [s for s in log.sources if s.lost_at is None]
    assert len(others) == 1
    assert others[0].complete


# A team's existing locustfile: plain HttpUser classes, no harness import, no --harness-config.
PLAIN = textwrap.dedent(
    """
    from locust import HttpUser, constant_pacing, task


    class Visitor(HttpUser):
        wait_time = constant_pacing(0.05)

        @task
        def facility(self):
            self.client.get("/api/v1/facility")

        @task
        def polyclinics(self):
            self.client.get("/api/v1/polyclinics")
    """
)


def _outcomes(log: RequestLog) -> dict[str, dict[Outcome, int]]:
    by_name: dict[str, dict[Outcome, int]] = {}
    for bucket in log.buckets:
        counts = by_name.setdefault(bucket.name, dict.fromkeys(Outcome, 0))
        for outcome in Outcome:
            counts[outcome] += bucket.count(outcome)
    return by_name


def test_a_plain_locustfile_is_recorded_and_classified(
    start_mock: StartMock, supervisor: Supervisor, tmp_path: Path
) -> None:
    """Every request of a plain HttpUser is recorded once, classified by status and marker."""
    app = start_mock("patient-app")
    locustfile = tmp_path / "team_load.py"
    locustfile.write_text(PLAIN)
    plan = _plan(
        app.url,
        tmp_path / "load",
        run_time_s=10,
        users=2,
        locustfile=locustfile,
        user_counts={"Visitor": 2},
        # Only the facility's answer has data.organizationId: it stands for a marked fallback.
        marker=DegradedMarker(json_field="data.organizationId"),
    )
    load = start_load(supervisor, plan, run_dir=tmp_path)
    wait_until(lambda: load.progress().seconds >= 2, timeout=30, what="two seconds of load")
    fault = {"kind": "http_error", "route": "/api/v1/polyclinics", "params": {"status": 503}}
    httpx.post(f"{app.url}/__admin/faults", json=fault, timeout=5).raise_for_status()
    wait_until(lambda: load.progress().error_rate > 0, timeout=15, what="failed requests")
    httpx.delete(f"{app.url}/__admin/faults", timeout=5).raise_for_status()
    load.wait(timeout=60)

    log = read_request_log(load.request_logs())
    by_name = _outcomes(log)
    assert set(by_name) == {"GET /api/v1/facility", "GET /api/v1/polyclinics"}
    facility = by_name["GET /api/v1/facility"]
    assert facility[Outcome.DEGRADED] > 0
    assert facility[Outcome.SERVED] == facility[Outcome.FAILED] == 0
    polyclinics = by_name["GET /api/v1/polyclinics"]
    assert polyclinics[Outcome.SERVED] > 0
    assert polyclinics[Outcome.FAILED] > 0
    assert log.requests == load.locust_requests()  # each request once: locust counted the same
    stats = httpx.get(f"{app.url}/__admin/stats", timeout=5).json()
    assert stats["requests"]["GET /api/v1/facility"] == sum(facility.values())
    assert log.accepted == ()  # a plain user tells the checks of nothing it was promised


@pytest.mark.unit
def test_every_locust_process_loads_the_recording_beside_the_locustfile(
    supervisor: Supervisor, tmp_path: Path
) -> None:
    plan = _plan("http://127.0.0.1:1", tmp_path / "load", run_time_s=1, users=1)
    argv = worker_argv(plan, master_host="127.0.0.1", master_port=5557)
    assert argv[argv.index("-f") + 1] == f"{PROBE},{RECORDING_LOCUSTFILE}"
    folder = tmp_path / "team,load"  # locust's -f would read two files
    folder.mkdir()
    (folder / "locustfile.py").write_text(PLAIN)
    plan = dataclasses.replace(plan, locustfile=folder / "locustfile.py")
    with pytest.raises(UsageError, match="splits paths at commas"):
        start_load(supervisor, plan, run_dir=tmp_path)


MIXED = textwrap.dedent(
    """
    from locust import HttpUser, constant_pacing, task

    from harness.load.users import HarnessUser


    class Visitor(HttpUser):
        wait_time = constant_pacing(0.05)

        @task
        def facility(self):
            self.client.get("/api/v1/facility")


    class Prober(HarnessUser):
        wait_time = constant_pacing(0.05)

        @task
        def polyclinics(self):
            self.call("GET", "/api/v1/polyclinics")
    """
)


def test_plain_and_harness_users_on_workers_are_each_recorded_once(
    start_mock: StartMock, supervisor: Supervisor, tmp_path: Path
) -> None:
    """One listener per process, whoever imported the recording first: nothing counted twice."""
    app = start_mock("patient-app")
    locustfile = tmp_path / "mixed_load.py"
    locustfile.write_text(MIXED)
    plan = _plan(
        app.url,
        tmp_path / "load",
        run_time_s=4,
        users=4,
        workers=2,
        locustfile=locustfile,
        user_counts={"Visitor": 2, "Prober": 2},
    )
    load = start_load(supervisor, plan, run_dir=tmp_path)
    load.wait(timeout=90)
    log = read_request_log(load.request_logs())
    by_name = _outcomes(log)
    assert set(by_name) == {"GET /api/v1/facility", "GET /api/v1/polyclinics"}
    stats = httpx.get(f"{app.url}/__admin/stats", timeout=5).json()["requests"]
    for name, counts in by_name.items():
        assert sum(counts.values()) == stats[name]
        assert counts[Outcome.SERVED] == stats[name]
    assert log.requests == load.locust_requests()


SLOW_IMPORT = textwrap.dedent(
    """
    import time

    from locust import constant_pacing, task

    from harness.load.users import HarnessUser

    # A locustfile that takes its time to import (a big dataset, a slow disk, a busy machine),
    # blocking without ever running gevent's loop.
    until = time.perf_counter() + 2.5
    while time.perf_counter() < until:
        pass


    class Prober(HarnessUser):
        wait_time = constant_pacing(0.05)

        @task
        def facility(self) -> None:
            self.call("GET", "/api/v1/facility", name="/api/v1/facility")
    """
)


def test_a_slow_locustfile_import_does_not_end_the_load_early(
    start_mock: StartMock, supervisor: Supervisor, tmp_path: Path
) -> None:
    """locust's --run-time timer counts from gevent's cached clock; read before the imports, it
    ended the load as many seconds early as they took (4 s of 29 on a busy CI)."""
    app = start_mock("patient-app")
    locustfile = tmp_path / "slow_import.py"
    locustfile.write_text(SLOW_IMPORT)
    plan = _plan(app.url, tmp_path / "load", run_time_s=5, users=2, locustfile=locustfile)
    # The clock starts with the users, as in `harness run` (not fixed beforehand).
    plan = dataclasses.replace(plan, config=plan.config.model_copy(update={"t0": None}))
    load = start_load(supervisor, plan, run_dir=tmp_path)
    t0 = load.wait_started(timeout=60)
    load.wait(timeout=60)
    log = read_request_log(load.request_logs(), t0=t0)
    last = max(bucket.second for bucket in log.buckets if bucket.total)
    assert last >= plan.run_time_s - 1, f"the load's last request started in second {last}"
