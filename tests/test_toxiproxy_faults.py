"""Every network fault, observed the way a real HTTP client sees it through the real toxiproxy.

The upstream is a real uvicorn server (tests/upstream_app.py); the proxy is the real toxiproxy
server from the session fixture. Timing bounds are one-sided or generous on purpose: the machine
is shared and noisy, so we assert "at least the configured delay", never "about".
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from harness.net import free_port
from harness.toxiproxy.adapter import ProxyState, ToxiproxyClient
from harness.toxiproxy.errors import InvalidFaultError
from harness.toxiproxy.faults import Down, Toxic
from tests.upstream_app import body_of

pytestmark = pytest.mark.integration

GENEROUS = 5.0  # seconds of slack on an upper bound: only a hang should ever exceed it


@pytest.fixture
def proxy(toxiproxy: ToxiproxyClient, upstream_url: str) -> Iterator[ProxyState]:
    """A proxy in front of the upstream for one test; the server must be clean afterwards."""
    listen = f"127.0.0.1:{free_port()}"
    upstream = upstream_url.removeprefix("http://")
    with toxiproxy.proxy("upstream", listen=listen, upstream=upstream) as state:
        yield state
    assert toxiproxy.proxies() == ()


def get(url: str, *, timeout: float = 10.0) -> tuple[float, httpx.Response]:
    """One GET on a fresh connection; returns (seconds taken, response with its body read)."""
    started = time.monotonic()
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        response = client.get(url)
    return time.monotonic() - started, response


class Download:
    """A streamed GET that keeps what arrived even when the transfer breaks off."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.status = 0
        self.headers = httpx.Headers()
        self.body = bytearray()

    def run(self) -> None:
        with (
            httpx.Client(timeout=10, trust_env=False) as client,
            client.stream("GET", self.url) as response,
        ):
            self.status, self.headers = response.status_code, response.headers
            for chunk in response.iter_raw():
                self.body += chunk


def assert_served_normally(proxy: ProxyState, toxiproxy: ToxiproxyClient) -> None:
    _, response = get(f"{proxy.url}/bytes/5000")
    assert response.status_code == 200
    assert response.content == body_of(5000)
    state = toxiproxy.get_proxy(proxy.name)
    assert state.enabled
    assert state.toxics == ()


def test_latency_adds_at_least_the_configured_delay(
    toxiproxy: ToxiproxyClient, proxy: ProxyState
) -> None:
    with toxiproxy.fault(proxy.name, Toxic.build("latency", {"latency": 400})):
        elapsed, response = get(f"{proxy.url}/hello")
    assert response.text == "hello"
    assert 0.4 <= elapsed < 0.4 + GENEROUS
    assert_served_normally(proxy, toxiproxy)


def test_latency_on_the_upstream_stream_delays_requests(
    toxiproxy: ToxiproxyClient, proxy: ProxyState
) -> None:
    fault = Toxic.build("latency", {"latency": 300}, stream="upstream")
    with toxiproxy.fault(proxy.name, fault):
        assert toxiproxy.get_proxy(proxy.name).toxics[0].stream == "upstream"
        elapsed, response = get(f"{proxy.url}/hello")
    assert response.text == "hello"
    assert 0.3 <= elapsed < 0.3 + GENEROUS


def test_down_refuses_connections(toxiproxy: ToxiproxyClient, proxy: ProxyState) -> None:
    with toxiproxy.fault(proxy.name, Down()):
        assert not toxiproxy.get_proxy(proxy.name).enabled
        with pytest.raises(httpx.ConnectError) as caught:
            get(f"{proxy.url}/hello")
        assert isinstance(_root_cause(caught.value), ConnectionRefusedError)
    assert_served_normally(proxy, toxiproxy)


def test_limit_data_truncates_the_body(toxiproxy: ToxiproxyClient, proxy: ProxyState) -> None:
    download = Download(f"{proxy.url}/bytes/16000")
    with (
        toxiproxy.fault(proxy.name, Toxic.build("limit_data", {"bytes": 2000})),
        pytest.raises(httpx.RemoteProtocolError, match="without sending complete"),
    ):
        download.run()
    assert download.status == 200
    assert download.headers["content-length"] == "16000"
    assert 0 < len(download.body) < 2000
    assert bytes(download.body) == body_of(16000)[: len(download.body)]
    assert_served_normally(proxy, toxiproxy)


def test_reset_peer_resets_the_connection(toxiproxy: ToxiproxyClient, proxy: ProxyState) -> None:
    with toxiproxy.fault(proxy.name, Toxic.build("reset_peer", {"timeout": 300})):
        started = time.monotonic()
        with pytest.raises(httpx.ReadError) as caught:
            get(f"{proxy.url}/hello")
        elapsed = time.monotonic() - started
    assert isinstance(_root_cause(caught.value), ConnectionResetError)
    assert 0.3 <= elapsed < 0.3 + GENEROUS
    assert_served_normally(proxy, toxiproxy)


def test_timeout_hangs_then_closes(toxiproxy: ToxiproxyClient, proxy: ProxyState) -> None:
    with toxiproxy.fault(proxy.name, Toxic.build("timeout", {"timeout": 500})):
        started = time.monotonic()
        # The client would wait 10 s; the close after 0.5 s comes from the toxic.
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            get(f"{proxy.url}/hello", timeout=10.0)
        elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 0.5 + GENEROUS
    assert_served_normally(proxy, toxiproxy)


