"""The `chaos` fixture: any catalogue fault on the session stack, for a block or for the test.

    def test_registration_survives_bpjs_down(chaos, harness_stack):
        with chaos.fault("bpjs", "down"):
            ...                                   # BPJS refuses connections here
        chaos.fault("erm", "http_error", status=503, probability=0.5)   # until the test ends

Network faults go to toxiproxy, app faults to the mock's admin API, and `kill` / `restart` /
`pause` to the mock's process (a killed mock is started again when its fault is removed). The
target `client` is the client under test the `harness_client` fixture started: it takes kill,
restart and pause. At teardown every fault
the test applied is removed; then the whole stack is inspected, and anything still there (a fault
applied around the fixture, a mock that died) is healed and fails the test with what it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

from pydantic import JsonValue

from harness.errors import HarnessError
from harness.faults import AnyFault, RestartFault
from harness.pytest_plugin.stack import SessionStack
from harness.scenario.types import CLIENT, Target
from harness.stack.apply import AppliedStackFault
from harness.stack.topology import service_name
from harness.stack.words import build_fault


class ChaosError(AssertionError):
    """A fault could not be applied or removed; the message says which and why."""


class ChaosFault:
    """One applied fault. A context manager: `with chaos.fault(...):` removes it at the end."""

    def __init__(
        self, chaos: Chaos, service: Target, fault: AnyFault, applied: AppliedStackFault
    ) -> None:
        self._chaos = chaos
        self.service = service
        self.fault = fault
        self._applied = applied
        self.active = True

    def __repr__(self) -> str:
        state = "active" if self.active else "removed"
        return f"<ChaosFault {self.describe()} ({state})>"

    def describe(self) -> str:
        return f"{self.service}: {self.fault.describe()}"

    def __enter__(self) -> ChaosFault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def remove(self) -> None:
        """Take the fault away (a killed mock is started again); removing twice is harmless."""
        if not self.active:
            return
        self.active = False
        self._chaos._forget(self)
        try:
            if self._applied is not None:
                self._chaos.session.running.remove(self._applied)
        except HarnessError as exc:
            raise ChaosError(f"could not remove {self.describe()}: {exc}") from None


class Chaos:
    """Faults for one test on the session stack; see the module docstring."""

    def __init__(self, session: SessionStack) -> None:
        self.session = session
        self._applied: list[ChaosFault] = []

    def fault(self, service: str, kind: str, /, **attributes: JsonValue) -> ChaosFault:
        """Apply fault `kind` (as `harness inject` names it) to `service` now.

        `attributes` are the fault's own (latency=2000, status=503, route="/vclaim-rest/*",
        probability=0.5, ...). An unknown service, kind or attribute fails the test with the
        allowed values.
        """
        try:
            target: Target = CLIENT if service == CLIENT else service_name(service)
            if target != CLIENT:
                self.session.stack.ports(target)  # a mock this session did not start
            elif self.session.running.client_target is None:
                raise ChaosError(
                    f"chaos.fault({service!r}, {kind!r}): no client under test was started on "
                    "the session stack; ask for the harness_client fixture (it starts "
                    "--harness-client FILE)"
                )
            fault = build_fault(kind, attributes)
        except HarnessError as exc:
            raise ChaosError(f"chaos.fault({service!r}, {kind!r}): {exc}") from None
        return self.apply(target, fault)

    def apply(self, service: Target, fault: AnyFault) -> ChaosFault:
        """Apply a catalogue fault value (harness.faults) to `service` (or the client)."""
        try:
            applied = self.session.running.apply(service, fault)
        except HarnessError as exc:
            raise ChaosError(f"could not apply {service}: {fault.describe()}: {exc}") from None
        handle = ChaosFault(self, service, fault, applied)
        if isinstance(fault, RestartFault):
            handle.active = False  # instantaneous: nothing to remove
        else:
            self._applied.append(handle)
        return handle

    def active(self) -> list[str]:
        """The faults this test applied that are still on, described."""
        return [handle.describe() for handle in self._applied]

    def heal(self, service: str | None = None) -> list[str]:
        """Remove every fault of `service` (default: all services and the client), including
        ones applied around this fixture; returns what was removed."""
        targets: tuple[Target, ...]
        if service is None:
            targets = (*self.session.stack.services, CLIENT)
        else:
            targets = (CLIENT if service == CLIENT else service_name(service),)
        healed: list[str] = []
        for handle in [h for h in self._applied if h.service in targets]:
            handle.remove()
            healed.append(handle.describe())
        for target in targets:
            healed += self.session.running.heal(target)
        return healed

    def _forget(self, handle: ChaosFault) -> None:
        if handle in self._applied:
            self._applied.remove(handle)

    def finish(self) -> str | None:
        """Remove what the test applied, then heal anything else left on the stack; the
        failure message when something had to be healed or could not be, else None."""
        problems: list[str] = []
        for handle in reversed(list(self._applied)):
            try:
                handle.remove()
            except ChaosError as exc:
                problems.append(str(exc))
        try:
            leftovers = self.session.running.leftovers()
        except HarnessError as exc:
            leftovers = [f"the stack could not be inspected: {exc}"]
        if not problems and not leftovers:
            return None
        try:
            self.session.running.heal()
        except HarnessError as exc:
            return _message(problems, leftovers, healed=False) + (
                f" Healing failed too ({exc}): later tests of this session run against a "
                f"broken stack; see the logs in {self.session.log_dir}."
            )
        return _message(problems, leftovers, healed=True)


def _message(problems: list[str], leftovers: list[str], *, healed: bool) -> str:
    parts = [f"harness chaos: {p}" for p in problems]
    if leftovers:
        state = "now healed" if healed else "NOT healed"
        parts.append(
            f"harness chaos: left on the stack after the test ({state}): {'; '.join(leftovers)}."
            " Nothing the `chaos` fixture applied is left, so these were made around it (straight"
            " through toxiproxy or a mock's admin API) or a mock died: apply faults with"
            " chaos.fault(...) or @pytest.mark.fault(...) so they are removed for you, or remove"
            " them before the test ends."
        )
    return "\n".join(parts)


def fault_from_marker(args: tuple[object, ...], kwargs: Mapping[str, object]) -> tuple[str, str]:
    """(service, kind) of a `@pytest.mark.fault(service, kind, **attributes)` marker."""
    if len(args) != 2 or not all(isinstance(a, str) for a in args):
        raise ChaosError(
            f"@pytest.mark.fault{args!r}: give the service and the fault kind, then its "
            'attributes, e.g. @pytest.mark.fault("bpjs", "latency", latency=2000)'
        )
    return str(args[0]), str(args[1])
