"""A stack over HTTPS (stack.tls): real mocks serving TLS behind the real toxiproxy.

A real client library from PyPI (requests) calls a mock through its proxy and verifies the
mock's certificate against the stack's CA, as a hospital's client verifies BPJS; one that trusts
only the system's store, or another stack's CA, is refused. Toxiproxy passes the TLS bytes
through, so a latency toxic slows the handshake itself and reset_peer breaks it. The harness's
own calls (readiness after a restart, the admin API, the ledger) verify against the CA too.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.faults import HttpErrorFault, LatencyToxic, ResetPeerToxic, RestartFault
from harness.net import free_ports
from harness.process import Supervisor
from harness.scenario.types import ServiceName
from harness.stack import tls
from harness.stack.running import RunningStack, running_stack
from harness.stack.topology import Topology
from harness.toxiproxy.install import Provision

pytestmark = pytest.mark.integration

ERM = ServiceName.ERM
METADATA = "/fhir-r4/v1/metadata"  # the ERM route that needs no token
LATENCY_MS = 400


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, toxiproxy_binary: Provision
) -> Iterator[RunningStack]:
    """Toxiproxy and the ERM mock over HTTPS, with a CA of the module's own."""
    work = tmp_path_factory.mktemp("tls-stack")
    topology = Topology.on_ports(
        free_ports(3), [ERM], seed=1, db_dir=work / "db", tls=tls.issue(work / "tls")
    )
    with (
        Supervisor(log_dir=work / "logs") as supervisor,
        running_stack(supervisor, topology, provision=toxiproxy_binary) as running,
    ):
        yield running


@pytest.fixture
def healed(stack: RunningStack) -> Iterator[RunningStack]:
    yield stack
    stack.heal()


def ca_of(stack: RunningStack) -> str:
    assert stack.ca_bundle is not None
    return str(stack.ca_bundle)


def handshake_s(port: int, context: ssl.SSLContext) -> float:
    """Seconds from a connected socket to a completed TLS handshake (certificate verified)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        started = time.monotonic()
        with context.wrap_socket(raw, server_hostname="127.0.0.1"):
            return time.monotonic() - started


def test_requests_verifies_the_mock_through_its_proxy_against_the_stacks_ca(
    stack: RunningStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = stack.ports("erm")
    assert ports.proxy_url.startswith("https://127.0.0.1:")
    assert ports.direct_url.startswith("https://127.0.0.1:")
    url = ports.proxy_url + METADATA

    answer = requests.get(url, verify=ca_of(stack), timeout=10)
    assert answer.status_code == 200
    assert answer.json()["resourceType"] == "CapabilityStatement"

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_of(stack))  # as a client's deployment sets it
    assert requests.get(url, timeout=10).status_code == 200
    localhost = url.replace("127.0.0.1", "localhost")  # the certificate names both
    assert requests.get(localhost, timeout=10).status_code == 200


def test_a_client_that_does_not_trust_the_ca_is_refused(
    stack: RunningStack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    url = stack.ports("erm").proxy_url + METADATA

    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.get(url, timeout=10)  # the system's trust store (certifi's)
    another_run = tls.issue(tmp_path / "another-run")
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.get(url, verify=str(another_run.ca_bundle), timeout=10)


def test_a_latency_toxic_slows_the_handshake_and_reset_peer_breaks_it(
    healed: RunningStack,
) -> None:
    stack = healed
    port = stack.ports("erm").proxy_port
    context = tls.TlsFiles.of_ca_bundle(ca_of(stack)).ssl_context()
    plain = min(handshake_s(port, context) for _ in range(3))

    with stack.fault(ERM, LatencyToxic(kind="latency", latency=LATENCY_MS)):
        slowed = handshake_s(port, context)
        answer = requests.get(stack.ports("erm").proxy_url + METADATA, verify=ca_of(stack))
        assert answer.status_code == 200  # slow, but whole: the bytes pass through untouched
    # The server's hello crosses the proxy once in a TLS 1.3 handshake: delayed by the toxic.
    assert slowed > 5 * plain, (slowed, plain)

    with (
        stack.fault(ERM, ResetPeerToxic(kind="reset_peer", timeout=0)),
        pytest.raises((ssl.SSLError, ConnectionResetError, ConnectionAbortedError)),
    ):
        handshake_s(port, context)
    assert handshake_s(port, context) < slowed  # healed: no toxic left on the handshake


def test_the_harness_reaches_the_admin_api_ledger_and_restarted_mock_over_https(
    healed: RunningStack,
) -> None:
    stack = healed
    url = stack.ports("erm").proxy_url + METADATA

    with stack.fault(ERM, HttpErrorFault(kind="http_error", status=503)):
        assert [f.kind for f in stack.app_faults(ERM)] == ["http_error"]
        assert requests.get(url, verify=ca_of(stack), timeout=10).status_code == 503
    assert stack.ledger().records == ()
    restarted = stack.apply(ERM, RestartFault(kind="restart"))  # readiness verified over TLS
    assert restarted.back_after_s is not None
    assert requests.get(url, verify=ca_of(stack), timeout=10).status_code == 200
