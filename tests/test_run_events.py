"""Run events, their bus and subscribers, the shared run options and the Python API's surface.

In process: the timeline executor drives a stand-in for the running stack, and the progress
line writes to a string. A whole run with its events is tests/test_python_api.py.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import io
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import harness
from examples.python_api import scenario as example_scenario
from harness.errors import HarnessError, UsageError
from harness.load.runner import Progress
from harness.runner.events import (
    EventBus,
    FaultAction,
    FaultApplied,
    FaultFailed,
    FaultRemoved,
    LeftoverStopped,
    LoadStopped,
    RunEvent,
    RunPhase,
    RunStarted,
    SecondCounts,
    StackReady,
    Tick,
    WaitingForWorkers,
    subscribers,
)
from harness.runner.options import RunOptions
from harness.runner.progress import ProgressLine
from harness.runner.signals import interruptible
from harness.runner.suite import SuiteOptions, check_parallel
from harness.runner.timeline import FaultWindows, TimelineExecutor
from harness.scenario.schedule import Schedule, build_schedule
from harness.toxiproxy.install import PINNED_VERSION
from harness.version import DISTRIBUTION
from tests.cli_support import harness_in_process

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]


def _scenario(*steps: dict[str, Any]) -> harness.Scenario:
    return harness.Scenario.model_validate(
        {
            "name": "events",
            "title": "events",
            "load": {"users": {"FrontDeskStaff": 1}, "duration": "60s"},
            "timeline": list(steps),
            "steady_state": {"before": {"duration": "2s"}},
            "checks": {"client_alive": True},
        }
    )


def _schedule(*steps: dict[str, Any]) -> Schedule:
    return build_schedule(_scenario(*steps))


DOWN = {"at": "1s", "for": "2s", "target": "bpjs", "fault": {"kind": "down"}}
OPEN = {"at": "3s", "target": "erm", "fault": {"kind": "latency", "latency": 100}}
RESTART = {"at": "5s", "target": "erm", "fault": {"kind": "restart"}}
RESTART_TOOK = 0.4  # seconds from the stop until the restarted process answered


# --- the bus --------------------------------------------------------------------------------------


def test_the_bus_delivers_in_order_and_a_raising_subscriber_is_recorded_not_fatal(
    tmp_path: Path,
) -> None:
    log = tmp_path / "logs" / "events.log"
    bus = EventBus(log_file=log)
    seen: list[str] = []

    def broken(event: RunEvent) -> None:
        raise ValueError(f"cannot take {type(event).__name__}")

    bus.subscribe(lambda event: seen.append(f"first {type(event).__name__}"))
    bus.subscribe(broken)
    bus.subscribe(lambda event: seen.append(f"last {type(event).__name__}"))
    bus.emit(StackReady(client_url="http://127.0.0.1:1"))
    bus.emit(LeftoverStopped(name="bpjs"))
    assert seen == [
        "first StackReady",
        "last StackReady",
        "first LeftoverStopped",
        "last LeftoverStopped",
    ]
    assert [(e.subscriber, e.event) for e in bus.errors] == [
        (broken.__qualname__, "StackReady"),
        (broken.__qualname__, "LeftoverStopped"),
    ]
    assert bus.errors[0].error == "ValueError: cannot take StackReady"
    text = log.read_text(encoding="utf-8")
    assert text.count("Traceback") == 1  # the first failure with its traceback, then one line
    assert "raised on LeftoverStopped: ValueError: cannot take LeftoverStopped" in text


def test_an_unguarded_subscriber_stops_the_emitter(tmp_path: Path) -> None:
    bus = EventBus(log_file=tmp_path / "events.log")

    def broken(event: RunEvent) -> None:
        raise RuntimeError("the journal's own subscriber")

    bus.subscribe(broken, guarded=False)
    with pytest.raises(RuntimeError, match="journal"):
        bus.emit(StackReady(client_url="x"))
    assert not (tmp_path / "events.log").exists()


def test_on_event_takes_one_subscriber_several_or_none() -> None:
    def one(event: RunEvent) -> None: ...

    def two(event: RunEvent) -> None: ...

    assert subscribers(None) == []
    assert subscribers(one) == [one]
    assert subscribers([one, two]) == [one, two]
    line = ProgressLine(stream=io.StringIO())
    assert subscribers(line) == [line]  # a callable object is one subscriber


# --- the timeline's events, and the journal's fault windows from them -----------------------------


@dataclasses.dataclass(frozen=True)
class FakeApplied:
    """A stand-in for AppliedStackFault: what was applied where; a restart's time to answer."""

    label: str
    back_after_s: float | None = None


