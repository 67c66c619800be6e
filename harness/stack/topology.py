"""The stack: toxiproxy, the three mocks, and one proxy per mock, on documented loopback ports.

    client under test --> 127.0.0.1:18201 (proxy "bpjs")        --> 127.0.0.1:18101 (BPJS mock)
                      --> 127.0.0.1:18202 (proxy "erm")         --> 127.0.0.1:18102 (ERM mock)
                      --> 127.0.0.1:18203 (proxy "patient-app") --> 127.0.0.1:18103 (patient app)
    toxiproxy API on 127.0.0.1:8474 (toxiproxy's own default)

A client talks to the proxy ports; the harness faults the network in toxiproxy and the apps
through each mock's admin API on its direct port. The 18xxx ranges keep clear of the usual
development ports (8000, 8080, 8081, 9000) and of the ephemeral range where free_port() draws.

With TLS (`Topology.tls`) every mock serves HTTPS with a certificate from the stack's own CA;
toxiproxy passes the TLS bytes through untouched, so both URLs of a service are https:// and
network faults hit the handshake too.

`mock_arguments` and `proxy_route` are each mock's command line and each proxy as values: what
`start_stack` uses, and what the container stack (Dockerfile, compose.yaml) is held to by
tests/test_container_files.py.
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Final

from harness.errors import PortBusyError, UsageError
from harness.net import LOOPBACK_HOST, is_loopback, port_is_free
from harness.process import ProcessSpec, Supervisor, http_ready
from harness.scenario.types import ServiceName
from harness.stack.tls import TlsFiles
from harness.toxiproxy.adapter import DEFAULT_API_PORT, ToxiproxyClient
from harness.toxiproxy.install import Provision
from harness.toxiproxy.server import start_or_connect

DEFAULT_SEED: Final = 1
MOCK_MODULE: Final = "mock_services"  # `python -m mock_services <service> ...` starts a mock
DEFAULT_MOCK_PORTS: Final[Mapping[ServiceName, int]] = {
    ServiceName.BPJS: 18101,
    ServiceName.ERM: 18102,
    ServiceName.PATIENT_APP: 18103,
}
DEFAULT_PROXY_PORTS: Final[Mapping[ServiceName, int]] = {
    ServiceName.BPJS: 18201,
    ServiceName.ERM: 18202,
    ServiceName.PATIENT_APP: 18203,
}


def service_name(raw: str) -> ServiceName:
    """The service called `raw`, or a usage error listing the services there are."""
    try:
        return ServiceName(raw)
    except ValueError:
        names = ", ".join(s.value for s in ServiceName)
        raise UsageError(f"unknown service {raw!r}; choose one of: {names}") from None


@dataclass(frozen=True, kw_only=True)
class ServicePorts:
    """Where one mock listens (direct) and where its proxy listens (what clients use)."""

    service: ServiceName
    mock_port: int
    proxy_port: int
    tls: bool = False  # set by the Topology: every mock of a stack serves HTTPS, or none

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def direct_url(self) -> str:
        return f"{self.scheme}://{LOOPBACK_HOST}:{self.mock_port}"

    @property
    def proxy_url(self) -> str:
        return f"{self.scheme}://{LOOPBACK_HOST}:{self.proxy_port}"

    @property
    def health_url(self) -> str:
        """The mock's health answer: it is ready when this answers."""
        return f"{self.direct_url}/__admin/health"


def _default_services() -> tuple[ServicePorts, ...]:
    return tuple(
        ServicePorts(service=s, mock_port=DEFAULT_MOCK_PORTS[s], proxy_port=DEFAULT_PROXY_PORTS[s])
        for s in ServiceName
    )


@dataclass(frozen=True, kw_only=True)
class Topology:
    """What `harness up` starts: which mocks, on which ports, with which seed; with `tls`, every
    mock serves HTTPS with that certificate (its services' URLs are https://)."""

    toxiproxy_port: int = DEFAULT_API_PORT
    services: tuple[ServicePorts, ...] = field(default_factory=_default_services)
    seed: int = DEFAULT_SEED
    db_dir: Path | None = None
    tls: TlsFiles | None = None

    def __post_init__(self) -> None:
        https = self.tls is not None
        if any(s.tls != https for s in self.services):
            # frozen: the one place the services are normalised, before anyone reads them
            object.__setattr__(
                self, "services", tuple(replace(s, tls=https) for s in self.services)
            )
        names = [s.service for s in self.services]
        if not names:
            raise UsageError("the stack needs at least one service")
        if len(set(names)) != len(names):
            raise UsageError(f"a service is listed twice: {', '.join(names)}")
        ports = [port for port, _ in self.ports()]
        if len(set(ports)) != len(ports):
            raise UsageError(f"two parts of the stack share a port: {sorted(ports)}")

    def verify(self) -> ssl.SSLContext | bool:
        """What the harness's own calls to the mocks verify their certificate with: a context
        trusting the stack's CA with TLS (the system's trust store has never heard of it)."""
        return True if self.tls is None else self.tls.ssl_context()

    def ports(self) -> list[tuple[int, str]]:
        """Every port the stack listens on, with what listens there."""
        found = [(self.toxiproxy_port, "the toxiproxy API")]
        for s in self.services:
            found.append((s.mock_port, f"the {s.service} mock"))
            found.append((s.proxy_port, f"the {s.service} proxy"))
        return found

    def check_ports_free(self, *, skip: Iterable[int] = ()) -> None:
        """PortBusyError for the first port already taken, naming what it was meant for."""
        skipped = set(skip)
        for port, what in self.ports():
            if port not in skipped and not port_is_free(port):
                raise PortBusyError(LOOPBACK_HOST, port, what=what)

    @classmethod
    def on_ports(
        cls,
        ports: Sequence[int],
        services: Sequence[ServiceName],
        *,
        seed: int,
        db_dir: Path | None,
        tls: TlsFiles | None = None,
    ) -> Topology:
        """Toxiproxy on `ports[0]`, then each service's mock and proxy on the next two ports
        (as one `free_ports(1 + 2 * len(services))` batch gives them)."""
        return cls(
            toxiproxy_port=ports[0],
            services=tuple(
                ServicePorts(service=s, mock_port=ports[1 + 2 * i], proxy_port=ports[2 + 2 * i])
                for i, s in enumerate(services)
            ),
            seed=seed,
            db_dir=db_dir,
            tls=tls,
        )

    def with_services(self, names: Iterable[ServiceName]) -> Topology:
        wanted = set(names)
        return Topology(
            toxiproxy_port=self.toxiproxy_port,
            services=tuple(s for s in self.services if s.service in wanted),
            seed=self.seed,
            db_dir=self.db_dir,
            tls=self.tls,
        )


