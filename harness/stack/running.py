"""One running stack: toxiproxy, the mocks, their proxies, and every fault layer on them.

A scenario run, `harness up` and the pytest plugin all hold a `RunningStack`; nothing else starts
a mock or a proxy, and every fault goes through `apply` / `remove` / `heal`:

    with Supervisor(log_dir=...) as sup, running_stack(sup, topology, provision=p) as stack:
        applied = stack.apply(ServiceName.ERM, KillFault(kind="kill"))   # SIGKILL of the mock
        stack.remove(applied)                                            # started again
        with stack.fault(ServiceName.BPJS, DownFault(kind="down")):
            ...                                                          # BPJS refuses here
        stack.active()     # what is on the stack now, described
        stack.ledger()     # what the ERM and the patient app recorded, typed

Network faults go to the service's proxy in toxiproxy, app faults to the mock's admin API on its
direct port, and process faults (kill, restart) to the mock's process. Processes belong to whoever
started them: `SupervisedMocks` acts through the Supervisor of this process; the commands of a
developer's shell (`harness inject erm kill`) attach to a `harness up` in another process, and
`OwnerMocks` asks that owner to do it (harness/stack/control.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any, Final, Protocol

import httpx

from harness.errors import InfrastructureError, UsageError
from harness.faults import AnyFault, KillFault, RestartFault
from harness.process import ManagedProcess, Supervisor, wait_until
from harness.results.ledger import Ledger, parse_ledger
from harness.scenario.types import ServiceName
from harness.stack.admin import describe_app_fault
from harness.stack.apply import AppliedStackFault, StackFaults
from harness.stack.topology import ServicePorts, Topology, service_name, start_stack
from harness.toxiproxy.adapter import ToxiproxyClient
from harness.toxiproxy.install import Provision
from service_contract.admin import ActiveAppFault, Stats

LEDGER_SERVICES: Final = (ServiceName.ERM, ServiceName.PATIENT_APP)
KILL_WAIT_S: Final = 10.0


class MockProcesses(Protocol):
    """Kill and restart of the mocks' processes, by whoever owns them."""

    def kill(self, service: ServiceName) -> None: ...

    def restart(self, service: ServiceName) -> None: ...

    def down(self) -> dict[ServiceName, str]:
        """The mocks that are not running, each with why ("killed by a fault", an exit code)."""
        ...


class SupervisedMocks:
    """The mocks started by this process's Supervisor."""

    def __init__(self, supervisor: Supervisor, services: tuple[ServiceName, ...]) -> None:
        self.supervisor = supervisor
        self.services = services
        self.killed: set[ServiceName] = set()

    def process(self, service: ServiceName) -> ManagedProcess:
        for proc in self.supervisor.processes:
            if proc.name == service.value:
                return proc
        raise InfrastructureError(f"no {service} mock process in this stack")

    def kill(self, service: ServiceName) -> None:
        """SIGKILL, and wait until it is gone (its proxy then finds no upstream)."""
        process = self.process(service)
        process.kill()
        self.killed.add(service)
        wait_until(
            lambda: not process.alive(), timeout=KILL_WAIT_S, what=f"the {service} mock to die"
        )

    def restart(self, service: ServiceName) -> None:
        """Stop it if it runs, start it again on its port with its data, wait until ready."""
        self.supervisor.restart(self.process(service))
        self.killed.discard(service)

    def down(self) -> dict[ServiceName, str]:
        found: dict[ServiceName, str] = {}
        for service in self.services:
            process = self.process(service)
            if not process.alive():
                found[service] = (
                    "killed by a fault"
                    if service in self.killed
                    else f"exited with code {process.popen.returncode}"
                )
        return found

    def crashed(self) -> list[ManagedProcess]:
        """Mocks that died without a fault killing them."""
        return [self.process(s) for s in self.down() if s not in self.killed]


