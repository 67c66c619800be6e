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
import signal
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final, Protocol

import httpx

from harness.errors import InfrastructureError, UsageError
from harness.faults import AnyFault, KillFault, PauseFault, RestartFault
from harness.process import ManagedProcess, Supervisor, wait_until
from harness.results.ledger import Ledger, parse_ledger
from harness.scenario.types import CLIENT, ServiceName, Target
from harness.stack.admin import describe_app_fault
from harness.stack.apply import AppliedStackFault, StackFaults
from harness.stack.topology import ServicePorts, Topology, service_name, start_stack
from harness.toxiproxy.adapter import ToxiproxyClient
from harness.toxiproxy.install import Provision
from service_contract.admin import ActiveAppFault, Stats

LEDGER_SERVICES: Final = (ServiceName.ERM, ServiceName.PATIENT_APP)
KILL_WAIT_S: Final = 10.0


class MockProcesses(Protocol):
    """Kill, restart and pause of the mocks' processes, by whoever owns them."""

    def kill(self, service: ServiceName) -> None: ...

    def restart(self, service: ServiceName) -> float:
        """Stop and start again, readiness awaited; returns the seconds it took."""
        ...

    def pause(self, service: ServiceName) -> None: ...

    def resume(self, service: ServiceName) -> None: ...

    def down(self) -> dict[ServiceName, str]:
        """The mocks that are not serving, each with why ("killed by a fault", "paused by a
        fault", an exit code)."""
        ...


PAUSED: Final = "paused by a fault"


class ProcessTarget(Protocol):
    """One process as a fault target (the client under test): by its owner or through it."""

    def kill(self) -> None: ...

    def restart(self) -> float:
        """Stop and start again, readiness awaited; returns the seconds it took."""
        ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def down(self) -> str | None:
        """Why it is not serving ("killed by a fault", PAUSED, an exit code), None if it is."""
        ...


class SupervisedProcess:
    """One process this process's Supervisor started, as a fault target: kill, restart, pause.

    A mock or the client under test. It is started again with the same spec (command,
    environment, working directory), so what it keeps on disk survives and what it keeps only in
    memory does not. `down_on_purpose` tells a watcher (the liveness prober, `harness up`) that a
    fault, not a crash, has it down.
    """

    def __init__(self, supervisor: Supervisor, process: ManagedProcess, *, what: str) -> None:
        self.supervisor = supervisor
        self.process = process
        self.what = what
        self.killed = False
        self.paused = False
        self._restarting = False

    @property
    def down_on_purpose(self) -> bool:
        return self.killed or self.paused or self._restarting

    @property
    def crashed(self) -> bool:
        """Gone without a fault taking it down."""
        return not self.down_on_purpose and not self.process.alive()

    def kill(self) -> None:
        """SIGKILL, and wait until it is gone (a proxy in front of it then finds no upstream)."""
        self.killed = True
        self.process.kill()
        try:
            wait_until(
                lambda: not self.process.alive(), timeout=KILL_WAIT_S, what=f"{self.what} to die"
            )
        except TimeoutError:
            raise InfrastructureError(
                f"{self.what} (pid {self.process.pid}) was still running {KILL_WAIT_S:g}s after "
                "SIGKILL"
            ) from None

    def restart(self) -> float:
        """Stop (SIGTERM, then SIGKILL after its stop timeout), start with the same spec, wait
        until ready; returns the seconds it took. It is no longer killed or paused first: if it
        cannot start, that is a crash, not a fault."""
        self.killed = self.paused = False
        self._restarting = True
        try:
            began = time.monotonic()
            if self.process.alive():
                self.process.signal(signal.SIGCONT)  # a paused process could not act on SIGTERM
            self.process = self.supervisor.restart(self.process)
            return time.monotonic() - began
        finally:
            self._restarting = False

    def pause(self) -> None:
        self.paused = True
        self.process.signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.signal(signal.SIGCONT)
        self.paused = False

    def down(self) -> str | None:
        """Why it is not serving ("killed by a fault", PAUSED, an exit code), None if it is."""
        if not self.process.alive():
            if self.killed:
                return "killed by a fault"
            return f"exited with code {self.process.popen.returncode}"
        return PAUSED if self.paused else None


