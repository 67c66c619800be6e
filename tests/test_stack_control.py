"""Process faults asked of a `harness up` by another process (harness/stack/control.py), in process.

The owner's side (`serve_pending`) runs in a thread over a fake set of mocks; the asker's side
(`OwnerMocks`) is the real one. The whole path over real processes is in tests/test_stack_cli.py.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import InfrastructureError
from harness.scenario.types import ServiceName
from harness.stack import control
from harness.stack.control import CONTROL_DIR, OwnerMocks, serve_pending

pytestmark = pytest.mark.unit

ERM = ServiceName.ERM


class FakeMocks:
    """What a request acts on, recording every call."""

    services = (ServiceName.BPJS, ServiceName.ERM)

    def __init__(self) -> None:
        self.calls: list[tuple[str, ServiceName]] = []
        self.state: dict[ServiceName, str] = {}
        self.fail_with: Exception | None = None

    def kill(self, service: ServiceName) -> None:
        self._act("kill", service)
        self.state[service] = "killed by a fault"

    def restart(self, service: ServiceName) -> float:
        self._act("restart", service)
        self.state.pop(service, None)
        return 0.25

    def pause(self, service: ServiceName) -> None:
        self._act("pause", service)
        self.state[service] = "paused by a fault"

    def resume(self, service: ServiceName) -> None:
        self._act("resume", service)
        self.state.pop(service, None)

    def down(self) -> dict[ServiceName, str]:
        return dict(self.state)

    def _act(self, action: str, service: ServiceName) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.calls.append((action, service))


@pytest.fixture
def owner(tmp_path: Path) -> Iterator[FakeMocks]:
    """An owner serving requests every 10 ms, as `harness up` does every tick."""
    mocks = FakeMocks()
    stop = threading.Event()

    def serve() -> None:
        while not stop.wait(0.01):
            serve_pending(tmp_path, mocks)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield mocks
    stop.set()
    thread.join(timeout=5)


def test_each_request_is_carried_out_once_and_answered(tmp_path: Path, owner: FakeMocks) -> None:
    asker = OwnerMocks(tmp_path, owner_alive=lambda: True, timeout=10)
    asker.kill(ERM)
    assert asker.down() == {ERM: "killed by a fault"}
    assert asker.restart(ERM) == 0.25
    asker.pause(ERM)
    asker.resume(ERM)
    assert owner.calls == [("kill", ERM), ("restart", ERM), ("pause", ERM), ("resume", ERM)]
    assert list((tmp_path / CONTROL_DIR).iterdir()) == []  # nothing left behind


def test_what_the_owner_cannot_do_comes_back_as_an_error(tmp_path: Path, owner: FakeMocks) -> None:
    asker = OwnerMocks(tmp_path, owner_alive=lambda: True, timeout=10)
    with pytest.raises(InfrastructureError, match="patient-app is not part of the running stack"):
        asker.kill(ServiceName.PATIENT_APP)
    owner.fail_with = TimeoutError("the erm mock did not die")
    with pytest.raises(InfrastructureError, match="TimeoutError: the erm mock did not die"):
        asker.kill(ERM)
    owner.fail_with = None
    asker.kill(ERM)  # the owner kept serving
    assert owner.calls == [("kill", ERM)]


def test_an_owner_that_is_gone_is_named(tmp_path: Path) -> None:
    asker = OwnerMocks(tmp_path, owner_alive=lambda: False, timeout=10)
    with pytest.raises(InfrastructureError, match="`harness up` process is gone"):
        asker.kill(ERM)
    assert list((tmp_path / CONTROL_DIR).iterdir()) == []


def test_an_owner_that_does_not_answer_times_out(tmp_path: Path) -> None:
    asker = OwnerMocks(tmp_path, owner_alive=lambda: True, timeout=0.2)
    with pytest.raises(InfrastructureError, match=r"did not answer kill in 0\.2s"):
        asker.kill(ERM)
    assert list((tmp_path / CONTROL_DIR).iterdir()) == []  # the request taken back


def test_unreadable_and_stale_requests_are_never_carried_out(tmp_path: Path) -> None:
    directory = tmp_path / CONTROL_DIR
    directory.mkdir()
    (directory / "1-bad.request.json").write_text('{"action": "explode"}')
    stale = directory / "2-old.request.json"
    stale.write_text('{"action": "kill", "service": "erm"}')
    old = time.time() - control.ANSWER_TIMEOUT_S - 60
    os.utime(stale, (old, old))
    mocks = FakeMocks()
    serve_pending(tmp_path, mocks)
    assert mocks.calls == []
    answer = (directory / "1-bad.answer.json").read_text()
    assert "unreadable control request 1-bad.request.json" in answer
    assert sorted(p.name for p in directory.iterdir()) == ["1-bad.answer.json"]
    serve_pending(tmp_path, mocks)  # served once: nothing is carried out again
    assert mocks.calls == []


def test_clear_forgets_what_an_earlier_stack_was_asked(tmp_path: Path) -> None:
    directory = tmp_path / CONTROL_DIR
    directory.mkdir()
    (directory / "1-x.request.json").write_text('{"action": "kill", "service": "erm"}')
    control.clear(tmp_path)
    mocks = FakeMocks()
    serve_pending(tmp_path, mocks)
    assert mocks.calls == []
