"""`harness up|status|inject|heal|down` as a developer uses them: a real stack, real commands.

`harness up` runs as its own process (on free ports, with its own state directory), as a developer
starts it. The commands that talk to it (`status`, `inject`, `heal`, `down`) run through the CLI's
`main(argv)` in this process, against that real stack: the same code, without a Python start-up
per call. The commands without a stack and a busy port run as `python -m harness.cli ...`, so the
exit codes and one-line messages of a real process stay tested.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.errors import ExitCode
from harness.net import free_port, port_is_free
from harness.process import ManagedProcess, ProcessSpec, Supervisor, wait_until
from mock_services.common import clock
from mock_services.common.dataset import generate
from tests.cli_support import harness_in_process, without_toxiproxy_url
from tests.process_support import kill_watchdogs_of

pytestmark = pytest.mark.integration

SERVICES = ("bpjs", "erm", "patient-app")


@dataclass(frozen=True)
class Stack:
    state_dir: Path
    toxiproxy_port: int
    ports: dict[str, tuple[int, int]]  # service -> (mock port, proxy port)
    owner: ManagedProcess

    def proxy_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service][1]}"

    def direct_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service][0]}"

    def harness(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**without_toxiproxy_url(), "HARNESS_STATE_DIR": str(self.state_dir)}
        return harness_in_process(*args, env=env)

    def status(self) -> dict[str, Any]:
        done = self.harness("status", "--json")
        assert done.returncode == 0, done.stderr
        status: dict[str, Any] = json.loads(done.stdout)
        return status

    def proxy_status(self, service: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = [p for p in self.status()["proxies"] if p["name"] == service]
        assert len(found) == 1, found
        return found[0]

    def app_faults(self) -> dict[str, list[dict[str, Any]]]:
        return {s["name"]: s["app_faults"] for s in self.status()["services"]}


def _environment(state_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOXIPROXY")}
    return {**env, "HARNESS_STATE_DIR": str(state_dir)}


def run_harness(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m harness.cli ARGS`: a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        env=_environment(state_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def up_spec(
    state_dir: Path,
    ports: dict[str, tuple[int, int]],
    toxiproxy_port: int,
    extra: tuple[str, ...] = (),
) -> ProcessSpec:
    argv = [sys.executable, "-m", "harness.cli", "up", "--toxiproxy-port", str(toxiproxy_port)]
    argv += ["--services", ",".join(ports), *extra]
    for service, (mock, proxy) in ports.items():
        argv += ["--port", f"{service}={mock}:{proxy}"]
    return ProcessSpec(
        name=f"harness-up-{toxiproxy_port}",
        argv=argv,
        env={"HARNESS_STATE_DIR": str(state_dir)},
        ready=(state_dir / "stack.json").exists,
        ready_timeout=120,
        stop_timeout=30,
    )


def start_stack(
    supervisor: Supervisor, state_dir: Path, services: tuple[str, ...], *extra: str
) -> Stack:
    ports = {service: (free_port(), free_port()) for service in services}
    toxiproxy_port = free_port()
    owner = supervisor.start(up_spec(state_dir, ports, toxiproxy_port, extra))
    return Stack(state_dir, toxiproxy_port, ports, owner)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One full stack for the module; each test leaves it healed."""
    logs = tmp_path_factory.mktemp("stack-logs")
    with Supervisor(log_dir=logs) as supervisor:
        yield start_stack(supervisor, tmp_path_factory.mktemp("stack-state"), SERVICES)


@pytest.fixture
def healed(stack: Stack) -> Iterator[Stack]:
    yield stack
    done = stack.harness("heal")
    assert done.returncode == 0, done.stderr


def get(url: str, *, timeout: float = 10.0) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = httpx.get(url, timeout=timeout, trust_env=False)
    return time.monotonic() - started, response


def one_line_error(done: subprocess.CompletedProcess[str], code: ExitCode, text: str) -> None:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert done.stderr.startswith("harness: error: ")
    assert text in done.stderr
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def wait_ports_free(*ports: int) -> None:
    wait_until(lambda: all(port_is_free(port) for port in ports), timeout=10, what=f"{ports}")


def test_up_prints_the_urls_and_status_lists_every_proxy(stack: Stack) -> None:
    printed = stack.owner.log_path.read_text()
    for service in SERVICES:
        assert stack.proxy_url(service) in printed
    status = stack.status()
    proxies = {p["name"]: p for p in status["proxies"]}
    assert set(proxies) == set(SERVICES)
    for service in SERVICES:
        mock, proxy = stack.ports[service]
        assert proxies[service] == {
            "name": service,
            "listen": f"127.0.0.1:{proxy}",
            "upstream": f"127.0.0.1:{mock}",
            "enabled": True,
            "toxics": [],
        }
        # Each proxy leads to its own mock.
        _, response = get(f"{stack.proxy_url(service)}/__admin/health")
        assert response.json()["service"] == service