class FakeStack:
    """A stand-in for RunningStack: records what is applied and removed, fails on request."""

    def __init__(
        self, *, fail_apply: frozenset[str] = frozenset(), fail_remove: frozenset[str] = frozenset()
    ) -> None:
        self.fail_apply = fail_apply
        self.fail_remove = fail_remove
        self.calls: list[str] = []

    def apply(self, service: object, fault: harness.DownFault) -> FakeApplied:
        if str(service) in self.fail_apply:
            raise HarnessError(f"{service} did not answer")
        self.calls.append(f"apply {service} {fault.kind}")
        back_after = RESTART_TOOK if fault.kind == "restart" else None
        return FakeApplied(f"{service}/{fault.kind}", back_after_s=back_after)

    def remove(self, applied: FakeApplied) -> float | None:
        if applied.label.split("/")[0] in self.fail_remove:
            raise HarnessError(f"{applied.label} stuck")
        self.calls.append(f"remove {applied.label}")
        return None


def _executor(
    schedule: Schedule, stack: FakeStack, events: list[RunEvent], *, elapsed: float
) -> TimelineExecutor:
    return TimelineExecutor(
        schedule,
        stack=stack,  # type: ignore[arg-type]
        t0=time.time() - elapsed,
        emit=events.append,
    )


def test_the_executor_sends_each_fault_with_its_scheduled_and_actual_time() -> None:
    schedule = _schedule(DOWN, OPEN, RESTART)
    events: list[RunEvent] = []
    stack = FakeStack()
    executor = _executor(schedule, stack, events, elapsed=100.0)  # everything is due
    executor.run_due()
    # ends before starts at the same instant; since t0 = the steady state before (2 s) + offset
    assert [(type(e).__name__, e.step.index, e.scheduled) for e in events] == [  # type: ignore[union-attr]
        ("FaultApplied", 0, 3.0),
        ("FaultRemoved", 0, 5.0),
        ("FaultApplied", 1, 5.0),
        ("FaultApplied", 2, 7.0),
    ]
    applied = events[0]
    assert isinstance(applied, FaultApplied)
    assert applied.actual == pytest.approx(100.0, abs=1.0)
    assert applied.late_ms == pytest.approx(97_000, abs=1000)
    assert not applied.instantaneous
    restart = events[-1]
    assert isinstance(restart, FaultApplied)
    assert restart.instantaneous
    assert restart.back_after_s == RESTART_TOOK
    assert executor.active() == ["erm: latency latency=100 jitter=0 (downstream)"]
    executor.heal_all()
    healed = events[-1]
    assert isinstance(healed, FaultRemoved)
    assert (healed.step.index, healed.scheduled, healed.late_ms) == (1, None, None)
    assert executor.active() == []
    assert stack.calls == [
        "apply bpjs down",
        "remove bpjs/down",
        "apply erm latency",
        "apply erm restart",
        "remove erm/latency",
    ]


def test_the_executor_sends_failures_and_runs_on() -> None:
    schedule = _schedule(DOWN, OPEN)
    events: list[RunEvent] = []
    executor = _executor(
        schedule,
        FakeStack(fail_apply=frozenset({"bpjs"}), fail_remove=frozenset({"erm"})),
        events,
        elapsed=100.0,
    )
    executor.run_due()
    executor.heal_all()
    failed = [e for e in events if isinstance(e, FaultFailed)]
    assert [(e.step.index, e.action, e.error) for e in failed] == [
        (0, FaultAction.APPLY, "bpjs did not answer"),
        (1, FaultAction.REMOVE, "erm/latency stuck"),
    ]
    # the bpjs fault never applied: its end has nothing to remove, and sends nothing
    assert [type(e).__name__ for e in events] == ["FaultFailed", "FaultApplied", "FaultFailed"]


