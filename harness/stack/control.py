"""Process faults on a `harness up` stack, asked for by another process.

Only the process that started a mock can start it again, so `harness inject erm kill` (and
`heal`, `status`) ask the `harness up` that owns the stack, through two small files in its state
directory:

    .state/control/<id>.request.json   {"action": "kill" | "restart" | "down", "service": "erm"}
    .state/control/<id>.answer.json    {"error": null, "down": {"erm": "killed by a fault"}}

`harness up` serves the requests on each tick of its loop (`serve_pending`), one at a time, in the
order they came; `OwnerMocks` writes a request and waits for its answer, or for the owner to go.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import HarnessError, InfrastructureError
from harness.process import wait_until
from harness.scenario.types import ServiceName
from harness.stack.running import SupervisedMocks

CONTROL_DIR: Final = "control"
ANSWER_TIMEOUT_S: Final = 120.0  # a restart waits up to a minute for the mock to be ready


class ControlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["kill", "restart", "down"]
    service: ServiceName | None = None


class ControlAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    error: str | None = None
    down: dict[ServiceName, str] = {}


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # the reader never sees half a file


class OwnerMocks:
    """The mocks of a `harness up` in another process: it kills and restarts them when asked."""

    def __init__(self, state_dir: Path, *, owner_alive: Callable[[], bool]) -> None:
        self.directory = state_dir / CONTROL_DIR
        self.owner_alive = owner_alive

    def kill(self, service: ServiceName) -> None:
        self._ask(ControlRequest(action="kill", service=service))

    def restart(self, service: ServiceName) -> None:
        self._ask(ControlRequest(action="restart", service=service))

    def down(self) -> dict[ServiceName, str]:
        return self._ask(ControlRequest(action="down")).down

    def _ask(self, request: ControlRequest) -> ControlAnswer:
        self.directory.mkdir(parents=True, exist_ok=True)
        ident = f"{time.time_ns()}-{secrets.token_hex(3)}"
        asked = self.directory / f"{ident}.request.json"
        answer_path = self.directory / f"{ident}.answer.json"
        _write_atomically(asked, request.model_dump_json())
        try:
            wait_until(
                lambda: answer_path.exists() or not self.owner_alive(),
                timeout=ANSWER_TIMEOUT_S,
                what=f"`harness up` to answer {request.action}",
                interval=0.05,
            )
        except TimeoutError:
            raise InfrastructureError(
                f"`harness up` did not answer {request.action} in {ANSWER_TIMEOUT_S:g}s; see "
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
        if answer.error is not None:
            raise InfrastructureError(answer.error)
        return answer


def serve_pending(state_dir: Path, mocks: SupervisedMocks) -> None:
    """Carry out the requests waiting in the state directory, oldest first (the owner's side)."""
    directory = state_dir / CONTROL_DIR
    if not directory.is_dir():
        return
    for asked in sorted(directory.glob("*.request.json")):
        answer_path = asked.with_name(asked.name.replace(".request.", ".answer."))
        try:
            request = ControlRequest.model_validate_json(asked.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue  # its asker gave up and took it back
        except (ValidationError, ValueError) as exc:
            answer = ControlAnswer(error=f"unreadable control request {asked.name}: {exc}")
        else:
            answer = _carry_out(request, mocks)
        _write_atomically(answer_path, answer.model_dump_json())
        asked.unlink(missing_ok=True)


def _carry_out(request: ControlRequest, mocks: SupervisedMocks) -> ControlAnswer:
    try:
        if request.action != "down":
            if request.service is None or request.service not in mocks.services:
                return ControlAnswer(error=f"{request.service} is not part of the running stack")
            if request.action == "kill":
                mocks.kill(request.service)
            else:
                mocks.restart(request.service)
        return ControlAnswer(down=mocks.down())
    except HarnessError as exc:
        return ControlAnswer(error=f"{request.action} {request.service}: {exc}")
