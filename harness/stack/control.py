"""Process faults on a `harness up` stack, asked for by another process.

Only the process that started a mock can start it again, so `harness inject erm kill` (and
`heal`, `status`) ask the `harness up` that owns the stack, through two small files in its state
directory:

    .state/control/<id>.request.json   {"action": "kill", "service": "erm"}
                                       (kill, restart, pause, resume, or down: what is down;
                                       service: a mock, or "client" if `up --client` started one)
    .state/control/<id>.answer.json    {"error": null, "down": {"erm": "killed by a fault"},
                                        "client": null, "took_s": null}

`harness up` serves the requests on each tick of its loop (`serve_pending`), one at a time, in the
order they came; `OwnerMocks` (and `OwnerClient`, for the client `harness up --client` started)
writes a request and waits for its answer, or for the owner to go.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final, Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import HarnessError, InfrastructureError
from harness.process import wait_until
from harness.scenario.types import CLIENT, ServiceName, Target
from harness.stack.running import MockProcesses, ProcessTarget

CONTROL_DIR: Final = "control"
ANSWER_TIMEOUT_S: Final = 120.0  # a restart waits up to a minute for the mock to be ready


class ServedMocks(MockProcesses, Protocol):
    """The owner's mocks (SupervisedMocks): what a request may act on."""

    @property
    def services(self) -> tuple[ServiceName, ...]: ...


class ControlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["kill", "restart", "pause", "resume", "down"]
    service: Target | None = None


class ControlAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    error: str | None = None
    down: dict[ServiceName, str] = {}
    client: str | None = None  # why the client under test is not serving, None if it is
    took_s: float | None = None  # a restart: seconds until the mock was ready again


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # the reader never sees half a file


class OwnerMocks:
    """The mocks of a `harness up` in another process: it kills and restarts them when asked."""

    def __init__(
        self,
        state_dir: Path,
        *,
        owner_alive: Callable[[], bool],
        timeout: float = ANSWER_TIMEOUT_S,
    ) -> None:
        self.directory = state_dir / CONTROL_DIR
        self.owner_alive = owner_alive
        self.timeout = timeout

    def kill(self, service: ServiceName) -> None:
        self.ask(ControlRequest(action="kill", service=service))

    def restart(self, service: ServiceName) -> float:
        took = self.ask(ControlRequest(action="restart", service=service)).took_s
        return 0.0 if took is None else took

    def pause(self, service: ServiceName) -> None:
        self.ask(ControlRequest(action="pause", service=service))

    def resume(self, service: ServiceName) -> None:
        self.ask(ControlRequest(action="resume", service=service))

    def down(self) -> dict[ServiceName, str]:
        return self.ask(ControlRequest(action="down")).down

    def ask(self, request: ControlRequest) -> ControlAnswer:
        self.directory.mkdir(parents=True, exist_ok=True)
        ident = f"{time.time_ns()}-{secrets.token_hex(3)}"
        asked = self.directory / f"{ident}.request.json"
        answer_path = self.directory / f"{ident}.answer.json"
        _write_atomically(asked, request.model_dump_json())
        try:
            wait_until(
                lambda: answer_path.exists() or not self.owner_alive(),
                timeout=self.timeout,
                what=f"`harness up` to answer {request.action}",
                interval=0.05,
            )
        except TimeoutError:
            raise InfrastructureError(
                f"`harness up` did not answer {request.action} in {self.timeout:g}s; see "
                "its output, or restart the stack with `harness down` and `harness up`"
            ) from None
        finally:
            asked.unlink(missing_ok=True)
        if not answer_path.exists():
            raise InfrastructureError(
                "the stack's `harness up` process is gone; run `harness down` to clean up"
            )
        try:
            answer = ControlAnswer.model_validate_json(answer_path.read_text(encoding="utf-8"))
        finally:
            answer_path.unlink(missing_ok=True)
            asked.with_name(asked.name.replace(".request.", ".taken.")).unlink(missing_ok=True)
        if answer.error is not None:
            raise InfrastructureError(answer.error)
        return answer