def test_nothing_is_sent_before_its_time() -> None:
    events: list[RunEvent] = []
    executor = _executor(_schedule(DOWN), FakeStack(), events, elapsed=0.0)
    executor.run_due()
    assert events == []
    assert executor.next_at() == 3.0


def test_the_fault_windows_are_kept_from_the_events() -> None:
    schedule = _schedule(DOWN, OPEN, RESTART, {**DOWN, "at": "10s", "target": "patient-app"})
    windows = FaultWindows(schedule)
    steps = schedule.steps
    for event in (
        FaultApplied(step=steps[0], scheduled=3.0, actual=3.01, instantaneous=False),
        FaultRemoved(step=steps[0], scheduled=5.0, actual=5.02),
        FaultApplied(step=steps[1], scheduled=5.0, actual=5.03, instantaneous=False),
        FaultFailed(
            step=steps[1], action=FaultAction.REMOVE, scheduled=None, actual=60.0, error="stuck"
        ),
        FaultApplied(step=steps[2], scheduled=7.0, actual=7.04, instantaneous=True),
        FaultFailed(
            step=steps[3], action=FaultAction.APPLY, scheduled=12.0, actual=12.0, error="no answer"
        ),
        StackReady(client_url="ignored"),
    ):
        windows(event)
    down, latency, restart, failed = windows.windows()
    assert (down.scheduled_start, down.scheduled_end) == (3.0, 5.0)
    assert (down.actual_start, down.actual_end, down.error) == (3.01, 5.02, None)
    assert (latency.scheduled_end, latency.actual_start, latency.actual_end) == (None, 5.03, 60.0)
    assert latency.error == "could not remove: stuck"
    assert (restart.actual_start, restart.actual_end) == (7.04, 7.04)  # instantaneous
    assert (failed.actual_start, failed.actual_end) == (None, None)
    assert failed.error == "could not apply: no answer"
    assert down.description == "bpjs: down (connections refused)"
    assert (down.target, down.kind, str(down.layer)) == ("bpjs", "down", "network")


# --- the progress line, a subscriber --------------------------------------------------------------


def test_the_progress_line_writes_what_harness_run_always_wrote() -> None:
    stream = io.StringIO()  # not a terminal: a line per event, ticks every `every` seconds
    line = ProgressLine(stream=stream, every=3600)  # the first line of a run, then none
    load = Progress(requests_per_s=12.5, error_rate=0.02, degraded_rate=0.5, seconds=4)
    tick = Tick(
        elapsed=5.2,
        total=20.0,
        phase=RunPhase.FAULT,
        active_faults=("bpjs: down (connections refused)", "erm: kill -9"),
        second=SecondCounts(second=4, served=6, degraded=6, failed=1),
        load=load,
    )
    for event in (
        LeftoverStopped(name="bpjs-18101"),
        RunStarted(
            run_id="r1",
            scenario="s",
            title="A title",
            time_scale=180.0,
            run_dir=Path("r"),
            total_s=9,
        ),
        StackReady(client_url="http://127.0.0.1:5000"),
        WaitingForWorkers(count=2, command=("python", "-m", "locust", "--worker", "a b")),
        tick,
        tick,  # within `every`: not shown
        LoadStopped(duration=20.4, drain=3.0),
        RunStarted(
            run_id="r2", scenario="s", title="Next", time_scale=1.0, run_dir=Path("r"), total_s=9
        ),
        dataclasses.replace(tick, phase=RunPhase.STEADY, active_faults=()),  # a new run: shown
    ):
        line(event)
    assert stream.getvalue() == (
        "stopped bpjs-18101, left running by an earlier run that was killed\n"
        "run r1: A title (time scale 180)\n"
        "stack and client up; client at http://127.0.0.1:5000\n"
        "waiting for 2 remote worker(s); on each: python -m locust --worker 'a b'\n"
        "[     fault]     5s/20s    12.5 req/s  errors   2.0%  degraded  50.0%  "
        "faults: bpjs: down (connections refused), erm: kill -9\n"
        "load stopped after 20s; draining for 3s\n"
        "run r2: Next (time scale 1)\n"
        "[    steady]     5s/20s    12.5 req/s  errors   2.0%  degraded  50.0%  faults: none\n"
    )