class RunningStack:
    """The stack's topology, its toxiproxy client, its mocks' processes and every fault layer."""

    def __init__(
        self, topology: Topology, toxiproxy: ToxiproxyClient, mocks: MockProcesses
    ) -> None:
        self.topology = topology
        self.toxiproxy = toxiproxy
        self.mocks = mocks
        self._ports: Mapping[ServiceName, ServicePorts] = {s.service: s for s in topology.services}
        self._faults = StackFaults(
            toxiproxy, admin_urls={s.service: s.direct_url for s in topology.services}
        )

    def __enter__(self) -> RunningStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the admin clients (the toxiproxy client and the processes are the owner's)."""
        self._faults.close()

    # -- where things are ---------------------------------------------------------------------

    @property
    def services(self) -> tuple[ServiceName, ...]:
        return tuple(self._ports)

    def ports(self, service: str) -> ServicePorts:
        """The ports of `service`; a usage error naming the services this stack runs."""
        name = service_name(service)
        if name not in self._ports:
            running = ", ".join(self._ports)
            raise UsageError(f"{name} is not part of the running stack (it runs: {running})")
        return self._ports[name]

    # -- faults -------------------------------------------------------------------------------

    def apply(
        self, service: ServiceName, fault: AnyFault, *, replace: bool = False
    ) -> AppliedStackFault:
        """Apply `fault` now; with `replace`, a toxic of the same name is updated in place.

        `kill` SIGKILLs the mock (removing it starts the mock again); `restart` stops and starts
        it at once (nothing to remove).
        """
        self.ports(service)
        if isinstance(fault, KillFault):
            self.mocks.kill(service)
            return AppliedStackFault(service, fault, killed=True)
        if isinstance(fault, RestartFault):
            self.mocks.restart(service)
            return AppliedStackFault(service, fault)
        return self._faults.apply(service, fault, replace=replace)

    def remove(self, applied: AppliedStackFault) -> None:
        """Take an applied fault away; one already gone is not an error."""
        if applied.killed:
            self.mocks.restart(applied.service)
        else:
            self._faults.remove(applied)

    @contextlib.contextmanager
    def fault(self, service: ServiceName, fault: AnyFault) -> Iterator[AppliedStackFault]:
        """A fault for the duration of the block; removed at the end whatever happened."""
        applied = self.apply(service, fault)
        try:
            yield applied
        finally:
            self.remove(applied)

    def heal(self, service: ServiceName | None = None) -> list[str]:
        """Restart the mocks that are down, then remove every network and app fault, of one
        service or of all; returns what was healed, described."""
        targets = self.services if service is None else (self.ports(service).service,)
        healed: list[str] = []
        down = self.mocks.down()
        for target in targets:
            if target in down:
                self.mocks.restart(target)
                healed.append(f"{target}: process: {down[target]}, started again")
            healed += [f"{target}: {what}" for what in self._faults.heal(target)]
        return healed

    def active(self) -> list[str]:
        """Every fault on the stack and every mock that is not running, described."""
        down = self.mocks.down()
        found = [f"{s}: process: not running ({why})" for s, why in down.items()]
        for service in self.services:
            proxy = self.toxiproxy.get_proxy(str(service))
            found += [f"{service}: network: {t.type} ({t.name})" for t in proxy.toxics]
            if not proxy.enabled:
                found.append(f"{service}: network: down (proxy disabled)")
            if service not in down:
                found += [
                    f"{service}: app: {describe_app_fault(f)}"
                    for f in self._faults.admin(service).faults()
                ]
        return found

    def leftovers(self) -> list[str]:
        """What is still on the stack after a test or a run should have removed it all."""
        return self.active()

    def app_faults(self, service: ServiceName) -> tuple[ActiveAppFault, ...]:
        """The app faults active in the mock, as its admin API lists them."""
        return self._faults.admin(service).faults()

    # -- what the mocks recorded --------------------------------------------------------------

    def admin_json(self, service: str, path: str, **params: str) -> dict[str, Any]:
        """GET /__admin/PATH of the mock (its direct port, never faulted)."""
        url = f"{self.ports(service).direct_url}/__admin/{path}"
        try:
            answer = httpx.get(url, params=params, timeout=10, trust_env=False)
            answer.raise_for_status()
            body: dict[str, Any] = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise InfrastructureError(f"could not read {url}: {exc}") from exc
        return body

    def ledger(self) -> Ledger:
        """What the ERM and the patient app of this stack recorded, as one typed ledger."""
        ledgers = []
        for service in self.services:
            if service in LEDGER_SERVICES:
                body = self.admin_json(str(service), "ledger")
                try:
                    ledgers.append(parse_ledger(body, service=str(service)))
                except ValueError as exc:
                    raise InfrastructureError(f"the {service} ledger is unreadable: {exc}") from exc
        return Ledger.combine(ledgers)

    def stats(self, service: str) -> Stats:
        """Requests per "METHOD /route/template" and each fault's fired count."""
        return self._faults.admin(self.ports(service).service).stats()


@contextlib.contextmanager
def running_stack(
    supervisor: Supervisor, topology: Topology, *, provision: Provision
) -> Iterator[RunningStack]:
    """Start toxiproxy, the mocks and their proxies under `supervisor`, as one RunningStack.

    At the end the admin clients and the toxiproxy client are closed, and a toxiproxy server this
    stack did not start (TOXIPROXY_URL) is left as clean as it was found. The processes are the
    Supervisor's: it stops them when its own block ends.
    """
    toxiproxy = start_stack(supervisor, topology, provision=provision)
    mocks = SupervisedMocks(supervisor, tuple(s.service for s in topology.services))
    with toxiproxy, RunningStack(topology, toxiproxy, mocks) as stack:
        try:
            yield stack
        finally:
            if provision.url is not None:
                with contextlib.suppress(Exception):  # it may be gone; nothing else to do
                    toxiproxy.clear()
