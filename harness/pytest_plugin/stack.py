"""The session stack: toxiproxy, the mocks and one proxy each, started once per test session.

Every port is a free loopback port, so parallel sessions (pytest-xdist workers, two developers
on one machine, `harness up` alongside) never clash. The plugin always starts its own toxiproxy
server, even when TOXIPROXY_URL names a running one: proxies are named after their service, and
two sessions sharing one server would fault each other's proxies.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import paths
from harness.errors import UsageError
from harness.net import free_ports
from harness.process import (
    Supervisor,
    owner_state_file,
    reap_abandoned,
)
from harness.runner.signals import interruptible
from harness.scenario.types import ServiceName
from harness.stack import tls as stack_tls
from harness.stack.running import RunningStack, running_stack
from harness.stack.topology import ServicePorts, Topology, service_name
from harness.toxiproxy.install import require
from service_contract.credentials import (
    BPJS_CONS_ID,
    BPJS_SECRET,
    BPJS_USER_KEY,
    ERM_CLIENT_ID,
    ERM_CLIENT_SECRET,
)

if TYPE_CHECKING:
    from mock_services.common.dataset import Dataset

STATE_PREFIX = "pytest"


@dataclass(frozen=True, kw_only=True)
class BpjsAccess:
    """Where and how to call the BPJS mock (through its proxy), with its credentials."""

    url: str
    cons_id: str
    secret: str
    user_key: str

    @property
    def vclaim_url(self) -> str:
        return f"{self.url}/vclaim-rest"

    @property
    def antrean_url(self) -> str:
        return f"{self.url}/antreanrs"


@dataclass(frozen=True, kw_only=True)
class ErmAccess:
    """Where and how to call the ERM mock (through its proxy), with its OAuth2 client."""

    url: str
    client_id: str
    client_secret: str


class Stack:
    """What tests see of the session stack: URLs, credentials, the seed and the dataset.

    Clients under test use `url(service)`, the proxy, which is where faults happen;
    `direct_url(service)` reaches the mock itself (its admin API and ledgers), never faulted.
    With `--harness-tls` both are https:// and a client must trust `ca_bundle`.
    """

    def __init__(self, running: RunningStack) -> None:
        self._running = running
        self._ports: Mapping[ServiceName, ServicePorts] = {
            s.service: s for s in running.topology.services
        }
        self.seed = running.topology.seed
        self.toxiproxy_url = running.toxiproxy.url
        self.ca_bundle: Path | None = running.ca_bundle
        """With TLS: the CA certificate (PEM) the mocks' certificate verifies against; else None.
        E.g. `requests.get(url, verify=str(stack.ca_bundle))` or REQUESTS_CA_BUNDLE."""

    def __repr__(self) -> str:
        urls = ", ".join(f"{s}={p.proxy_url}" for s, p in self._ports.items())
        return f"Stack(seed={self.seed}, {urls})"

    @property
    def services(self) -> tuple[ServiceName, ...]:
        return tuple(self._ports)

    def url(self, service: str) -> str:
        """The proxy URL of `service`: what a client under test must use."""
        return self.ports(service).proxy_url

    def direct_url(self, service: str) -> str:
        """The mock itself, bypassing toxiproxy: for admin calls and ledgers, never for clients."""
        return self.ports(service).direct_url

    def ports(self, service: str) -> ServicePorts:
        name = service_name(service)
        if name not in self._ports:
            started = ", ".join(self._ports)
            raise UsageError(
                f"the session stack has no {name} mock (started: {started}); add it with "
                "--harness-services, HARNESS_SERVICES or the ini key harness_services"
            )
        return self._ports[name]

    @property
    def bpjs(self) -> BpjsAccess:
        return BpjsAccess(
            url=self.url("bpjs"), cons_id=BPJS_CONS_ID, secret=BPJS_SECRET, user_key=BPJS_USER_KEY
        )

    @property
    def erm(self) -> ErmAccess:
        return ErmAccess(
            url=self.url("erm"), client_id=ERM_CLIENT_ID, client_secret=ERM_CLIENT_SECRET
        )

    @property
    def patient_app_url(self) -> str:
        return self.url("patient-app")

    @cached_property
    def dataset(self) -> Dataset:
        """The seeded dataset the mocks serve: patients, polyclinics, doctors, schedules."""
        from mock_services.common.dataset import generate  # imported only when a test asks

        return generate(self.seed)

    def ledger(self, service: str, **filters: str) -> dict[str, Any]:
        """What the mock recorded (GET /__admin/ledger): the ERM's visits, the patient app's
        bookings and declarations; `filters` (e.g. nik=..., tanggal=..., kodepoli=...) narrow it."""
        self.ports(service)
        return self._running.admin_json(service, "ledger", **filters)

    def stats(self, service: str) -> dict[str, Any]:
        """Requests per "METHOD /route/template" (faulted ones included) and each fault's fired
        count (GET /__admin/stats)."""
        self.ports(service)
        return self._running.stats(service).model_dump(mode="json")

    def env(self) -> dict[str, str]:
        """The environment a client reads its upstreams from (as examples/reference_client);
        with TLS, CA_BUNDLE is the CA to trust."""
        values = {
            "BPJS_CONS_ID": BPJS_CONS_ID,
            "BPJS_SECRET": BPJS_SECRET,
            "BPJS_USER_KEY": BPJS_USER_KEY,
            "ERM_CLIENT_ID": ERM_CLIENT_ID,
            "ERM_CLIENT_SECRET": ERM_CLIENT_SECRET,
        }
        for service in self._ports:
            values[f"{service.upper().replace('-', '_')}_URL"] = self.url(service)
        if self.ca_bundle is not None:
            values["CA_BUNDLE"] = str(self.ca_bundle)
        return values


@dataclass(frozen=True, kw_only=True)
class SessionClient:
    """The client under test the `harness_client` fixture started on the session stack."""

    name: str
    base_url: str
    work_dir: Path

    def url(self, path: str = "") -> str:
        """base_url + path, e.g. client.url("/registrations")."""
        return self.base_url.rstrip("/") + path


class SessionStack:
    """The session's RunningStack (every fault goes through it), its test-facing view, its logs,
    and the Supervisor that owns its processes."""

    def __init__(self, running: RunningStack, *, log_dir: Path, supervisor: Supervisor) -> None:
        self.running = running
        self.log_dir = log_dir
        self.supervisor = supervisor
        self.stack = Stack(running)

    def start_client(
        self, path: Path, *, work_dir: Path, allowed_hosts: tuple[str, ...] = ()
    ) -> SessionClient:
        """Start the client of client file `path` wired to this stack's proxies; one with a
        command becomes the target `client` of chaos.fault. Stopped with the stack."""
        from harness.runner.client import start_client_file

        definition, running = start_client_file(
            self.supervisor,
            self.running,
            path,
            work_dir=work_dir,
            allowed_hosts=allowed_hosts,
        )
        return SessionClient(name=definition.name, base_url=running.base_url, work_dir=work_dir)


@contextlib.contextmanager
def session_stack(
    *, seed: int, services: tuple[ServiceName, ...], work_dir: Path, tls: bool = False
) -> Iterator[SessionStack]:
    """Start the stack (with `tls`, mocks over HTTPS with a CA of the session's own, in
    work_dir/tls); stop it at the end, on failure, Ctrl-C or SIGTERM (kill -9: the next session
    reaps what this one left, by its state file)."""
    provision = require(env={k: v for k, v in os.environ.items() if k != "TOXIPROXY_URL"})
    state_dir = paths.state_dir()
    reap_abandoned(state_dir, STATE_PREFIX)
    ports = free_ports(1 + 2 * len(services))
    topology = Topology.on_ports(
        ports,
        services,
        seed=seed,
        db_dir=work_dir / "db",
        tls=stack_tls.issue(work_dir / "tls") if tls else None,
    )
    log_dir = work_dir / "logs"
    with (
        _interruptible_if_main_thread(),
        Supervisor(log_dir=log_dir, state_file=owner_state_file(state_dir, STATE_PREFIX)) as sup,
        running_stack(sup, topology, provision=provision) as running,
    ):
        yield SessionStack(running, log_dir=log_dir, supervisor=sup)


def _interruptible_if_main_thread() -> contextlib.AbstractContextManager[None]:
    """SIGTERM unwinds like Ctrl-C; signal handlers can only be set from the main thread."""
    if threading.current_thread() is threading.main_thread():
        return interruptible()
    return contextlib.nullcontext()