# --- options --------------------------------------------------------------------------------------


def test_run_options_overrides_replace_only_what_is_given() -> None:
    options = RunOptions(report_dir=Path("out"), time_scale=60.0, workers=2)
    assert options.with_overrides() == options
    assert options.with_overrides(report_dir="elsewhere") == dataclasses.replace(
        options, report_dir=Path("elsewhere")
    )
    assert options.with_overrides(time_scale=600.0).time_scale == 600.0
    assert options.with_overrides(time_scale=600.0).workers == 2


def test_a_suite_holds_the_options_of_its_runs() -> None:
    suite = SuiteOptions(selector="ci")
    assert suite.run == RunOptions()
    check_parallel(dataclasses.replace(suite, parallel=3))
    remote = SuiteOptions(selector="ci", parallel=2, run=RunOptions(remote_workers=1))
    with pytest.raises(UsageError, match="--remote-workers"):
        check_parallel(remote)


# --- the Python API's surface ---------------------------------------------------------------------


def test_every_public_name_is_the_object_of_its_home_module() -> None:
    homes = harness._HOMES
    assert set(harness.__all__) == {*homes, "__version__"}
    for name, home in homes.items():
        module = importlib.import_module(home)
        assert getattr(harness, name) is getattr(module, name), name
        defined_in = getattr(getattr(module, name), "__module__", home)
        if defined_in.startswith(("harness.", "service_contract.")):  # not a typing alias
            assert defined_in == home, f"{name} is defined in {defined_in}, not {home}"
    assert "run" in dir(harness)


def test_a_name_the_package_does_not_have_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = harness.nope  # type: ignore[attr-defined]


@pytest.mark.integration
def test_a_cheap_name_imports_only_its_own_module() -> None:
    probe = (
        "import sys, harness\n"
        "harness.HarnessError\n"
        "assert 'harness.runner.engine' not in sys.modules, 'HarnessError loaded the engine'\n"
        "assert 'harness.scenario.loader' not in sys.modules, 'HarnessError loaded the loader'\n"
        "harness.ServiceName\n"
        "assert 'harness.runner.engine' not in sys.modules, 'ServiceName loaded the engine'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_the_version_is_the_installed_distribution_and_the_cli_prints_it() -> None:
    assert harness.__version__ == importlib.metadata.version(DISTRIBUTION)
    done = harness_in_process("--version")
    assert done.returncode == 0
    assert done.stdout == f"harness {harness.__version__} (toxiproxy {PINNED_VERSION})\n"


def test_run_without_a_client_says_how_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="names no client under test; pass client="):
        harness.run(example_scenario, report_dir=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing started, nothing written


def test_a_loaded_scenario_names_its_client_file_absolutely(tmp_path: Path) -> None:
    scenario = harness.load_scenario(ROOT / "examples" / "custom_load" / "scenario.yaml")
    assert scenario.client == str(ROOT / "examples" / "custom_load" / "client.yaml")
    client = harness.load_client(str(ROOT / "examples" / "clients" / "resilient.yaml"))
    assert client.name == "resilient"


def test_the_readme_shows_the_python_api_example_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    example = (ROOT / "examples" / "python_api.py").read_text(encoding="utf-8")
    assert example in blocks, "README.md's Python API block must be examples/python_api.py"


def test_a_run_in_a_thread_of_its_own_leaves_the_signal_handlers_alone() -> None:
    before = signal.getsignal(signal.SIGTERM)
    seen: list[object] = []

    def in_thread() -> None:
        with interruptible():  # would raise ValueError if it set a handler here
            seen.append(signal.getsignal(signal.SIGTERM))

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join(timeout=10)
    assert seen == [before]
    with interruptible():
        assert signal.getsignal(signal.SIGTERM) is not before  # the main thread: Terminated
    assert signal.getsignal(signal.SIGTERM) is before