def test_inject_latency_and_heal(healed: Stack) -> None:
    done = healed.harness("inject", "bpjs", "latency", "latency=400", "jitter=0")
    assert done.returncode == 0, done.stderr
    assert "injected bpjs: latency latency=400 jitter=0 (downstream)" in done.stdout
    bpjs = healed.proxy_status("bpjs")
    assert bpjs["toxics"][0]["attributes"] == {"latency": 400, "jitter": 0}
    elapsed, response = get(f"{healed.proxy_url('bpjs')}/__admin/health")
    assert response.status_code == 200
    assert elapsed >= 0.4
    done = healed.harness("heal", "bpjs")
    assert "healed bpjs: network: latency (latency_downstream)" in done.stdout
    bpjs = healed.proxy_status("bpjs")
    assert bpjs["toxics"] == []


def test_inject_down_refuses_connections_on_the_proxy_only(healed: Stack) -> None:
    assert healed.harness("inject", "patient-app", "down").returncode == 0
    with pytest.raises(httpx.ConnectError):
        get(f"{healed.proxy_url('patient-app')}/__admin/health")
    _, direct = get(f"{healed.direct_url('patient-app')}/__admin/health")
    assert direct.status_code == 200
    assert "DOWN (connections refused)" in healed.harness("status").stdout
    assert healed.harness("heal", "patient-app").returncode == 0
    _, response = get(f"{healed.proxy_url('patient-app')}/__admin/health")
    assert response.status_code == 200


def test_inject_an_app_fault_and_heal_one_service_only(healed: Stack) -> None:
    done = healed.harness("inject", "erm", "http_error", "status=503", "route=/fhir-r4/*")
    assert done.returncode == 0, done.stderr
    done = healed.harness("inject", "bpjs", "maintenance", "retry_after=60")
    assert done.returncode == 0, done.stderr
    _, response = get(f"{healed.proxy_url('erm')}/fhir-r4/v1/Patient")
    assert response.status_code == 503
    _, response = get(f"{healed.proxy_url('bpjs')}/vclaim-rest/Peserta/nokartu/1")
    assert (response.status_code, response.headers["retry-after"]) == (503, "60")
    app_faults = healed.app_faults()
    assert [f["kind"] for f in app_faults["erm"]] == ["http_error"]
    assert app_faults["erm"][0]["params"] == {"status": 503}
    assert healed.harness("heal", "bpjs").returncode == 0
    app_faults = healed.app_faults()
    assert app_faults["bpjs"] == []
    assert len(app_faults["erm"]) == 1


def test_inject_for_a_while_removes_it_afterwards(healed: Stack) -> None:
    done = healed.harness("inject", "erm", "timeout", "timeout=0", "--for", "1s")
    assert done.returncode == 0, done.stderr
    assert "removed erm: timeout timeout=0 (downstream)" in done.stdout
    erm = healed.proxy_status("erm")
    assert erm["toxics"] == []


def test_inject_kill_stops_the_mock_until_heal_starts_it_again(healed: Stack) -> None:
    done = healed.harness("inject", "erm", "kill")
    assert done.returncode == 0, done.stderr
    assert "injected erm: kill" in done.stdout
    assert "it stays until `harness heal erm`" in done.stdout
    with pytest.raises(httpx.ConnectError):
        get(f"{healed.direct_url('erm')}/__admin/health")
    assert healed.owner.alive()  # a mock a fault killed does not stop the stack
    status = healed.status()
    erm = next(s for s in status["services"] if s["name"] == "erm")
    assert erm["process"] == "not running (killed by a fault)"
    assert "process: not running (killed by a fault)" in healed.harness("status").stdout
    done = healed.harness("heal", "erm")
    assert "healed erm: process: killed by a fault, started again" in done.stdout
    _, response = get(f"{healed.direct_url('erm')}/__admin/health")
    assert response.status_code == 200
    erm = next(s for s in healed.status()["services"] if s["name"] == "erm")
    assert erm["process"] == "running"


def test_inject_kill_for_a_while_starts_the_mock_again_with_its_data(healed: Stack) -> None:
    before = httpx.get(f"{healed.direct_url('erm')}/__admin/ledger", timeout=10).json()
    done = healed.harness("inject", "erm", "kill", "--for", "1s")
    assert done.returncode == 0, done.stderr
    assert "removed erm: kill" in done.stdout
    _, response = get(f"{healed.direct_url('erm')}/__admin/ledger")
    assert response.json() == before  # the same SQLite file under the state directory
    done = healed.harness("inject", "bpjs", "restart")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        r"harness: restarted the bpjs mock \(its data kept\), ready after \d+\.\d\ds\n",
        done.stdout,
    ), done.stdout
    _, response = get(f"{healed.proxy_url('bpjs')}/__admin/health")
    assert response.status_code == 200
    assert healed.owner.alive()