class OwnerClient:
    """The client under test that a `harness up --client` in another process started."""

    def __init__(self, mocks: OwnerMocks) -> None:
        self._owner = mocks

    def kill(self) -> None:
        self._owner.ask(ControlRequest(action="kill", service=CLIENT))

    def restart(self) -> float:
        took = self._owner.ask(ControlRequest(action="restart", service=CLIENT)).took_s
        return 0.0 if took is None else took

    def pause(self) -> None:
        self._owner.ask(ControlRequest(action="pause", service=CLIENT))

    def resume(self) -> None:
        self._owner.ask(ControlRequest(action="resume", service=CLIENT))

    def down(self) -> str | None:
        return self._owner.ask(ControlRequest(action="down")).client


def clear(state_dir: Path) -> None:
    """Forget every request and answer: at the start and the end of `harness up`, and at
    `harness down`, so that no request outlives the stack it was meant for."""
    directory = state_dir / CONTROL_DIR
    if directory.is_dir():
        for path in directory.iterdir():
            path.unlink(missing_ok=True)


def serve_pending(state_dir: Path, mocks: ServedMocks, client: ProcessTarget | None = None) -> None:
    """Carry out the requests waiting in the state directory, oldest first (the owner's side).

    A request is claimed (renamed) before it is carried out, so that it is never carried out
    twice, even by a later owner if this one dies half-way. A request whose asker has gone by
    the time it is read is dropped, and so is one older than an asker would wait.
    """
    directory = state_dir / CONTROL_DIR
    if not directory.is_dir():
        return
    for asked in sorted(directory.glob("*.request.json")):
        claimed = asked.with_name(asked.name.replace(".request.", ".taken."))
        answer_path = asked.with_name(asked.name.replace(".request.", ".answer."))
        try:
            asked.rename(claimed)
            stale = time.time() - claimed.stat().st_mtime > ANSWER_TIMEOUT_S
            text = claimed.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue  # its asker gave up and took it back
        finally:
            claimed.unlink(missing_ok=True)
        if stale:
            continue
        try:
            answer = _carry_out(ControlRequest.model_validate_json(text), mocks, client)
        except ValidationError as exc:
            answer = ControlAnswer(error=f"unreadable control request {asked.name}: {exc}")
        except Exception as exc:  # the owner must keep serving its stack whatever one asked
            answer = ControlAnswer(error=f"{type(exc).__name__}: {exc}")
        _write_atomically(answer_path, answer.model_dump_json())


def _carry_out(
    request: ControlRequest, mocks: ServedMocks, client: ProcessTarget | None
) -> ControlAnswer:
    try:
        if request.service == CLIENT:
            if client is None:
                return ControlAnswer(
                    error="no client under test in this stack; start one with "
                    "`harness up --client FILE`"
                )
            took = _act(request, client)
        elif request.action != "down":
            if request.service is None or request.service not in mocks.services:
                return ControlAnswer(error=f"{request.service} is not part of the running stack")
            took = _act(request, _MockTarget(mocks, request.service))
        else:
            took = None
        return ControlAnswer(
            down=mocks.down(), client=None if client is None else client.down(), took_s=took
        )
    except HarnessError as exc:
        return ControlAnswer(error=f"{request.action} {request.service}: {exc}")


def _act(request: ControlRequest, target: ProcessTarget) -> float | None:
    """Carry out a kill, restart, pause or resume; a restart's seconds until ready."""
    if request.action == "restart":
        return target.restart()
    if request.action == "kill":
        target.kill()
    elif request.action == "pause":
        target.pause()
    elif request.action == "resume":
        target.resume()
    return None


class _MockTarget:
    """One mock of the owner's as a ProcessTarget."""

    def __init__(self, mocks: ServedMocks, service: ServiceName) -> None:
        self._mocks = mocks
        self._service = service

    def kill(self) -> None:
        self._mocks.kill(self._service)

    def restart(self) -> float:
        return self._mocks.restart(self._service)

    def pause(self) -> None:
        self._mocks.pause(self._service)

    def resume(self) -> None:
        self._mocks.resume(self._service)

    def down(self) -> str | None:
        return self._mocks.down().get(self._service)