def test_timeout_zero_hangs_until_the_client_gives_up(
    toxiproxy: ToxiproxyClient, proxy: ProxyState
) -> None:
    with (
        toxiproxy.fault(proxy.name, Toxic.build("timeout", {"timeout": 0})),
        pytest.raises(httpx.ReadTimeout),
    ):
        get(f"{proxy.url}/hello", timeout=0.5)
    assert_served_normally(proxy, toxiproxy)


def test_bandwidth_slows_the_transfer(toxiproxy: ToxiproxyClient, proxy: ProxyState) -> None:
    size, rate_kb = 16_000, 16  # 16 KB at 16 KB/s: about a second
    with toxiproxy.fault(proxy.name, Toxic.build("bandwidth", {"rate": rate_kb})):
        elapsed, response = get(f"{proxy.url}/bytes/{size}")
    assert response.content == body_of(size)
    minimum = 0.8 * size / (rate_kb * 1000)
    assert minimum <= elapsed < size / (rate_kb * 1000) + GENEROUS
    assert_served_normally(proxy, toxiproxy)


def test_slicer_delivers_the_body_intact_in_delayed_slices(
    toxiproxy: ToxiproxyClient, proxy: ProxyState
) -> None:
    size = 10_000
    fault = Toxic.build("slicer", {"average_size": 500, "delay": 20_000})  # 20 slices, 20 ms apart
    with toxiproxy.fault(proxy.name, fault):
        elapsed, response = get(f"{proxy.url}/bytes/{size}")
    assert response.content == body_of(size)
    assert elapsed >= 0.8 * (size // 500 - 1) * 0.020


def test_slow_close_delays_the_close(toxiproxy: ToxiproxyClient, proxy: ProxyState) -> None:
    request = b"GET /hello HTTP/1.1\r\nHost: upstream\r\nConnection: close\r\n\r\n"
    with (
        toxiproxy.fault(proxy.name, Toxic.build("slow_close", {"delay": 500})),
        socket.create_connection(("127.0.0.1", proxy.listen_port), timeout=10) as sock,
    ):
        started = time.monotonic()
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):  # until the proxy closes: EOF
            answer += chunk
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"hello")
    assert 0.5 <= elapsed < 0.5 + GENEROUS


def test_toxicity_decides_which_connections_are_affected(
    toxiproxy: ToxiproxyClient, proxy: ProxyState
) -> None:
    hang = Toxic.build("timeout", {"timeout": 0}, toxicity=0.0)
    with toxiproxy.fault(proxy.name, hang):
        _, response = get(f"{proxy.url}/hello", timeout=5.0)
        assert response.text == "hello"
        toxiproxy.update_toxic(proxy.name, hang.name, toxicity=1.0)
        with pytest.raises(httpx.ReadTimeout):
            get(f"{proxy.url}/hello", timeout=0.5)


def test_update_toxic_changes_it_in_place(toxiproxy: ToxiproxyClient, proxy: ProxyState) -> None:
    with toxiproxy.fault(proxy.name, Toxic.build("latency", {"latency": 10})) as applied:
        assert isinstance(applied.fault, Toxic)
        updated = toxiproxy.update_toxic(
            proxy.name, applied.fault.name, attributes={"latency": 600}
        )
        assert updated.attributes == {"latency": 600, "jitter": 0}
        elapsed, _ = get(f"{proxy.url}/hello")
        assert elapsed >= 0.6
        with pytest.raises(InvalidFaultError, match="'rate'"):
            toxiproxy.update_toxic(proxy.name, applied.fault.name, attributes={"rate": 1})
    assert_served_normally(proxy, toxiproxy)


@pytest.mark.parametrize(
    "fault",
    [Down(), Toxic.build("timeout", {"timeout": 0}), Toxic.build("reset_peer", {"timeout": 0})],
    ids=["down", "timeout", "reset_peer"],
)
def test_a_fault_is_removed_even_when_the_block_fails(
    toxiproxy: ToxiproxyClient, proxy: ProxyState, fault: Down | Toxic
) -> None:

    def failing_block() -> None:
        with toxiproxy.fault(proxy.name, fault):
            with pytest.raises(httpx.TransportError):
                get(f"{proxy.url}/hello", timeout=0.5)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_block()
    assert_served_normally(proxy, toxiproxy)


def test_heal_removes_every_fault_of_a_proxy(toxiproxy: ToxiproxyClient, proxy: ProxyState) -> None:
    toxiproxy.apply(proxy.name, Toxic.build("latency", {"latency": 1000}))
    toxiproxy.apply(proxy.name, Toxic.build("limit_data", {"bytes": 10}, stream="upstream"))
    toxiproxy.apply(proxy.name, Down())
    healed = toxiproxy.heal(proxy.name)
    assert sorted(healed) == [
        "down",
        "latency (latency_downstream)",
        "limit_data (limit_data_upstream)",
    ]
    assert_served_normally(proxy, toxiproxy)


def _root_cause(exc: BaseException) -> BaseException:
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return exc