class SupervisedMocks:
    """The mocks started by this process's Supervisor, one SupervisedProcess each."""

    def __init__(self, supervisor: Supervisor, services: tuple[ServiceName, ...]) -> None:
        self.services = services
        started = {proc.name: proc for proc in supervisor.processes}
        missing = [s for s in services if s.value not in started]
        if missing:
            raise InfrastructureError(f"no {missing[0]} mock process in this stack")
        self._mocks = {
            s: SupervisedProcess(supervisor, started[s.value], what=f"the {s} mock")
            for s in services
        }

    def kill(self, service: ServiceName) -> None:
        self._mocks[service].kill()

    def restart(self, service: ServiceName) -> float:
        """Start it again on its port with its data, and wait until it is ready."""
        return self._mocks[service].restart()

    def pause(self, service: ServiceName) -> None:
        self._mocks[service].pause()

    def resume(self, service: ServiceName) -> None:
        self._mocks[service].resume()

    def down(self) -> dict[ServiceName, str]:
        return {s: why for s, mock in self._mocks.items() if (why := mock.down()) is not None}

    def crashed(self) -> list[ManagedProcess]:
        """Mocks that died without a fault killing them."""
        return [mock.process for mock in self._mocks.values() if mock.crashed]


class RunningStack:
    """The stack's topology, its toxiproxy client, its mocks' processes and every fault layer."""

    def __init__(
        self, topology: Topology, toxiproxy: ToxiproxyClient, mocks: MockProcesses
    ) -> None:
        self.topology = topology
        self.toxiproxy = toxiproxy
        self.mocks = mocks
        self.client: SupervisedProcess | None = None
        """The client under test, once attached (`attach_client`): then `client` is a target."""
        self.remote_client: ProcessTarget | None = None
        """The client a `harness up` in another process started (asked through its owner)."""
        self._ports: Mapping[ServiceName, ServicePorts] = {s.service: s for s in topology.services}
        self.verify = topology.verify()
        """How the harness's own calls verify the mocks: the stack's CA when they serve HTTPS."""
        self._faults = StackFaults(
            toxiproxy,
            admin_urls={s.service: s.direct_url for s in topology.services},
            verify=self.verify,
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

    @property
    def ca_bundle(self) -> Path | None:
        """The CA certificate (PEM) a client must trust when the mocks serve HTTPS; else None."""
        return None if self.topology.tls is None else self.topology.tls.ca_bundle

    def ports(self, service: str) -> ServicePorts:
        """The ports of `service`; a usage error naming the services this stack runs."""
        name = service_name(service)
        if name not in self._ports:
            running = ", ".join(self._ports)
            raise UsageError(f"{name} is not part of the running stack (it runs: {running})")
        return self._ports[name]

    def attach_client(self, supervisor: Supervisor, process: ManagedProcess) -> SupervisedProcess:
        """Make the client under test (started by `supervisor`) a target of process faults."""
        self.client = SupervisedProcess(supervisor, process, what="the client under test")
        return self.client

    @property
    def client_target(self) -> ProcessTarget | None:
        """The client under test as a process fault target, if the harness started it."""
        return self.client if self.client is not None else self.remote_client

    def _client(self) -> ProcessTarget:
        client = self.client_target
        if client is None:
            raise UsageError(
                "the client under test was not started by the harness here, so it cannot be "
                "killed, restarted or paused (give its command in a client file and start it "
                "with `harness run`, `harness up --client FILE` or the plugin's harness_client "
                "fixture)"
            )
        return client

    # -- faults -------------------------------------------------------------------------------

    def apply(
        self, service: Target, fault: AnyFault, *, replace: bool = False
    ) -> AppliedStackFault:
        """Apply `fault` now; with `replace`, a toxic of the same name is updated in place.

        `kill` SIGKILLs the process (removing it starts the process again); `restart` stops and
        starts it at once (nothing to remove); `pause` SIGSTOPs it (removing it: SIGCONT). The
        target `client` takes only these three.
        """
        if service == CLIENT:
            return self._apply_to_client(fault)
        target = self.ports(service).service
        if isinstance(fault, KillFault):
            self.mocks.kill(target)
            return AppliedStackFault(target, fault, killed=True)
        if isinstance(fault, RestartFault):
            took = self.mocks.restart(target)
            return AppliedStackFault(target, fault, back_after_s=took)
        if isinstance(fault, PauseFault):
            self.mocks.pause(target)
            return AppliedStackFault(target, fault, paused=True)
        return self._faults.apply(target, fault, replace=replace)

    def _apply_to_client(self, fault: AnyFault) -> AppliedStackFault:
        client = self._client()
        if isinstance(fault, KillFault):
            client.kill()
            return AppliedStackFault(CLIENT, fault, killed=True)
        if isinstance(fault, RestartFault):
            return AppliedStackFault(CLIENT, fault, back_after_s=client.restart())
        if isinstance(fault, PauseFault):
            client.pause()
            return AppliedStackFault(CLIENT, fault, paused=True)
        raise UsageError(
            f"{fault.kind} is not a fault of the client's process; the client takes kill, "
            "restart and pause (fault its upstreams instead)"
        )

    def remove(self, applied: AppliedStackFault) -> float | None:
        """Take an applied fault away; one already gone is not an error. For a kill, the
        process is started again: returns the seconds until it answered its readiness check."""
        if applied.service == CLIENT:
            client = self._client()
            if applied.killed:
                if client.down() is None:  # started again already
                    return None
                return client.restart()
            if applied.paused:
                client.resume()
            return None
        target = self.ports(applied.service).service
        if applied.killed:
            if target not in self.mocks.down():  # started again already (`harness heal`)
                return None
            return self.mocks.restart(target)
        if applied.paused:
            self.mocks.resume(target)
            return None
        self._faults.remove(applied)
        return None

    @contextlib.contextmanager
    def fault(self, service: Target, fault: AnyFault) -> Iterator[AppliedStackFault]:
        """A fault for the duration of the block; removed at the end whatever happened."""
        applied = self.apply(service, fault)
        try:
            yield applied
        finally:
            self.remove(applied)

    def heal(self, service: Target | None = None) -> list[str]:
        """Start again the client and the mocks that are down (resume those paused), then
        remove every network and app fault, of one service (or the client) or of all; returns
        what was healed, described."""
        healed: list[str] = []
        if service != CLIENT:
            targets = self.services if service is None else (self.ports(service).service,)
            down = self.mocks.down()
            for target in targets:
                if down.get(target) == PAUSED:
                    self.mocks.resume(target)
                    healed.append(f"{target}: process: {PAUSED}, resumed")
                elif target in down:
                    self.mocks.restart(target)
                    healed.append(f"{target}: process: {down[target]}, started again")
                healed += [f"{target}: {what}" for what in self._faults.heal(target)]
        client = self.client_target
        if client is not None and service in (None, CLIENT):  # last: it may need its upstreams
            why = client.down()
            if why == PAUSED:
                client.resume()
                healed.append(f"{CLIENT}: process: {PAUSED}, resumed")
            elif why is not None:
                client.restart()
                healed.append(f"{CLIENT}: process: {why}, started again")
        return healed

    def active(self) -> list[str]:
        """Every fault on the stack, and the client and every mock that is not running,
        described."""
        down: dict[Target, str] = {s: why for s, why in self.mocks.down().items()}
        client = self.client_target
        if client is not None and (why := client.down()) is not None:
            down[CLIENT] = why
        found = [
            f"{s}: process: {PAUSED}" if why == PAUSED else f"{s}: process: not running ({why})"
            for s, why in down.items()
        ]
        for service in self.services:
            proxy = self.toxiproxy.get_proxy(str(service))
            found += [f"{service}: network: {t.type} ({t.name})" for t in proxy.toxics]
            if not proxy.enabled:
                found.append(f"{service}: network: down (proxy disabled)")
            if service not in down:  # a paused mock would not answer
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
            answer = httpx.get(url, params=params, timeout=10, trust_env=False, verify=self.verify)
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
