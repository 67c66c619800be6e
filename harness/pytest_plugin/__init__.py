"""Resilience tests inside a client's own test suite: the harness as a pytest plugin.

Registered through the `pytest11` entry point, so installing the harness is enough; nothing
starts until a test asks for it.

    def test_eligibility_falls_back(harness_stack, chaos):
        client = MyBpjsClient(harness_stack.bpjs.vclaim_url, timeout=2)
        with chaos.fault("bpjs", "down"):
            assert client.eligibility(nik).pending_verification

    @pytest.mark.fault("erm", "http_error", status=503, probability=0.5)
    def test_visits_retry(harness_stack): ...

    @pytest.mark.scenario("scenarios/incident-2-erm-down.yaml", client="clients/ours.yaml")
    def test_incident_2(scenario_run): ...

    def test_outbox_survives_a_power_cut(harness_client, chaos):   # --harness-client FILE
        register(harness_client.url("/registrations"), ...)
        with chaos.fault("erm", "down"):
            ...                                           # queued in the client's outbox
            chaos.fault("client", "kill").remove()        # SIGKILL, then started again

Fixtures: `harness_stack` (session: toxiproxy, the mocks and their proxies on free loopback
ports, so pytest-xdist workers never clash), `harness_client` (session: the client under test of
--harness-client, started on that stack; then `client` takes kill, restart and pause), `chaos`
(faults healed at teardown; anything left on the stack fails the test) and `scenario_run`.
Markers: `fault` and `scenario`. Options, ini keys and environment variables:
harness.pytest_plugin.settings.
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from harness.pytest_plugin.settings import PluginSettings, add_options, read_settings

if TYPE_CHECKING:
    from harness.pytest_plugin.chaos import Chaos, ChaosError, ChaosFault
    from harness.pytest_plugin.stack import (
        BpjsAccess,
        ErmAccess,
        SessionClient,
        SessionStack,
        Stack,
    )
    from harness.runner.engine import RunResult

# Only light modules at import: pytest loads this plugin in every session of every project that
# installs the harness. The stack, chaos and the scenario runner are imported when first used.

_SETTINGS = pytest.StashKey[PluginSettings]()
_SCENARIO_FAILURE = pytest.StashKey[str | None]()

FAULT_MARKER = (
    "fault(service, kind, **attributes): apply a harness fault to the session stack for the "
    'whole test, e.g. @pytest.mark.fault("bpjs", "latency", latency=2000); repeatable'
)
SCENARIO_MARKER = (
    "scenario(path, client=None, time_scale=None): run a scenario file end to end as the "
    "test; its checks are the assertions (paths relative to the rootdir)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SETTINGS] = read_settings(config)
    config.addinivalue_line("markers", FAULT_MARKER)
    config.addinivalue_line("markers", SCENARIO_MARKER)


def pytest_report_header(config: pytest.Config) -> str:
    settings = config.stash[_SETTINGS]
    services = ",".join(settings.services)
    https = ", HTTPS" if settings.tls else ""
    return (
        f"harness: seed {settings.seed}, services {services}{https}, reports in "
        f"{settings.report_dir}"
    )


def settings_of(config: pytest.Config) -> PluginSettings:
    return config.stash[_SETTINGS]


@pytest.fixture(scope="session")
def _harness_running(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SessionStack]:
    from harness.errors import HarnessError
    from harness.pytest_plugin.stack import session_stack

    settings = settings_of(pytestconfig)
    with contextlib.ExitStack() as resources:
        try:
            running = resources.enter_context(
                session_stack(
                    seed=settings.seed,
                    services=settings.services,
                    work_dir=tmp_path_factory.mktemp("harness-stack"),
                    tls=settings.tls,
                )
            )
        except HarnessError as exc:
            pytest.fail(f"harness_stack could not start: {exc}", pytrace=False)
        yield running


@pytest.fixture(scope="session")
def harness_stack(_harness_running: SessionStack) -> Stack:
    """The session stack (harness.pytest_plugin.stack.Stack): URLs, credentials, dataset."""
    return _harness_running.stack


@pytest.fixture(scope="session")
def harness_client(
    _harness_running: SessionStack,
    pytestconfig: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
) -> SessionClient:
    """The client under test of --harness-client (HARNESS_CLIENT, ini harness_client), started
    on the session stack and wired to its proxies; `chaos.fault("client", "kill")` can hit it."""
    from harness import library
    from harness.errors import HarnessError

    settings = settings_of(pytestconfig)
    if settings.client is None:
        pytest.fail(
            "harness_client needs a client file: pass --harness-client FILE (or set "
            "HARNESS_CLIENT, or the ini key harness_client): your client file (`harness init` "
            "writes one), or a built-in client's name such as resilient",
            pytrace=False,
        )
    try:
        client = settings.client
        if not client.is_file():  # a built-in reference client by name: "resilient"
            client = library.builtin_clients().get(str(client), client)
        return _harness_running.start_client(
            client,
            work_dir=tmp_path_factory.mktemp("harness-client"),
            allowed_hosts=settings.allowed_hosts,
        )
    except HarnessError as exc:
        pytest.fail(f"harness_client could not start: {exc}", pytrace=False)


@pytest.fixture
def chaos(_harness_running: SessionStack) -> Iterator[Chaos]:
    """Faults on the session stack (harness.pytest_plugin.chaos.Chaos), healed at teardown."""
    from harness.pytest_plugin.chaos import Chaos

    applied = Chaos(_harness_running)
    yield applied
    message = applied.finish()
    if message is not None:
        pytest.fail(message, pytrace=False)


@pytest.fixture
def scenario_run(request: pytest.FixtureRequest) -> RunResult:
    """The run (harness.runner.engine.RunResult) of the test's @pytest.mark.scenario."""
    from harness.pytest_plugin.scenario import (
        InconclusiveWarning,
        ScenarioMarkerError,
        failure_message,
        passed_with_warning,
        request_from_marker,
        run,
    )
    from harness.report import REPORT_FILE

    marker = request.node.get_closest_marker("scenario")
    if marker is None:
        pytest.fail(
            'scenario_run needs @pytest.mark.scenario("scenarios/....yaml") on the test',
            pytrace=False,
        )
    settings = settings_of(request.config)
    try:
        wanted = request_from_marker(
            marker.args, marker.kwargs, root=request.config.rootpath, settings=settings
        )
        result = run(wanted, settings=settings)
    except ScenarioMarkerError as exc:
        pytest.fail(str(exc), pytrace=False)
    request.node.user_properties.append(("harness_report", str(result.run_dir / REPORT_FILE)))
    request.node.user_properties.append(("harness_verdict", result.journal.verdict.value))
    request.node.stash[_SCENARIO_FAILURE] = failure_message(result)
    warning = passed_with_warning(result)
    if warning is not None:
        warnings.warn(InconclusiveWarning(warning), stacklevel=1)
    return result


