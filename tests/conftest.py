"""Shared fixtures: real mock-service processes on free loopback ports; the test tiers.

Every test belongs to one tier, a marker registered in pyproject.toml; a module sets it with
`pytestmark`, and a test's own marker overrides its module's:

- unit: logic in this process; no other process, no socket;
- integration: real processes of one part, or of one part and its neighbour, on loopback (a mock,
  a mock with a real client library, toxiproxy in front of an upstream, locust against a mock,
  the CLI and its errors, `harness up`), seconds each;
- e2e: the assembled system: a full stack (toxiproxy and the mocks) with a client under test or
  a pytest-plugin session, or a whole scenario run in real time; tens of seconds to minutes.

`make test-fast` runs unit and integration (`-m "not e2e"`); `make test` runs all three
concurrently on pytest-xdist workers (`--dist loadgroup`): tests that share a module- or
class-scoped fixture are grouped on one worker, every other test is spread one by one, and the
modules with e2e tests are handed out first (the longest jobs first shortens the whole run).
A test without a tier stops the collection.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpcore
import pytest

from harness.net import free_port
from harness.process import ManagedProcess, ProcessSpec, Supervisor, http_ready
from harness.toxiproxy.adapter import ToxiproxyClient
from harness.toxiproxy.install import Provision
from harness.toxiproxy.install import install as install_toxiproxy
from harness.toxiproxy.server import toxiproxy_server


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


# httpx imports httpcore lazily and keeps the exception classes of the httpcore it first saw. The
# `pytester` fixture restores sys.modules after each test, so an httpcore first imported inside a
# pytester test was dropped, imported again later, and its ConnectError no longer matched httpx's
# map: "httpcore.ConnectError" escaped every `except httpx.HTTPError` of the worker's later tests.
# Imported here, before any snapshot, it is one module for the whole session.
assert httpcore.ConnectError is not None

TIERS = ("unit", "integration", "e2e")

# For pytest sessions a test starts (the plugin's, the CI examples'): plugins of this venv's dev
# tools that a team's suite would not have, about 2 CPU-s per session (see pyproject's addopts).
UNRELATED_PLUGINS = ("-p", "no:faker", "-p", "no:schemathesis", "-p", "no:hypothesispytest")


def _shares_module_fixtures(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)  # pytest's own record of the fixtures a test uses
    if info is None:
        return False
    return any(
        definition.scope in ("module", "class", "package")
        for definitions in info.name2fixturedefs.values()
        for definition in definitions
    )


def tier_of(item: pytest.Item) -> str | None:
    """The closest tier marker: a test's own overrides its module's."""
    return next((m.name for m in item.iter_markers() if m.name in TIERS), None)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    grouping = config.pluginmanager.hasplugin("xdist")  # its marker is unknown with -p no:xdist
    wrong = []
    for item in items:
        tier = tier_of(item)
        if (
            grouping
            and item.get_closest_marker("xdist_group") is None
            and _shares_module_fixtures(item)
        ):
            # Tests that share a module's fixture (a mock, a stack, a baseline run) stay on one
            # xdist worker, so it starts once; every other test is spread one by one.
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
        if tier is None:
            wrong.append(f"{item.nodeid}: no tier")
        elif tier != "e2e" and item.get_closest_marker("e2e") is not None:
            wrong.append(f"{item.nodeid}: e2e cannot be overridden (`-m 'not e2e'` selects by it)")
    if wrong:
        raise pytest.UsageError(
            "every test needs a tier marker (pytest.mark.unit, .integration or .e2e; see "
            "tests/conftest.py): " + "; ".join(wrong[:10])
        )
    if grouping:
        # Longest first: the modules with e2e runs (tens of seconds to minutes each) start while
        # the short tests fill the gaps, instead of the last long run starting when the rest are
        # done. Whole modules move, in their own order, so that a module's fixtures are set up
        # and torn down exactly as without the sort (a module split in two would tear its
        # module-scoped fixtures down in the middle).
        slow = {item.nodeid.split("::", 1)[0] for item in items if tier_of(item) == "e2e"}
        items.sort(key=lambda item: 0 if item.nodeid.split("::", 1)[0] in slow else 1)


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


# -- toxiproxy (issue 4) ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def toxiproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToxiproxyClient]:
    """The real toxiproxy server for the session, cleared at start and stopped at the end.

    Provided by the same code as `harness toxiproxy install` (what `make toxiproxy` and CI run;
    quick when it is installed already), started on a free loopback port, or TOXIPROXY_URL.
    """
    provision = install_toxiproxy()
    state_dir = tmp_path_factory.mktemp("toxiproxy")
    with toxiproxy_server(port=free_port(), state_dir=state_dir, provision=provision) as client:
        yield client


@pytest.fixture(scope="session")
def toxiproxy_binary() -> Provision:
    """A toxiproxy-server binary tests may start themselves, even when TOXIPROXY_URL is set."""
    env = {key: value for key, value in os.environ.items() if key != "TOXIPROXY_URL"}
    return install_toxiproxy(env=env)


@pytest.fixture(scope="session")
def upstream_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A tiny real HTTP upstream (tests/upstream_app.py under uvicorn) for the proxy tests."""
    port = free_port()
    spec = ProcessSpec(
        name=f"upstream-{port}",
        argv=[
            *(sys.executable, "-m", "uvicorn", "tests.upstream_app:app"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        cwd=Path(__file__).resolve().parents[1],
        ready=http_ready(f"http://127.0.0.1:{port}/hello"),
    )
    with Supervisor(log_dir=tmp_path_factory.mktemp("upstream")) as sup:
        sup.start(spec)
        yield f"http://127.0.0.1:{port}"
