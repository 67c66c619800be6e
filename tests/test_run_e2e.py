"""`harness run` end to end: real toxiproxy, mocks, reference clients and locust.

The two full runs of scenarios/bpjs-outage.yaml take about two minutes each.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.net import free_port
from harness.process import ProcessSpec, Supervisor, wait_until
from harness.results.timeline import read_request_log
from harness.results.vocabulary import Outcome
from harness.toxiproxy.install import locate
from mock_services.common.dataset import generate

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "bpjs-outage.yaml"
NAIVE = ROOT / "examples" / "clients" / "naive.yaml"
RESILIENT = ROOT / "examples" / "clients" / "resilient.yaml"


def _harness(
    *args: str, env: dict[str, str] | None = None, timeout: float = 400
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
        check=False,
    )


def _journal(stdout: str) -> dict[str, object]:
    line = next(line for line in stdout.splitlines() if line.startswith("journal:"))
    data: dict[str, object] = json.loads(Path(line.split(":", 1)[1].strip()).read_text())
    return data


def _failed_checks(journal: dict[str, object]) -> set[str]:
    """The checks that failed (not the inconclusive ones: those are `_inconclusive_checks`)."""
    checks = journal["checks"]
    assert isinstance(checks, list)
    return {c["id"] for c in checks if c["status"] == "fail"}


def _inconclusive_checks(journal: dict[str, object]) -> set[str]:
    checks = journal["checks"]
    assert isinstance(checks, list)
    return {c["id"] for c in checks if c["status"] == "inconclusive"}


@pytest.mark.e2e
def test_bpjs_outage_fails_the_naive_client(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    step_summary = tmp_path / "step-summary.md"
    done = _harness(
        "run",
        str(SCENARIO),
        "--client",
        str(NAIVE),
        "--report-dir",
        str(reports),
        "--summary-to",
        str(step_summary),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "verdict: FAIL" in done.stdout
    failed = _failed_checks(_journal(done.stdout))
    # Incident 5 is about registration stopping while BPJS is down.
    assert "served_rate.during" in failed
    assert "served_rate.during" in done.stdout
    run_dir = reports / next(p.name for p in reports.iterdir())
    assert (run_dir / "junit.xml").is_file()
    # --summary-to: the run's own summary.md, appended
    assert step_summary.read_text(encoding="utf-8") == (run_dir / "summary.md").read_text("utf-8")


@pytest.mark.e2e
def test_bpjs_outage_passes_the_resilient_client(tmp_path: Path) -> None:
    done = _harness("run", str(SCENARIO), "--client", str(RESILIENT), "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    journal = _journal(done.stdout)
    assert journal["verdict"] == "pass"
    assert not _failed_checks(journal)
    integrity = journal["integrity"]
    assert isinstance(integrity, dict)
    # Registrations and bookings were accepted, and every one of them reached a ledger.
    assert integrity["accepted"]["registration"] > 0
    assert integrity["accepted"]["booking"] > 0
    assert integrity["lost"] == 0


def test_an_invalid_field_exits_2_with_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = SCENARIO.read_text().replace("spawn_rate: 5", "spawn_rat: 5")
    broken.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "spawn_rat:" in t)
    done = _harness("run", str(broken), "--client", str(RESILIENT), "--report-dir", str(tmp_path))
    assert done.returncode == 2
    assert f"broken.yaml:{line}:" in done.stderr
    assert "spawn_rat" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_toxiproxy_exits_3(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    path = os.pathsep.join(
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and not (Path(d) / "toxiproxy-server").exists()
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TOXIPROXY_URL", "TOXIPROXY_SERVER")}
    env |= {"HARNESS_BIN_DIR": str(empty), "PATH": path}
    done = _harness(
        "run", str(SCENARIO), "--client", str(RESILIENT), "--report-dir", str(tmp_path), env=env
    )
    assert done.returncode == 3
    assert "toxiproxy" in done.stderr
    assert "harness toxiproxy install" in done.stderr  # a command a wheel user has
    assert "make " not in done.stderr
    assert "Traceback" not in done.stderr


INTERRUPTED = """
name: interrupted
title: Faults on every service, then Ctrl-C
stack: {{services: [bpjs, erm, patient-app], seed: 1}}
client: {client}
load: {{users: {{FrontDeskStaff: 2, AppPatient: 2}}, spawn_rate: 10, duration: 120s}}
timeline:
  steps:
    - {{at: 0s, target: bpjs, fault: {{kind: latency, latency: 50}}}}
    - {{at: 0s, target: patient-app, fault: {{kind: maintenance, retry_after: 60}}}}
    - {{at: 0s, target: erm, fault: {{kind: down}}}}
