"""One scenario run, end to end: `run` takes a scenario in memory, `run_scenario` a scenario file.

    result = run(scenario, client="examples/clients/resilient.yaml", on_event=print)
    result = run_scenario(Path("scenarios/bpjs-outage.yaml"), client=Path("clients/ours.yaml"))
    result.verdict, result.exit_code    # pass: 0, every check passed; fail: 1, a check failed;
                                        # inconclusive: 4 (RunOptions.inconclusive maps it)

`run_scenario` reads and validates the file (errors name its lines) and hands the scenario to
`run`: a scenario built in Python and the same scenario read from YAML run the same code. The
order: start toxiproxy, the mocks and their proxies -> start the client -> load starts (t0) ->
steady state before must hold -> the timeline, faults applied and removed at their times while
the load runs -> steady state after -> load stops, faults healed -> drain (the client replays
what it queued) -> ledgers read -> checks -> journal.json, junit.xml and the reports.

What happens is sent to subscribers as typed events (harness.runner.events): the live progress
line is one, the journal's fault windows another.

A client's relative `cwd`, `command` and `locustfile` start from the client file's directory
when the client is a file; else from the scenario file's directory when the scenario came from
one (`scenario_path`); else from the current working directory.

Teardown is one ExitStack plus the Supervisor: faults healed, toxiproxy reset, every process
stopped, on success, failure, exception, Ctrl-C or SIGTERM. The request logs and process logs stay
in the run directory whatever happened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from harness import paths
from harness.client import ClientDefinition, load_client
from harness.errors import (
    ExitCode,
    HarnessError,
    InfrastructureError,
    UnsafeTargetError,
    UsageError,
)
from harness.library import resolve_client
from harness.load.classes import missing_user_classes
from harness.load.config import LoadConfig
from harness.load.runner import LoadPlan, LoadRun, start_load, worker_argv
from harness.net import free_ports
from harness.process import Supervisor, owner_state_file, reap_abandoned
from harness.report import REPORT_FILE, write_reports
from harness.report.terminal import summary_lines  # the checks table, for the engine's callers
from harness.results.checks import Verdict, evaluate, steady_state_after
from harness.results.journal import Journal, Versions, build_journal, write_journal
from harness.results.junit import write_junit
from harness.results.ledger import Ledger
from harness.results.run import LoadGeneration, RunData
from harness.results.timeline import read_request_log
from harness.runner.client import RunningClient, start_on_stack
from harness.runner.events import (
    EVENTS_LOG,
    CheckEvaluated,
    EventBus,
    LeftoverStopped,
    LoadStopped,
    PhaseChanged,
    RunAborted,
    RunFinished,
    RunPhase,
    RunStarted,
    StackReady,
    Subscriber,
    SubscriberError,
    Tick,
    WaitingForWorkers,
    subscribers,
)
from harness.runner.options import RunOptions
from harness.runner.probes import LivenessProber
from harness.runner.signals import interruptible
from harness.runner.timeline import FaultWindows, TimelineExecutor
from harness.scenario.loader import load_scenario, locustfile_of
from harness.scenario.model import Scenario
from harness.scenario.schedule import Schedule, build_schedule
from harness.scenario.types import CLIENT
from harness.stack import tls
from harness.stack.running import RunningStack, running_stack
from harness.stack.topology import Topology
from harness.toxiproxy.install import Provision, require
from mock_services.common import clock

TICK_S: Final = 0.25
RECORDS_DELAY_S: Final = 10.0  # how long the steady state before waits for late worker records
LOAD_START_S: Final = 60.0  # locust (and local workers) importing and connecting
REMOTE_JOIN_S: Final = 600.0  # someone starting workers on other machines by hand

ClientSource = ClientDefinition | str | os.PathLike[str]
"""A client under test: its definition, or the path of its client file."""


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    journal_path: Path
    junit_path: Path
    journal: Journal
    subscriber_errors: tuple[SubscriberError, ...] = ()
    """Exceptions `on_event` subscribers raised (the run went on; logs/events.log has them)."""

    @property
    def verdict(self) -> Verdict:
        return self.journal.verdict

    @property
    def exit_code(self) -> int:
        return self.journal.exit_code

    @property
    def report_path(self) -> Path:
        return self.run_dir / REPORT_FILE


@dataclass(frozen=True, kw_only=True)
class _Client:
    definition: ClientDefinition
    base_dir: Path
    """Where its relative cwd, command and locustfile start."""


@dataclass(frozen=True, kw_only=True)
class _Plan:
    """What one run is made of, decided before anything starts."""

    run_id: str
    run_dir: Path
    scenario: Scenario
    scenario_path: Path | None
    client: _Client
    schedule: Schedule
    options: RunOptions
    provision: Provision


@dataclass(frozen=True)
class _Started:
    stack: RunningStack
    client: RunningClient


def run(
    scenario: Scenario,
    *,
    client: ClientSource | None = None,
    report_dir: str | os.PathLike[str] | None = None,
    time_scale: float | None = None,
    on_event: Subscriber | Iterable[Subscriber] | None = None,
    options: RunOptions | None = None,
    scenario_path: Path | None = None,
) -> RunResult:
    """Run `scenario` against `client` end to end; the result holds the verdict and the journal.

    client        a ClientDefinition, the path of a client file, or a built-in reference
                  client's name ("resilient", "naive", "lenient"); None: the scenario's own
                  `client:` (a file named there is relative to `scenario_path`, else to the
                  working directory)
    report_dir    where the run's directory goes; None: `options.report_dir` (reports/)
    time_scale    incident seconds per wall second; None: `options.time_scale`, else the
                  scenario's own
    on_event      a subscriber, or several, to the run's events (harness.runner.events)
    options       workers, master address, allowed hosts, ... (RunOptions)
    scenario_path the file the scenario was read from, if any: recorded in the journal, and the
                  base of an inline client's relative paths

    A check that fails is a verdict (exit_code 1), not an error. Invalid input raises UsageError
    (exit 2), an environment or process failure InfrastructureError (exit 3), and Ctrl-C or
    SIGTERM KeyboardInterrupt, always after the teardown. SIGTERM unwinds the run like Ctrl-C
    when it runs in the main thread; in another thread, the process's owner handles signals.
    """
    options = (options or RunOptions()).with_overrides(report_dir=report_dir, time_scale=time_scale)
    chosen = _resolve_client(scenario, client, scenario_path, options.allowed_hosts)
    _check_client_faults(scenario, chosen.definition)
    why = missing_user_classes(
        locustfile_of(chosen.definition, chosen.base_dir), scenario.load.users
    )
    if why is not None:
        raise UsageError(f"scenario {scenario.name}: {why}")
    schedule = build_schedule(scenario, time_scale=options.time_scale)
    provision = require()  # exit 3 with the ways to provide toxiproxy when it is missing
    started_at = dt.datetime.now(dt.UTC)
    run_id = f"{started_at:%Y%m%d-%H%M%S}-{scenario.name}-{secrets.token_hex(2)}"
    plan = _Plan(
        run_id=run_id,
        run_dir=options.report_dir / run_id,
        scenario=scenario,
        scenario_path=scenario_path,
        client=chosen,
        schedule=schedule,
        options=options,
        provision=provision,
    )
    bus = EventBus(log_file=plan.run_dir / "logs" / EVENTS_LOG)
    windows = FaultWindows(schedule)
    bus.subscribe(windows, guarded=False)  # the journal's fault timing
    for handler in subscribers(on_event):
        bus.subscribe(handler)
    try:
        data = _execute(plan, bus, windows)
        return _judge(plan, data, started_at, bus)
    except (Exception, KeyboardInterrupt) as exc:
        bus.emit(RunAborted(exit_code=_exit_code(exc), error=str(exc) or type(exc).__name__))
        raise


def run_scenario(
    path: Path,
    *,
    client: Path | None = None,
    options: RunOptions | None = None,
    on_event: Subscriber | Iterable[Subscriber] | None = None,
) -> RunResult:
    """`harness run FILE [--client FILE]`: the file validated (with its client), then `run`."""
    options = options or RunOptions()
    loaded = load_scenario(path, client_override=client, allowed_hosts=options.allowed_hosts)
    if loaded.client is None:
        raise UsageError(
            f"{loaded.path}: the scenario names no client under test; give one with --client "
            "(your client file, which `harness init` writes, or --client resilient to try the "
            "reference client) or a `client:` key in the file"
        )
    return run(
        loaded.scenario,
        client=client,
        options=options,
        on_event=on_event,
        scenario_path=loaded.path,
    )


def _check_client_faults(scenario: Scenario, client: ClientDefinition) -> None:
    """A step that faults the client's process needs a client the harness starts itself."""
    faulted = [step for step in scenario.timeline.steps if step.target == CLIENT]
    if faulted and client.command is None:
        raise UsageError(
            f"scenario {scenario.name} kills, restarts or pauses the client, but client "
            f"{client.name} has no command: the harness can only fault a client it starts; "
            "give its command in the client file"
        )