@dataclass(frozen=True, kw_only=True)
class ProxyRoute:
    """One proxy of the stack as toxiproxy knows it: named after its service, listening where
    clients connect, forwarding to the mock."""

    name: str
    listen: str
    upstream: str


def proxy_route(
    ports: ServicePorts, *, listen_host: str = LOOPBACK_HOST, upstream_host: str = LOOPBACK_HOST
) -> ProxyRoute:
    """The proxy in front of one mock. The hosts are loopback for every stack the harness
    starts; a container stack (compose.yaml) listens on all of its own interfaces and reaches
    each mock by its container's name."""
    return ProxyRoute(
        name=str(ports.service),
        listen=f"{listen_host}:{ports.proxy_port}",
        upstream=f"{upstream_host}:{ports.mock_port}",
    )


def mock_arguments(
    ports: ServicePorts,
    *,
    seed: int,
    db_dir: PurePath | None,
    tls: TlsFiles | None = None,
    host: str = LOOPBACK_HOST,
) -> list[str]:
    """What follows `python -m mock_services` to start one mock of the stack: the service, on
    its direct port, with the dataset's seed, its SQLite file in `db_dir` and, with `tls`, its
    certificate. The harness always binds loopback; a host that is not (a container's 0.0.0.0,
    whose ports are published on the host's loopback: compose.yaml) needs the mock's
    --allow-remote, or it refuses to start.

        >>> mock_arguments(ServicePorts(service=ServiceName.ERM, mock_port=18102,
        ...     proxy_port=18202), seed=1, db_dir=None)
        ['erm', '--host', '127.0.0.1', '--port', '18102', '--seed', '1']
    """
    argv = [str(ports.service), "--host", host]
    if not is_loopback(host):
        argv.append("--allow-remote")
    argv += ["--port", str(ports.mock_port), "--seed", str(seed)]
    if db_dir is not None:
        argv += ["--db", str(db_dir / f"{ports.service}.db")]
    if tls is not None:
        argv += ["--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]
    return argv


def mock_spec(
    ports: ServicePorts,
    *,
    seed: int,
    db_dir: Path | None,
    tls: TlsFiles | None = None,
    verify: ssl.SSLContext | bool = True,
) -> ProcessSpec:
    """`python -m mock_services <service>` on its direct port, ready when its health answers;
    with `tls`, serving HTTPS with its certificate (readiness verified with `verify`)."""
    arguments = mock_arguments(ports, seed=seed, db_dir=db_dir, tls=tls)
    return ProcessSpec(
        name=str(ports.service),
        argv=[sys.executable, "-m", MOCK_MODULE, *arguments],
        ready=http_ready(ports.health_url, verify=verify),
        ready_timeout=60,
    )


def start_stack(
    supervisor: Supervisor, topology: Topology, *, provision: Provision
) -> ToxiproxyClient:
    """Start toxiproxy, the mocks and their proxies under `supervisor`; return the client.

    Every port is checked first, so a busy one fails fast with its name and nothing started.
    The mocks are all started before any is waited for: each spends about a second importing,
    and one after another they made most of the cold start.
    """
    running_toxiproxy = provision.url is not None
    topology.check_ports_free(skip=[topology.toxiproxy_port] if running_toxiproxy else [])
    if topology.db_dir is not None:
        topology.db_dir.mkdir(parents=True, exist_ok=True)
    toxiproxy = start_or_connect(supervisor, port=topology.toxiproxy_port, provision=provision)
    verify = topology.verify()
    specs = [
        mock_spec(p, seed=topology.seed, db_dir=topology.db_dir, tls=topology.tls, verify=verify)
        for p in topology.services
    ]
    try:
        mocks = [supervisor.start(spec, wait=False) for spec in specs]
        for mock in mocks:
            mock.wait_ready()
        for route in map(proxy_route, topology.services):
            toxiproxy.create_proxy(route.name, listen=route.listen, upstream=route.upstream)
    except BaseException:
        toxiproxy.close()
        raise
    return toxiproxy