steady_state:
  before: {{duration: 2s, min_served_rate: 0.5}}
  after: {{duration: 1s, min_served_rate: 0.5}}
drain: 1s
checks: {{client_alive: true}}
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return (
        Path(f"/proc/{pid}").exists()
        and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    )


@pytest.mark.e2e
def test_sigint_mid_run_leaves_no_fault_and_no_process(tmp_path: Path) -> None:
    provision = locate()
    assert provision is not None, "run `make toxiproxy` first"
    assert provision.server is not None, "this test starts its own toxiproxy-server binary"
    scenario = tmp_path / "interrupted.yaml"
    scenario.write_text(INTERRUPTED.format(client=RESILIENT))
    state = tmp_path / "state"
    port = free_port()
    with Supervisor(log_dir=tmp_path / "ext") as sup:
        # An external toxiproxy (TOXIPROXY_URL): the run must leave no proxy or toxic on it.
        sup.start(
            ProcessSpec(
                name="external-toxiproxy",
                argv=[str(provision.server), "-host", "127.0.0.1", "-port", str(port)],
                ready=lambda: httpx.get(f"http://127.0.0.1:{port}/version", timeout=1).is_success,
            )
        )
        toxiproxy = f"http://127.0.0.1:{port}"
        env = os.environ | {"HARNESS_STATE_DIR": str(state), "TOXIPROXY_URL": toxiproxy}
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "harness.cli",
                "run",
                str(scenario),
                "--report-dir",
                str(tmp_path / "reports"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:

            def faulted() -> bool:
                proxies = httpx.get(f"{toxiproxy}/proxies", timeout=2).json()
                erm = proxies.get("erm", {})
                bpjs = proxies.get("bpjs", {})
                return erm.get("enabled") is False and bool(bpjs.get("toxics"))

            wait_until(faulted, timeout=90, what="the run's faults to be on")
            pids_file = next(state.glob("run-*.pids.json"))
            pids = [int(r["pid"]) for r in json.loads(pids_file.read_text())]
            assert len(pids) >= 5  # mocks, client, locust (toxiproxy is external here)
            run.send_signal(signal.SIGINT)
            out, _ = run.communicate(timeout=60)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait(timeout=10)
        assert run.returncode == 130, out
        assert "Traceback" not in out
        assert httpx.get(f"{toxiproxy}/proxies", timeout=2).json() == {}
        wait_until(
            lambda: not any(_alive(pid) for pid in pids), timeout=10, what="run processes to end"
        )
        assert not pids_file.exists()


@pytest.mark.e2e
def test_a_client_with_its_own_locustfile(tmp_path: Path) -> None:
    """The worked example of docs/custom-load.md: a client file naming its own locustfile."""
    scenario = ROOT / "examples" / "custom_load" / "scenario.yaml"
    done = _harness("run", str(scenario), "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    journal = _journal(done.stdout)
    timeline = journal["timeline"]
    assert isinstance(timeline, dict)
    assert "GET /registrations/{id}" in timeline["requests_by_name"]  # its own users ran
    integrity = journal["integrity"]
    assert isinstance(integrity, dict)
    assert integrity["accepted"]["registration"] > 0
    assert integrity["ledger_records"]["registration"] >= integrity["accepted"]["registration"]
    assert integrity["lost"] == 0


# A team's existing locustfile: plain HttpUser, no harness import; the patients are the seeded
# ones the mocks know (`python -m mock_services dataset --seed 1`), written in by the test.
TEAM_LOCUSTFILE = '''
"""The front desk's own load test, as the team runs it with plain locust."""

import datetime as dt
import itertools

from locust import HttpUser, between, task

PATIENTS = __PATIENTS__  # (nik, tglLahir)
WIB = dt.timezone(dt.timedelta(hours=7))  # the services' day
_visits = itertools.count()
_readers = itertools.count()


class FrontDesk(HttpUser):
    wait_time = between(0.1, 0.3)

    @task(2)
    def register(self):
        n = next(_visits)
        nik, _born = PATIENTS[n % len(PATIENTS)]
        day = dt.datetime.now(WIB).date() + dt.timedelta(days=n // len(PATIENTS))
        visit = {"nik": nik, "kodepoli": "INT", "tanggal": day.isoformat()}
        self.client.post("/registrations", json=visit, name="/registrations")

    @task(2)
    def lab_results(self):
        nik, born = PATIENTS[-1 - next(_readers) % len(PATIENTS)]
        self.client.get(f"/lab-results?nik={nik}&tglLahir={born}", name="/lab-results")

    @task
    def health(self):
        self.client.get("/health")
'''

TEAM_CLIENT = """
name: team-front-desk
command: [python, -m, examples.reference_client, --build, resilient, --port, "{port}",
          --replay-interval, "0.5"]
cwd: __ROOT__
env:
  BPJS_URL: "{bpjs_url}"
  ERM_URL: "{erm_url}"
  PATIENT_APP_URL: "{patient_app_url}"
  CLIENT_DB: "{work_dir}/client.db"
base_url: "http://127.0.0.1:{port}"
readiness: {path: /health, timeout: 30s}
degraded_marker: {header: X-Degraded}
locustfile: team_load.py
"""

# The ERM and the patient app down together: the client queues registrations offline (marked
# X-Degraded: degraded) and has no copy of lab results it never read (503: failed).
TEAM_SCENARIO = """
name: team-locustfile
title: A team's plain locustfile through an ERM and patient-app outage
stack: {services: [bpjs, erm, patient-app], seed: 1}
client: client.yaml
load: {users: {FrontDesk: 4}, spawn_rate: 4, duration: 7s}
timeline:
  steps:
    - {at: 0.5s, for: 3s, target: erm, fault: {kind: down}}
    - {at: 0.5s, for: 3s, target: patient-app, fault: {kind: down}}
steady_state:
  before: {duration: 2s, min_served_rate: 0.9}
  after: {duration: 3s, min_served_rate: 0.5}
drain: 3s
checks:
  served_rate: {during: 0.2}
  no_duplicates: true  # from the ledgers alone; nothing_lost needs accepted records
  client_alive: true
"""


@pytest.mark.e2e
def test_a_plain_locustfile_runs_unchanged(tmp_path: Path) -> None:
    """Bring your own locustfile (docs/custom-load.md): plain HttpUser classes, recorded and
    classified like the harness's own users, without what they cannot give (accepted records)."""
    patients = [(p.nik, p.tglLahir) for p in generate(1).patients if p.aktif]
    (tmp_path / "team_load.py").write_text(TEAM_LOCUSTFILE.replace("__PATIENTS__", repr(patients)))
    (tmp_path / "client.yaml").write_text(TEAM_CLIENT.replace("__ROOT__", str(ROOT)))
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(TEAM_SCENARIO)

    checked = _harness("validate", str(scenario))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "warning:" not in checked.stdout  # the plain class's pacing is read for the estimate

    reports = tmp_path / "reports"
    done = _harness("run", str(scenario), "--report-dir", str(reports))
    assert done.returncode == 0, done.stdout + done.stderr
    journal = _journal(done.stdout)
    timeline = journal["timeline"]
    assert isinstance(timeline, dict)
    names = {"POST /registrations", "GET /lab-results", "GET /health"}
    assert set(timeline["requests_by_name"]) == names
    first = timeline["per_second"][0]  # 2.5 s before the faults
    assert first["served"] > 0
    assert first["failed"] == first["degraded"] == 0
    phases = {p["phase"]: p for p in timeline["per_phase"]}
    assert phases["during"]["degraded"] > 0
    assert phases["during"]["failed"] > 0
    load = journal["load"]
    assert isinstance(load, dict)
    assert load["recorded"] == load["locust_counted"]  # each request recorded once
    assert load["problems"] == []

    log = read_request_log(sorted((reports / str(journal["run_id"]) / "load").glob("*.jsonl")))
    outcomes = {name: dict.fromkeys(Outcome, 0) for name in names}
    for bucket in log.buckets:
        for outcome in Outcome:
            outcomes[bucket.name][outcome] += bucket.count(outcome)
    registrations, lab_results = outcomes["POST /registrations"], outcomes["GET /lab-results"]
    assert registrations[Outcome.SERVED] > 0
    assert registrations[Outcome.DEGRADED] > 0  # the offline queue, marked X-Degraded
    assert lab_results[Outcome.SERVED] > 0
    assert lab_results[Outcome.FAILED] > 0  # nothing cached to fall back on
    # What a plain user cannot tell the checks: what the patient was told was accepted. The
    # ledgers are read all the same, and judged for duplicates.
    integrity = journal["integrity"]
    assert isinstance(integrity, dict)
    assert sum(integrity["accepted"].values()) == 0
    assert integrity["ledger_records"]["registration"] > 0
    assert {c["id"]: c["status"] for c in journal["checks"]}["no_duplicates"] == "pass"