def _resolve_client(
    scenario: Scenario,
    client: ClientSource | None,
    scenario_path: Path | None,
    allowed_hosts: tuple[str, ...],
) -> _Client:
    base = scenario_path.parent if scenario_path is not None else Path.cwd()
    chosen = client if client is not None else scenario.client
    if chosen is None:
        raise UsageError(
            f"scenario {scenario.name} names no client under test; pass client= (a "
            'ClientDefinition, a client file, or a built-in client\'s name such as "resilient")'
        )
    if isinstance(chosen, ClientDefinition):
        issues = chosen.target_issues(allowed_hosts=allowed_hosts)
        if issues:
            raise UnsafeTargetError(f"client {chosen.name}: {issues[0].message}")
        return _Client(definition=chosen, base_dir=base)
    path = Path(chosen)
    if client is None:  # the scenario's own `client:` file is relative to the scenario
        path = (base / path).resolve()
    elif not path.is_file():  # or a built-in reference client by name ("resilient")
        path = resolve_client(str(chosen))
    return _Client(definition=load_client(path, allowed_hosts=allowed_hosts), base_dir=path.parent)


def _exit_code(exc: BaseException) -> int:
    if isinstance(exc, HarnessError):
        return int(exc.exit_code)
    if isinstance(exc, KeyboardInterrupt):
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.INFRASTRUCTURE)  # a crash is never a verdict


