"""The server's lifecycle: 127.0.0.1, state file, reset at start, orphans of a killed run reaped."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

from harness.net import free_port, port_is_free
from harness.process import ProcessSpec, Supervisor, wait_until
from harness.toxiproxy.adapter import ToxiproxyClient
from harness.toxiproxy.faults import Toxic
from harness.toxiproxy.install import Provision, Source
from harness.toxiproxy.server import toxiproxy_server
from tests.process_support import kill_watchdogs_of

pytestmark = pytest.mark.integration

# A harness run that sets up a proxy with a hanging toxic, then waits to be killed.
KILLED_RUN = """
import signal, sys
from pathlib import Path
from harness.toxiproxy import Toxic, toxiproxy_server
state_dir, port, listen, upstream = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
with toxiproxy_server(port=port, state_dir=state_dir) as toxiproxy:
    toxiproxy.create_proxy("leftover", listen=listen, upstream=upstream)
    toxiproxy.apply("leftover", Toxic.build("timeout", {"timeout": 0}))
    signal.pause()
"""


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped running


def _has_leftover(url: str) -> bool:
    with ToxiproxyClient(url, timeout=1) as client:
        if not client.is_ready():
            return False
        return any(p.name == "leftover" and p.toxics for p in client.proxies())


def test_state_file_records_the_server_on_loopback(
    tmp_path: Path, toxiproxy_binary: Provision
) -> None:
    port = free_port()
    with toxiproxy_server(port=port, state_dir=tmp_path, provision=toxiproxy_binary) as toxiproxy:
        assert toxiproxy.url == f"http://127.0.0.1:{port}"
        assert toxiproxy.version()
        [record] = json.loads((tmp_path / "toxiproxy.pids.json").read_text())
        assert record["name"] == "toxiproxy-server"
        assert record["argv"][1:] == ["-host", "127.0.0.1", "-port", str(port)]
        pid = int(record["pid"])
        assert _running(pid)
    assert not (tmp_path / "toxiproxy.pids.json").exists()
    wait_until(lambda: not _running(pid), timeout=5, what="toxiproxy-server to stop")
    assert port_is_free(port)


def test_a_toxic_left_by_a_killed_run_is_gone_after_the_next_start(
    tmp_path: Path, upstream_url: str, toxiproxy_binary: Provision
) -> None:
    state_dir, api_port, listen_port = tmp_path / "state", free_port(), free_port()
    url = f"http://127.0.0.1:{api_port}"
    argv = [sys.executable, "-c", KILLED_RUN, str(state_dir), str(api_port)]
    argv += [f"127.0.0.1:{listen_port}", upstream_url.removeprefix("http://")]
    with Supervisor(log_dir=tmp_path / "logs") as sup:
        # The run finds the same binary through TOXIPROXY_SERVER, as a user could configure it.
        env = {"TOXIPROXY_URL": "", "TOXIPROXY_SERVER": str(toxiproxy_binary.server)}
        run = sup.start(
            ProcessSpec(name="killed-run", argv=argv, env=env, ready=lambda: _has_leftover(url))
        )
        [record] = json.loads((state_dir / "toxiproxy.pids.json").read_text())
        orphan = int(record["pid"])
        # kill -9 of the harness and of its watchdog (which would stop the server within a
        # second): its toxiproxy-server lives on in its own session.
        kill_watchdogs_of(run.pid)
        run.kill()
        assert _running(orphan)
        assert _has_leftover(url)
        with pytest.raises(httpx.ReadTimeout):  # the left-over toxic still hangs clients
            httpx.get(f"http://127.0.0.1:{listen_port}/hello", timeout=0.5, trust_env=False)

        with toxiproxy_server(
            port=api_port, state_dir=state_dir, provision=toxiproxy_binary
        ) as toxiproxy:
            wait_until(lambda: not _running(orphan), timeout=5, what="the orphan to be gone")
            assert toxiproxy.proxies() == ()
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"http://127.0.0.1:{listen_port}/hello", timeout=2, trust_env=False)


def test_a_running_server_is_reset_at_start_and_at_exit(
    toxiproxy: ToxiproxyClient, upstream_url: str, tmp_path: Path
) -> None:
    """TOXIPROXY_URL: a server we do not own is cleared of whatever an earlier run left."""
    listen = f"127.0.0.1:{free_port()}"
    toxiproxy.create_proxy("stale", listen=listen, upstream=upstream_url.removeprefix("http://"))
    toxiproxy.apply("stale", Toxic.build("latency", {"latency": 5000}))
    running = Provision(source=Source.RUNNING_SERVER, version="unknown", url=toxiproxy.url)
    with toxiproxy_server(port=free_port(), state_dir=tmp_path, provision=running) as client:
        assert client.url == toxiproxy.url
        assert client.proxies() == ()
        client.create_proxy("mine", listen=f"127.0.0.1:{free_port()}", upstream="127.0.0.1:1")
    assert toxiproxy.proxies() == ()
    assert not (tmp_path / "toxiproxy.pids.json").exists()  # nothing of ours was started