def test_inject_twice_updates_the_toxic(healed: Stack) -> None:
    assert healed.harness("inject", "bpjs", "bandwidth", "rate=100").returncode == 0
    done = healed.harness("inject", "bpjs", "bandwidth", "rate=5")
    assert "updated bpjs: bandwidth rate=5" in done.stdout
    bpjs = healed.proxy_status("bpjs")
    assert [t["attributes"] for t in bpjs["toxics"]] == [{"rate": 5}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("lab", "down"), "unknown service 'lab'; choose one of: bpjs, erm, patient-app"),
        (("bpjs", "lag"), "unknown fault 'lag'; choose one of: network: latency"),
        (("bpjs", "latency", "latncy=3"), "latency has no attribute 'latncy'; allowed:"),
        (("bpjs", "latency"), "latency needs latency=..."),
        (("erm", "http_error", "status=418"), "http_error status=418: Input should be 500"),
        (("bpjs", "bandwidth", "rate=0"), "bandwidth rate=0"),
        (("bpjs", "restart", "--for", "10s"), "restart is instantaneous"),
        (("bpjs", "down", "--for", "soon"), "--for 'soon'"),
        (("bpjs", "latency", "300"), "expected key=value, got '300'"),
        (("client", "kill"), "no client under test in this stack: start it with the stack"),
    ],
)
def test_bad_input_exits_2_with_one_line(stack: Stack, args: tuple[str, ...], message: str) -> None:
    one_line_error(stack.harness("inject", *args), ExitCode.USAGE, message)


def test_commands_without_a_stack_exit_3(tmp_path: Path) -> None:
    for args in (("status",), ("heal",), ("inject", "bpjs", "down")):
        one_line_error(run_harness(tmp_path, *args), ExitCode.INFRASTRUCTURE, "no stack is up")
    done = run_harness(tmp_path, "down")
    assert (done.returncode, done.stdout) == (0, "harness: no stack is up\n")