def _execute(plan: _Plan, bus: EventBus, windows: FaultWindows) -> RunData:
    """Stack, client, load, timeline, drain, ledgers: what the checks will judge."""
    schedule, run_dir = plan.schedule, plan.run_dir
    for name in reap_abandoned(paths.state_dir(), "run"):  # what a `kill -9`ed run left running
        bus.emit(LeftoverStopped(name=name))
    bus.emit(
        RunStarted(
            run_id=plan.run_id,
            scenario=plan.scenario.name,
            title=plan.scenario.title,
            time_scale=schedule.time_scale,
            run_dir=run_dir,
            total_s=schedule.total,
        )
    )
    with (
        interruptible(),
        Supervisor(
            log_dir=run_dir / "logs",
            state_file=owner_state_file(paths.state_dir(), "run", plan.run_id),
        ) as sup,
        contextlib.ExitStack() as teardown,
    ):
        started = _start(sup, teardown, plan)
        bus.emit(StackReady(client_url=started.client.base_url))
        load_plan = _load_plan(plan, started)
        load = start_load(sup, load_plan, run_dir=run_dir)
        if load_plan.remote_workers:
            argv = worker_argv(
                load_plan, master_host=load_plan.master_bind, master_port=load.master_port
            )
            bus.emit(WaitingForWorkers(count=load_plan.remote_workers, command=tuple(argv)))
        # The run's clock starts with the users (with workers: once every worker has joined).
        t0 = load.wait_started(timeout=REMOTE_JOIN_S if load_plan.remote_workers else LOAD_START_S)
        executor = TimelineExecutor(schedule, stack=started.stack, t0=t0, emit=bus.emit)
        teardown.callback(executor.heal_all)  # whatever happens, no fault outlives the run
        prober = teardown.enter_context(
            LivenessProber(started.client.probe_url, t0=t0, client=started.stack.client)
        )
        _drive(plan, load, executor, bus, t0)
        load.wait(timeout=30)
        duration = time.time() - t0
        executor.heal_all()
        bus.emit(LoadStopped(duration=duration, drain=schedule.drain))
        _sleep_until(time.monotonic() + schedule.drain)
        ledger = _read_ledger(started.stack)
        prober.stop()
        faults = windows.windows()
    return RunData(
        duration=duration,
        requests=read_request_log(load.request_logs(), t0=t0),
        faults=faults,
        ledger=ledger,
        probes=tuple(prober.results),
        client_exit=prober.exit,
        load=LoadGeneration(
            local_workers=load_plan.workers,
            remote_workers=load_plan.remote_workers,
            locust_requests=load.locust_requests(),
        ),
    )


