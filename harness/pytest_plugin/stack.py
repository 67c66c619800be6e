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

import httpx

from harness import paths
from harness.errors import InfrastructureError, UsageError
from harness.net import free_ports
from harness.process import (
    ManagedProcess,
    Supervisor,
    owner_state_file,
    reap_abandoned,
    wait_until,
)
from harness.runner.client import (
    BPJS_CONS_ID,
    BPJS_SECRET,
    BPJS_USER_KEY,
    ERM_CLIENT_ID,
    ERM_CLIENT_SECRET,
)
from harness.runner.signals import interruptible
from harness.scenario.types import ServiceName
from harness.stack.apply import StackFaults
from harness.stack.topology import ServicePorts, Topology, service_name, start_stack
from harness.toxiproxy.adapter import ToxiproxyClient
from harness.toxiproxy.install import require

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
    """

    def __init__(self, topology: Topology, *, toxiproxy_url: str) -> None:
        self._ports: Mapping[ServiceName, ServicePorts] = {s.service: s for s in topology.services}
        self.seed = topology.seed
        self.toxiproxy_url = toxiproxy_url

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
        return self._admin(service, "ledger", filters)

    def stats(self, service: str) -> dict[str, Any]:
        """Requests per "METHOD /route/template" (faulted ones included) and each fault's fired
        count (GET /__admin/stats)."""
        return self._admin(service, "stats", {})

    def _admin(self, service: str, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        url = f"{self.direct_url(service)}/__admin/{path}"
        try:
            answer = httpx.get(url, params=dict(params), timeout=10, trust_env=False)
            answer.raise_for_status()
            body: dict[str, Any] = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise InfrastructureError(f"could not read {url}: {exc}") from exc
        return body

    def env(self) -> dict[str, str]:
        """The environment a client reads its upstreams from (as examples/reference_client)."""
        values = {
            "BPJS_CONS_ID": BPJS_CONS_ID,
            "BPJS_SECRET": BPJS_SECRET,
            "BPJS_USER_KEY": BPJS_USER_KEY,
            "ERM_CLIENT_ID": ERM_CLIENT_ID,
            "ERM_CLIENT_SECRET": ERM_CLIENT_SECRET,
        }
        for service in self._ports:
            values[f"{service.upper().replace('-', '_')}_URL"] = self.url(service)
        return values


class SessionStack:
    """The running stack and what owns it: the Supervisor, the toxiproxy client, the faults."""

    def __init__(
        self,
        *,
        supervisor: Supervisor,
        toxiproxy: ToxiproxyClient,
        topology: Topology,
        log_dir: Path,
    ) -> None:
        self.supervisor = supervisor
        self.toxiproxy = toxiproxy
        self.topology = topology
        self.log_dir = log_dir
        self.stack = Stack(topology, toxiproxy_url=toxiproxy.url)
        self.faults = StackFaults(
            toxiproxy, admin_urls={s.service: s.direct_url for s in topology.services}
        )

    def mock(self, service: ServiceName) -> ManagedProcess:
        return next(p for p in self.supervisor.processes if p.name == service.value)

    def kill(self, service: ServiceName) -> None:
        """SIGKILL the mock, and wait until it is gone (its proxy then refuses upstream)."""
        process = self.mock(service)
        process.kill()
        wait_until(lambda: not process.alive(), timeout=10, what=f"the {service} mock to die")

    def restart(self, service: ServiceName) -> None:
        """Start the mock again on its port (with its data: the SQLite files stay) and wait."""
        self.supervisor.restart(self.mock(service))

    def dead_mocks(self) -> list[ManagedProcess]:
        return [
            p
            for p in self.supervisor.processes
            if p.name in {s.value for s in self.stack.services} and not p.alive()
        ]

    def leftovers(self) -> list[str]:
        """Every fault still on the stack, and every mock that is not running, described."""
        dead = self.dead_mocks()
        found = [f"{p.name}: process: not running (exit code {p.popen.returncode})" for p in dead]
        for service in self.stack.services:
            proxy = self.toxiproxy.get_proxy(str(service))
            found += [f"{service}: network: {t.type} ({t.name})" for t in proxy.toxics]
            if not proxy.enabled:
                found.append(f"{service}: network: down (proxy disabled)")
            if not any(p.name == service.value for p in dead):
                found += [
                    f"{service}: app: {f.describe()}" for f in self.faults.admin(service).faults()
                ]
        return found

    def heal_all(self) -> None:
        """Restart dead mocks and remove every network and app fault."""
        for process in self.dead_mocks():
            self.supervisor.restart(process)
        for service in self.stack.services:
            self.faults.heal(service)


@contextlib.contextmanager
def session_stack(
    *, seed: int, services: tuple[ServiceName, ...], work_dir: Path
) -> Iterator[SessionStack]:
    """Start the stack; stop it at the end, on failure, Ctrl-C or SIGTERM (kill -9: the next
    session reaps what this one left, by its state file)."""
    provision = require(env={k: v for k, v in os.environ.items() if k != "TOXIPROXY_URL"})
    state_dir = paths.state_dir()
    reap_abandoned(state_dir, STATE_PREFIX)
    ports = free_ports(1 + 2 * len(services))
    topology = Topology.on_ports(ports, services, seed=seed, db_dir=work_dir / "db")
    log_dir = work_dir / "logs"
    with (
        _interruptible_if_main_thread(),
        Supervisor(log_dir=log_dir, state_file=owner_state_file(state_dir, STATE_PREFIX)) as sup,
        start_stack(sup, topology, provision=provision) as toxiproxy,
    ):
        running = SessionStack(
            supervisor=sup, toxiproxy=toxiproxy, topology=topology, log_dir=log_dir
        )
        with running.faults:
            yield running


def _interruptible_if_main_thread() -> contextlib.AbstractContextManager[None]:
    """SIGTERM unwinds like Ctrl-C; signal handlers can only be set from the main thread."""
    if threading.current_thread() is threading.main_thread():
        return interruptible()
    return contextlib.nullcontext()
