"""The adapter against the real server: typed errors, busy ports, reset, and the library's gaps."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import ExitCode, PortBusyError, UnsafeTargetError
from harness.net import free_port
from harness.toxiproxy.adapter import ToxiproxyClient
from harness.toxiproxy.errors import (
    ToxiproxyConflictError,
    ToxiproxyNotFoundError,
    ToxiproxyUnavailableError,
)
from harness.toxiproxy.faults import Down, Toxic
from harness.toxiproxy.install import Provision
from harness.toxiproxy.server import toxiproxy_server

pytestmark = pytest.mark.integration


@pytest.fixture
def clean(toxiproxy: ToxiproxyClient) -> Iterator[ToxiproxyClient]:
    yield toxiproxy
    toxiproxy.clear()


@pytest.fixture
def held_port() -> Iterator[int]:
    """A loopback port that something else is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _upstream(upstream_url: str) -> str:
    return upstream_url.removeprefix("http://")


def test_busy_listen_port_names_the_port(
    clean: ToxiproxyClient, upstream_url: str, held_port: int
) -> None:
    with pytest.raises(PortBusyError) as caught:
        clean.create_proxy(
            "busy", listen=f"127.0.0.1:{held_port}", upstream=_upstream(upstream_url)
        )
    assert caught.value.port == held_port
    assert f"port {held_port} on 127.0.0.1" in str(caught.value)
    assert caught.value.exit_code is ExitCode.INFRASTRUCTURE
    assert clean.proxies() == ()


def test_enable_on_a_port_taken_meanwhile_names_the_port(
    clean: ToxiproxyClient, upstream_url: str
) -> None:
    port = free_port()
    clean.create_proxy("flaky", listen=f"127.0.0.1:{port}", upstream=_upstream(upstream_url))
    clean.apply("flaky", Down())  # the proxy stops listening, so the port is free for others
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(PortBusyError, match=f"port {port} "):
            clean.enable("flaky")
    clean.enable("flaky")
    assert clean.get_proxy("flaky").enabled


def test_busy_api_port_names_the_port(
    held_port: int, tmp_path: Path, toxiproxy_binary: Provision
) -> None:
    with (
        pytest.raises(PortBusyError, match=f"port {held_port} on 127.0.0.1 for the toxiproxy API"),
        toxiproxy_server(port=held_port, state_dir=tmp_path, provision=toxiproxy_binary),
    ):
        pass


def test_conflicts_and_missing_things_are_typed(clean: ToxiproxyClient, upstream_url: str) -> None:
    listen = f"127.0.0.1:{free_port()}"
    clean.create_proxy("one", listen=listen, upstream=_upstream(upstream_url))
    with pytest.raises(ToxiproxyConflictError, match="proxy already exists"):
        clean.create_proxy("one", listen=f"127.0.0.1:{free_port()}", upstream="127.0.0.1:1")
    latency = Toxic.build("latency", {"latency": 5})
    clean.add_toxic("one", latency)
    with pytest.raises(ToxiproxyConflictError, match="toxic already exists"):
        clean.add_toxic("one", latency)
    with pytest.raises(ToxiproxyNotFoundError, match="no proxy named 'two'"):
        clean.add_toxic("two", latency)
    with pytest.raises(ToxiproxyNotFoundError):
        clean.get_proxy("two")
    with pytest.raises(ToxiproxyNotFoundError):
        clean.remove_toxic("one", "nothing_here")
    with pytest.raises(ToxiproxyNotFoundError, match="no toxic 'nothing_here'"):
        clean.update_toxic("one", "nothing_here", attributes={"latency": 1})


def test_reset_removes_toxics_and_enables_proxies(
    clean: ToxiproxyClient, upstream_url: str
) -> None:
    for name in ("a", "b"):
        clean.create_proxy(
            name, listen=f"127.0.0.1:{free_port()}", upstream=_upstream(upstream_url)
        )
        clean.apply(name, Toxic.build("bandwidth", {"rate": 1}))
        clean.apply(name, Down())
    clean.reset()
    states = clean.proxies()
    assert [s.name for s in states] == ["a", "b"]
    assert all(s.enabled and s.toxics == () for s in states)
    clean.clear()
    assert clean.proxies() == ()


def test_two_servers_in_one_process_never_cross(
    clean: ToxiproxyClient, tmp_path: Path, toxiproxy_binary: Provision
) -> None:
    """toxiproxy-python keeps host/port on a class; the adapter binds them per call."""
    port = free_port()
    with toxiproxy_server(port=port, state_dir=tmp_path, provision=toxiproxy_binary) as other:
        clean.create_proxy("here", listen=f"127.0.0.1:{free_port()}", upstream="127.0.0.1:1")
        other.create_proxy("there", listen=f"127.0.0.1:{free_port()}", upstream="127.0.0.1:1")
        clean.add_toxic("here", Toxic.build("latency", {"latency": 1}))
        other.add_toxic("there", Toxic.build("slow_close", {"delay": 2}))
        assert [t.type for t in clean.toxics("here")] == ["latency"]
        assert [t.type for t in other.toxics("there")] == ["slow_close"]
        assert [p.name for p in clean.proxies()] == ["here"]
        assert [p.name for p in other.proxies()] == ["there"]
        with pytest.raises(ToxiproxyNotFoundError):
            other.toxics("here")


def test_a_server_that_never_answers_times_out() -> None:
    """toxiproxy-python has no timeouts; the adapter bounds every call anyway."""
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with ToxiproxyClient(f"http://127.0.0.1:{port}", timeout=0.5) as client:
            with pytest.raises(ToxiproxyUnavailableError, match="did not list the toxics"):
                client.toxics("anything")  # through the library
            with pytest.raises(ToxiproxyUnavailableError, match="did not report its version"):
                client.version()  # through httpx
            assert not client.is_ready()


def test_nothing_listening_is_unavailable() -> None:
    with ToxiproxyClient(f"http://127.0.0.1:{free_port()}", timeout=2) as client:
        with pytest.raises(ToxiproxyUnavailableError, match="cannot reach toxiproxy"):
            client.proxies()
        with pytest.raises(ToxiproxyUnavailableError, match="cannot reach toxiproxy"):
            client.disable("x")


def test_only_loopback_is_touched(clean: ToxiproxyClient) -> None:
    with pytest.raises(UnsafeTargetError, match=r"10\.1\.2\.3"):
        ToxiproxyClient("http://10.1.2.3:8474")
    with pytest.raises(UnsafeTargetError, match=r"example\.com"):
        clean.create_proxy("out", listen=f"127.0.0.1:{free_port()}", upstream="example.com:80")