def _judge(plan: _Plan, data: RunData, started_at: dt.datetime, bus: EventBus) -> RunResult:
    """The checks, the journal and the reports."""
    scenario = plan.scenario
    results = evaluate(scenario.checks, data)
    if (after := steady_state_after(scenario.steady_state.after, data)) is not None:
        results.append(after)
    for result in results:
        bus.emit(CheckEvaluated(result=result))
    journal = build_journal(
        run_id=plan.run_id,
        scenario=scenario,
        run=data,
        results=results,
        time_scale=plan.schedule.time_scale,
        started_at=started_at,
        finished_at=dt.datetime.now(dt.UTC),
        versions=Versions.current(
            toxiproxy=plan.provision.version, client=plan.client.definition.name
        ),
        client=plan.client.definition,
        scenario_path=plan.scenario_path,
        inconclusive=plan.options.inconclusive,
    )
    journal_path = write_journal(journal, plan.run_dir / "journal.json")
    junit_path = write_junit(journal, plan.run_dir / "junit.xml")
    write_reports(journal, plan.run_dir)
    bus.emit(
        RunFinished(
            verdict=journal.verdict,
            exit_code=journal.exit_code,
            run_dir=plan.run_dir,
            journal_path=journal_path,
        )
    )
    return RunResult(plan.run_dir, journal_path, junit_path, journal, bus.errors)


def _start(sup: Supervisor, teardown: contextlib.ExitStack, plan: _Plan) -> _Started:
    scenario, client = plan.scenario, plan.client.definition
    ports = free_ports(2 + 2 * len(scenario.stack.services))  # toxiproxy, mocks, proxies, client
    # Free ports for everything, so runs never clash with `harness up` or with each other.
    topology = Topology.on_ports(
        ports,
        scenario.stack.services,
        seed=scenario.stack.seed,
        db_dir=plan.run_dir / "db",
        tls=tls.issue(plan.run_dir / "tls") if scenario.stack.tls else None,
    )
    stack = teardown.enter_context(running_stack(sup, topology, provision=plan.provision))
    running = start_on_stack(
        sup,
        stack,
        client,
        definition_dir=plan.client.base_dir,
        port=ports[-1],
        work_dir=plan.run_dir / "client",
        allowed_hosts=plan.options.allowed_hosts,
    )
    return _Started(stack, running)


