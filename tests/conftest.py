"""Shared fixtures: real mock-service processes on free loopback ports."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.net import free_port
from harness.process import ManagedProcess, ProcessSpec, Supervisor, http_ready


@dataclass(frozen=True)
class RunningMock:
    name: str
    port: int
    process: ManagedProcess
    db: Path | None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


StartMock = Callable[..., RunningMock]


def mock_spec(
    service: str, *, port: int, seed: int = 1, db: Path | None = None, extra: tuple[str, ...] = ()
) -> ProcessSpec:
    argv = [sys.executable, "-m", "mock_services", service, "--port", str(port)]
    argv += ["--seed", str(seed), *extra]
    if db is not None:
        argv += ["--db", str(db)]
    return ProcessSpec(
        name=f"{service}-{port}",
        argv=argv,
        ready=http_ready(f"http://127.0.0.1:{port}/__admin/health"),
        ready_timeout=30,
    )


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    with Supervisor(log_dir=tmp_path / "logs") as sup:
        yield sup


@pytest.fixture
def start_mock(supervisor: Supervisor) -> StartMock:
    """Start `python -m mock_services <service>` on a free port; stopped at test teardown."""

    def start(
        service: str, *, seed: int = 1, db: Path | None = None, extra: tuple[str, ...] = ()
    ) -> RunningMock:
        port = free_port()
        proc = supervisor.start(mock_spec(service, port=port, seed=seed, db=db, extra=extra))
        return RunningMock(name=service, port=port, process=proc, db=db)

    return start
