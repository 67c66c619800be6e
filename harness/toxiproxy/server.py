"""The toxiproxy server's lifecycle: start on 127.0.0.1, wait until ready, reset, stop at exit.

The server runs under a harness.process.Supervisor, so it is stopped whenever the owner's `with`
block ends; with the supervisor's state file, a run killed with `kill -9` leaves pids behind that
the next run reaps before it starts. Whatever server is used (started here or given by
TOXIPROXY_URL), it is cleared at start: proxies and toxics a crashed earlier run left are removed.

    with toxiproxy_server(port=free_port(), state_dir=Path(".state")) as toxiproxy:
        toxiproxy.create_proxy("bpjs", listen="127.0.0.1:18201", upstream="127.0.0.1:18101")
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from harness.errors import PortBusyError
from harness.net import LOOPBACK_HOST, port_is_free
from harness.process import ProcessSpec, Supervisor, wait_until
from harness.toxiproxy.adapter import ToxiproxyClient
from harness.toxiproxy.install import Provision, require

SERVER_PROCESS_NAME = "toxiproxy-server"
# A port held by an orphan that was just reaped is released a moment after SIGKILL.
_PORT_RELEASE_GRACE = 3.0


def server_arguments(*, port: int, host: str = LOOPBACK_HOST) -> list[str]:
    """The flags toxiproxy-server gets: its API on `host`:`port`.

    The harness always serves on 127.0.0.1 (never `localhost`, which may resolve to ::1 while
    clients dial 127.0.0.1); a container's toxiproxy listens on all of its own interfaces, its
    ports published on the host's loopback (compose.yaml).
    """
    return ["-host", host, "-port", str(port)]


def start_server(
    supervisor: Supervisor,
    *,
    binary: Path,
    port: int,
    ready_timeout: float = 15.0,
) -> ToxiproxyClient:
    """Start toxiproxy-server on 127.0.0.1:`port` under `supervisor`; return a cleared client.

    The caller closes the client; the supervisor stops the server.
    """
    try:
        wait_until(
            lambda: port_is_free(port),
            timeout=_PORT_RELEASE_GRACE,
            what=f"port {port} to be free",
        )
    except TimeoutError:
        raise PortBusyError(LOOPBACK_HOST, port, what="the toxiproxy API") from None
    client = ToxiproxyClient(f"http://{LOOPBACK_HOST}:{port}")
    spec = ProcessSpec(
        name=SERVER_PROCESS_NAME,
        argv=[str(binary), *server_arguments(port=port)],
        ready=client.is_ready,
        ready_timeout=ready_timeout,
    )
    try:
        supervisor.start(spec)
        client.clear()
    except BaseException:
        client.close()
        raise
    return client


def connect_running(url: str, *, ready_timeout: float = 10.0) -> ToxiproxyClient:
    """A client for a server that runs already (TOXIPROXY_URL), cleared like a fresh one."""
    client = ToxiproxyClient(url)
    try:
        client.wait_ready(timeout=ready_timeout)
        client.clear()
    except BaseException:
        client.close()
        raise
    return client


def start_or_connect(
    supervisor: Supervisor,
    *,
    port: int,
    provision: Provision | None = None,
    env: Mapping[str, str] = os.environ,
) -> ToxiproxyClient:
    """Use TOXIPROXY_URL if set, otherwise start the located binary under `supervisor`."""
    provision = provision or require(env=env)
    if provision.url is not None:
        return connect_running(provision.url)
    assert provision.server is not None  # a Provision has a url or a server
    return start_server(supervisor, binary=provision.server, port=port)


@contextlib.contextmanager
def toxiproxy_server(
    *,
    port: int,
    state_dir: Path,
    provision: Provision | None = None,
    env: Mapping[str, str] = os.environ,
) -> Iterator[ToxiproxyClient]:
    """A toxiproxy for one run, cleared at start and at exit, its server stopped at exit.

    Its pids go to `state_dir/toxiproxy.pids.json`; a later call with the same state_dir reaps
    a server that a killed run left behind before it starts its own.
    """
    with Supervisor(
        log_dir=state_dir / "logs", state_file=state_dir / "toxiproxy.pids.json"
    ) as sup:
        client = start_or_connect(sup, port=port, provision=provision, env=env)
        try:
            yield client
        finally:
            try:
                if not sup.processes:  # not ours (TOXIPROXY_URL): it outlives us, leave it clean
                    client.clear()
            finally:
                client.close()