@pytest.fixture(autouse=True)
def _harness_markers(request: pytest.FixtureRequest) -> None:
    """Fault markers applied through `chaos`; the stack guarded by `chaos` whenever a test uses
    it; the scenario marker run before the test."""
    node = request.node
    faults = list(node.iter_markers("fault"))
    if faults or "harness_stack" in request.fixturenames:
        from harness.pytest_plugin.chaos import ChaosError, fault_from_marker

        applied: Chaos = request.getfixturevalue("chaos")
        try:
            for marker in reversed(faults):  # the outermost (module, class) first
                service, kind = fault_from_marker(marker.args, marker.kwargs)
                applied.fault(service, kind, **marker.kwargs)
        except ChaosError as exc:
            pytest.fail(str(exc), pytrace=False)
    if node.get_closest_marker("scenario") is not None:
        request.getfixturevalue("scenario_run")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """A scenario test fails on its checks before its body runs."""
    failure = item.stash.get(_SCENARIO_FAILURE, None)
    if failure is not None:
        pytest.fail(failure, pytrace=False)


_LAZY = {
    "Stack": "harness.pytest_plugin.stack",
    "BpjsAccess": "harness.pytest_plugin.stack",
    "ErmAccess": "harness.pytest_plugin.stack",
    "SessionClient": "harness.pytest_plugin.stack",
    "Chaos": "harness.pytest_plugin.chaos",
    "ChaosFault": "harness.pytest_plugin.chaos",
    "ChaosError": "harness.pytest_plugin.chaos",
    "RunResult": "harness.runner.engine",
    "InconclusiveWarning": "harness.pytest_plugin.scenario",
}


def __getattr__(name: str) -> object:
    """The types tests annotate with (`def test_x(harness_stack: Stack, chaos: Chaos)`), imported
    on first use so that loading the plugin stays cheap."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "FAULT_MARKER",
    "SCENARIO_MARKER",
    "BpjsAccess",
    "Chaos",
    "ChaosError",
    "ChaosFault",
    "ErmAccess",
    "InconclusiveWarning",
    "RunResult",
    "SessionClient",
    "Stack",
    "settings_of",
]