def _load_plan(plan: _Plan, started: _Started) -> LoadPlan:
    scenario, client, schedule = plan.scenario, plan.client.definition, plan.schedule
    locustfile = locustfile_of(client, plan.client.base_dir)
    counts = dict(scenario.load.users)
    config = LoadConfig(
        out_dir=plan.run_dir / "load",
        seed=scenario.stack.seed,
        user_counts=counts,
        degraded_marker=client.degraded_marker,
        patience_s=scenario.load.patience,
        visit_date=clock.today().isoformat(),  # the services' day (WIB)
    )
    options = plan.options
    return LoadPlan(
        locustfile=locustfile,
        host=started.client.base_url,
        user_counts=counts,
        spawn_rate=scenario.load.spawn_rate,
        run_time_s=schedule.steady_before + schedule.load_duration + schedule.steady_after,
        config=config,
        workers=options.workers,
        remote_workers=options.remote_workers,
        master_bind=options.master_bind,
        master_port=options.master_port,
    )


def _drive(
    plan: _Plan, load: LoadRun, executor: TimelineExecutor, bus: EventBus, t0: float
) -> None:
    """The main loop: faults at their times, the steady state before, a tick a second."""
    schedule = plan.schedule
    total = schedule.steady_before + schedule.load_duration + schedule.steady_after
    steady_checked = schedule.steady_before <= 0
    # Judged once the requests of its last second have had a second to finish, and their
    # records have arrived (a worker's reach the master late), or RECORDS_DELAY_S after that.
    steady_at = schedule.steady_before + 1
    phase: RunPhase | None = None
    ticked = -1  # the last whole second a Tick was sent in
    while not load.finished():
        executor.run_due()
        elapsed = time.time() - t0
        if (
            not steady_checked
            and elapsed >= steady_at
            and (load.records_through() >= steady_at or elapsed >= steady_at + RECORDS_DELAY_S)
        ):
            _check_steady_before(plan.scenario, schedule, load)
            steady_checked = True
        if (current := _phase(elapsed, schedule, executor)) is not phase:
            bus.emit(PhaseChanged(phase=current, previous=phase, elapsed=elapsed))
            phase = current
        if int(elapsed) > ticked:
            ticked = int(elapsed)
            progress = load.progress()
            bus.emit(
                Tick(
                    elapsed=elapsed,
                    total=total,
                    phase=current,
                    active_faults=tuple(executor.active()),
                    second=progress.last_second,
                    load=progress,
                )
            )
        upcoming = executor.next_at()
        # From the clock after this round's work: the next fault is not late by its duration.
        wait = TICK_S if upcoming is None else min(TICK_S, max(0.0, upcoming - executor.now()))
        time.sleep(wait)


def _phase(elapsed: float, schedule: Schedule, executor: TimelineExecutor) -> RunPhase:
    if elapsed < schedule.steady_before:
        return RunPhase.STEADY
    if executor.active():
        return RunPhase.FAULT
    if elapsed >= schedule.steady_before + schedule.load_duration:
        return RunPhase.RECOVERY
    return RunPhase.TIMELINE


def _check_steady_before(scenario: Scenario, schedule: Schedule, load: LoadRun) -> None:
    window = scenario.steady_state.before
    rate, total = load.served_rate(0, int(schedule.steady_before))
    if total == 0 or rate < window.min_served_rate:
        late = load.late_sources(schedule.steady_before + 1)
        why = (
            f"the records of {', '.join(late)} had not arrived {RECORDS_DELAY_S:g}s later; "
            "the load processes are overloaded or cut off"
            if late
            else "the client or the stack is unhealthy"
        )
        raise InfrastructureError(
            f"steady state before did not hold: served {rate:.0%} of {total} requests in the "
            f"first {schedule.steady_before:g}s (needs {window.min_served_rate:.0%}) before any "
            f"fault; {why}, see the logs in the run directory"
        )


def _sleep_until(deadline: float) -> None:
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, TICK_S))


def _read_ledger(stack: RunningStack) -> Ledger:
    try:
        return stack.ledger()
    except InfrastructureError as exc:
        raise InfrastructureError(f"could not read the ledgers after the run: {exc}") from None


__all__ = [
    "ClientSource",
    "RunOptions",
    "RunResult",
    "run",
    "run_scenario",
    "summary_lines",
]