def test_a_busy_port_exits_3_naming_it(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = squatter.getsockname()[1]
        args = ["up", "--toxiproxy-port", str(free_port()), "--services", "bpjs"]
        done = run_harness(tmp_path, *args, "--port", f"bpjs={free_port()}:{busy}")
    one_line_error(done, ExitCode.INFRASTRUCTURE, f"port {busy} on 127.0.0.1 for the bpjs proxy")
    assert not (tmp_path / "stack.json").exists()
    assert not (tmp_path / "stack.pids.json").exists()


def test_down_stops_everything(tmp_path: Path) -> None:
    with Supervisor(log_dir=tmp_path / "logs") as supervisor:
        stack = start_stack(supervisor, tmp_path / "state", ("bpjs",))
        done = stack.harness("down")
        assert done.returncode == 0, done.stderr
        assert "stack stopped" in done.stdout
        assert stack.owner.popen.wait(timeout=30) == 0
    assert "harness: stack stopped" in stack.owner.log_path.read_text()
    wait_ports_free(stack.toxiproxy_port, *stack.ports["bpjs"])
    assert not (tmp_path / "state" / "stack.json").exists()


def test_down_after_kill_9_of_up_reaps_the_leftovers(tmp_path: Path) -> None:
    with Supervisor(log_dir=tmp_path / "logs") as supervisor:
        stack = start_stack(supervisor, tmp_path / "state", ("bpjs",))
        # Its watchdog stops them (tests/test_killed_harness.py); without it, `down` must.
        kill_watchdogs_of(stack.owner.pid)
        stack.owner.kill()
        assert not port_is_free(stack.ports["bpjs"][1])  # orphans still serve
        one_line_error(stack.harness("status"), ExitCode.INFRASTRUCTURE, "is gone")
        done = stack.harness("down")
        assert done.returncode == 0, done.stderr
        assert "the stack's owner was gone; stopped: toxiproxy-server, bpjs" in done.stdout
    wait_ports_free(stack.toxiproxy_port, *stack.ports["bpjs"])


def test_up_tls_serves_https_that_status_shows_with_its_ca_and_down_cleans_up(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    with Supervisor(log_dir=tmp_path / "logs") as supervisor:
        stack = start_stack(supervisor, state, ("erm",), "--tls")
        mock, proxy = stack.ports["erm"]
        ca = str(state / "tls" / "ca.pem")
        printed = stack.owner.log_path.read_text()
        assert f"https://127.0.0.1:{proxy}" in printed
        assert ca in printed

        status = stack.status()
        assert status["ca_bundle"] == ca
        [erm] = status["services"]
        assert (erm["proxy_url"], erm["direct_url"]) == (
            f"https://127.0.0.1:{proxy}",
            f"https://127.0.0.1:{mock}",
        )
        text = stack.harness("status").stdout
        assert f"clients trust the CA {ca}" in text
        assert f"erm          https://127.0.0.1:{proxy} -> 127.0.0.1:{mock}  up" in text
        # inject and heal reach the mock's admin API over HTTPS, trusting the stack's CA.
        injected = stack.harness("inject", "erm", "http_error", "status=503")
        assert injected.returncode == 0, injected.stderr
        url = f"https://127.0.0.1:{proxy}/fhir-r4/v1/metadata"
        assert httpx.get(url, verify=ssl.create_default_context(cafile=ca)).status_code == 503
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(url, trust_env=False)  # the system's trust store
        assert stack.harness("heal").returncode == 0

        done = stack.harness("down")
        assert done.returncode == 0, done.stderr
        assert stack.owner.popen.wait(timeout=30) == 0
    wait_ports_free(stack.toxiproxy_port, mock, proxy)
    assert not (state / "stack.json").exists()


def test_up_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    with Supervisor(log_dir=tmp_path / "logs") as supervisor:
        stack = start_stack(supervisor, tmp_path / "state", ("erm",))
        stack.owner.popen.send_signal(signal.SIGINT)
        assert stack.owner.popen.wait(timeout=30) == 0
    assert not (tmp_path / "state" / "stack.json").exists()
    assert not (tmp_path / "state" / "stack.pids.json").exists()


def test_up_with_a_client_makes_it_a_fault_target_that_keeps_its_files(tmp_path: Path) -> None:
    client_file = Path(__file__).resolve().parents[1] / "examples/clients/resilient.yaml"
    with Supervisor(log_dir=tmp_path / "logs") as supervisor:
        stack = start_stack(supervisor, tmp_path / "state", SERVICES, "--client", str(client_file))
        client = stack.status()["client"]
        assert (client["name"], client["process"]) == ("resilient", "running")
        printed = stack.owner.log_path.read_text()
        assert f"  client       {client['base_url']}   (resilient" in printed
        patient = generate(1).patients[0]
        key = {"nik": patient.nik, "tanggal": clock.today().isoformat(), "kodepoli": "INT"}
        register = f"{client['base_url']}/registrations"

        assert stack.harness("inject", "erm", "down").returncode == 0
        queued = httpx.post(register, json=key, timeout=20)
        assert (queued.status_code, queued.headers["X-Degraded"]) == (201, "offline-queue")
        done = stack.harness("inject", "client", "kill", "--for", "1s")
        assert "removed client: kill" in done.stdout, done.stderr
        again = httpx.post(register, json=key, timeout=20)  # its SQLite file in {work_dir}
        assert again.json()["nomorantrean"] == queued.json()["nomorantrean"]

        assert stack.harness("inject", "client", "pause").returncode == 0
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{client['base_url']}/health", timeout=1)
        assert stack.status()["client"]["process"] == "not running (paused by a fault)"
        done = stack.harness("heal")
        assert "healed erm: network: down" in done.stdout
        assert "healed client: process: paused by a fault, resumed" in done.stdout
        done = stack.harness("inject", "client", "restart")
        assert done.stdout.startswith("harness: restarted the client (its data kept), ready after")
        one_line_error(
            stack.harness("inject", "client", "latency", "latency=3"),
            ExitCode.USAGE,
            "latency is not a fault of the client's process",
        )
        erm_ledger = f"{stack.direct_url('erm')}/__admin/ledger"
        wait_until(
            lambda: len(httpx.get(erm_ledger, params={"nik": patient.nik}).json()["visits"]) == 1,
            timeout=30,
            what="the queued registration in the ERM, once",
        )

        # A client that dies when no fault killed it stops the stack, saying so.
        pids = json.loads((tmp_path / "state" / "stack.pids.json").read_text())
        os.kill(next(r["pid"] for r in pids if r["name"] == "client-resilient"), signal.SIGKILL)
        assert stack.owner.popen.wait(timeout=30) == ExitCode.INFRASTRUCTURE
    assert "client-resilient exited with code -9 while the stack was up" in (
        stack.owner.log_path.read_text()
    )


def test_up_with_a_missing_client_file_exits_2(tmp_path: Path) -> None:
    done = run_harness(tmp_path, "up", "--client", str(tmp_path / "nope.yaml"))
    one_line_error(done, ExitCode.USAGE, "nope.yaml")
    assert not (tmp_path / "stack.json").exists()


def test_up_with_a_client_it_cannot_start_exits_2_before_starting_anything(tmp_path: Path) -> None:
    running_already = tmp_path / "ours.yaml"
    running_already.write_text("name: ours\nport: 18080\n")
    done = run_harness(tmp_path, "up", "--client", str(running_already))
    one_line_error(done, ExitCode.USAGE, "the client file has no command")
    assert not (tmp_path / "stack.pids.json").exists()
