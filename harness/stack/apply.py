"""Applying catalogue faults (harness.faults) to a running stack, and taking them away again.

Network faults go to the service's proxy in toxiproxy (through the adapter), app faults to the
mock's admin API on its direct port. Process faults need the process's owner: RunningStack
(harness/stack/running.py), the one place every fault goes through, does those and uses this for
the other two layers.

    faults = StackFaults(toxiproxy, admin_urls={ServiceName.BPJS: "http://127.0.0.1:18101"})
    with faults.fault(ServiceName.BPJS, DownFault(kind="down")):
        ...   # BPJS refuses connections here
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from harness.errors import UsageError
from harness.faults import AnyFault, DownFault, ProcessFault, ToxicFault
from harness.scenario.types import ServiceName, Target
from harness.stack.admin import MockAdmin, describe_app_fault
from harness.toxiproxy.adapter import AppliedFault, ToxiproxyClient
from harness.toxiproxy.errors import ToxiproxyConflictError
from harness.toxiproxy.faults import Toxic


@dataclass(frozen=True)
class AppliedStackFault:
    """A fault applied to one service; `StackFaults.remove` takes exactly it away."""

    service: Target
    fault: AnyFault
    network: AppliedFault | None = None
    app_fault_id: str | None = None
    replaced: bool = False  # a toxic of the same name was there already and was updated
    killed: bool = False  # a kill fault: the process is down until this is removed
    paused: bool = False  # a pause fault: the process is stopped (SIGSTOP) until this is removed
    back_after_s: float | None = None
    """A restart: seconds from the stop to the process answering its readiness check again."""

    def describe(self) -> str:
        return f"{self.service}: {self.fault.describe()}"


class StackFaults:
    """One code path to apply and remove faults on a stack, for the CLI, scenarios and fixtures."""

    def __init__(
        self,
        toxiproxy: ToxiproxyClient,
        *,
        admin_urls: Mapping[ServiceName, str],
        verify: ssl.SSLContext | bool = True,
    ):
        self.toxiproxy = toxiproxy
        self.admin_urls = dict(admin_urls)
        self.verify = verify  # how the mocks' certificates are checked when they serve HTTPS
        # One admin client per mock, made now and kept open: building an HTTP client costs ~30 ms
        # (its TLS context), which would make app faults of a timeline that much late.
        self._admins = {service: self._new_admin(service) for service in self.admin_urls}

    def _new_admin(self, service: ServiceName) -> MockAdmin:
        return MockAdmin(str(service), self.admin_urls[service], verify=self.verify)

    def __enter__(self) -> StackFaults:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the admin clients (not the toxiproxy client, which the caller owns)."""
        while self._admins:
            self._admins.popitem()[1].close()

    def admin(self, service: ServiceName) -> MockAdmin:
        if service not in self._admins:
            self._admins[service] = self._new_admin(service)
        return self._admins[service]

    def apply(
        self, service: ServiceName, fault: AnyFault, *, replace: bool = False
    ) -> AppliedStackFault:
        """Apply `fault`; with `replace`, a toxic of the same name is updated, not a conflict."""
        if isinstance(fault, ProcessFault):
            raise UsageError(f"{fault.kind} is a process fault: apply it through RunningStack")
        if isinstance(fault, ToxicFault | DownFault):
            network = fault.network_fault()
            try:
                applied = self.toxiproxy.apply(str(service), network)
            except ToxiproxyConflictError:
                if not (replace and isinstance(network, Toxic)):
                    raise
                self.toxiproxy.update_toxic(
                    str(service),
                    network.name,
                    attributes=network.attributes,
                    toxicity=network.toxicity,
                )
                applied = AppliedFault(str(service), network)
                return AppliedStackFault(service, fault, network=applied, replaced=True)
            return AppliedStackFault(service, fault, network=applied)
        added = self.admin(service).add_fault(fault.admin_request())
        return AppliedStackFault(service, fault, app_fault_id=added.id)

    def remove(self, applied: AppliedStackFault) -> None:
        """Take an applied fault away; one already gone is not an error."""
        if applied.network is not None:
            self.toxiproxy.remove(applied.network)
        if applied.app_fault_id is not None:
            self.admin(ServiceName(applied.service)).remove_fault(applied.app_fault_id)

    @contextlib.contextmanager
    def fault(self, service: ServiceName, fault: AnyFault) -> Iterator[AppliedStackFault]:
        """A fault for the duration of the block; removed at the end whatever happened."""
        applied = self.apply(service, fault)
        try:
            yield applied
        finally:
            self.remove(applied)

    def heal(self, service: ServiceName) -> list[str]:
        """Remove every network and app fault of one service; returns what was removed."""
        healed = [f"network: {what}" for what in self.toxiproxy.heal(str(service))]
        admin = self.admin(service)
        active = admin.faults()
        admin.clear_faults()
        healed += [f"app: {describe_app_fault(fault)}" for fault in active]
        return healed
