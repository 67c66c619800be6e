"""One scenario run, end to end.

    result = run_scenario(RunOptions(scenario_path=Path("scenarios/bpjs-outage.yaml"),
                                     client_path=Path("examples/clients/resilient.yaml")))
    result.exit_code    # 0 every check passed, 1 a check failed

The order: validate -> start toxiproxy, the mocks and their proxies -> start the client ->
load starts (t0) -> steady state before must hold -> the timeline, faults applied and removed at
their times while the load runs -> steady state after -> load stops, faults healed -> drain (the
client replays what it queued) -> ledgers read -> checks -> journal.json + junit.xml.

Teardown is one ExitStack plus the Supervisor: faults healed, toxiproxy reset, every process
stopped, on success, failure, exception, Ctrl-C or SIGTERM. The request logs and process logs stay
in the run directory whatever happened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import shlex
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from harness import paths
from harness.client import ClientDefinition
from harness.errors import InfrastructureError, UsageError
from harness.load.config import LoadConfig
from harness.load.runner import BUILTIN_LOCUSTFILE, LoadPlan, LoadRun, start_load, worker_argv
from harness.net import LOOPBACK_HOST, free_ports
from harness.process import Supervisor, owner_state_file, reap_abandoned
from harness.report import write_reports
from harness.results.checks import CheckResult, evaluate, steady_state_after
from harness.results.journal import Journal, Versions, build_journal, write_journal
from harness.results.junit import write_junit
from harness.results.ledger import Ledger
from harness.results.run import LoadGeneration, RunData
from harness.results.timeline import read_request_log
from harness.runner.client import RunningClient, start_client, template_values
from harness.runner.probes import LivenessProber
from harness.runner.progress import ProgressLine
from harness.runner.signals import interruptible
from harness.runner.timeline import TimelineExecutor
from harness.scenario.loader import ScenarioFile, load_scenario
from harness.scenario.model import Scenario
from harness.scenario.schedule import Schedule, build_schedule
from harness.stack.running import RunningStack, running_stack
from harness.stack.topology import Topology
from harness.toxiproxy.install import Provision, require

TICK_S: Final = 0.25
RECORDS_DELAY_S: Final = 10.0  # how long the steady state before waits for late worker records
LOAD_START_S: Final = 60.0  # locust (and local workers) importing and connecting
REMOTE_JOIN_S: Final = 600.0  # someone starting workers on other machines by hand


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    scenario_path: Path
    client_path: Path | None = None
    report_dir: Path = Path("reports")
    time_scale: float | None = None
    workers: int = 0
    remote_workers: int = 0
    master_bind: str = LOOPBACK_HOST
    master_port: int | None = None  # None: a free port
    allowed_hosts: tuple[str, ...] = ()
    progress: ProgressLine | None = None


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    journal_path: Path
    junit_path: Path
    journal: Journal

    @property
    def exit_code(self) -> int:
        return self.journal.exit_code


@dataclass(frozen=True)
class _Started:
    stack: RunningStack
    client: RunningClient


def run_scenario(options: RunOptions) -> RunResult:
    loaded = load_scenario(
        options.scenario_path,
        client_override=options.client_path,
        allowed_hosts=options.allowed_hosts,
    )
    client = _require_client(loaded)
    scenario = loaded.scenario
    schedule = build_schedule(scenario, time_scale=options.time_scale)
    provision = require()  # exit 3 with the ways to provide toxiproxy when it is missing
    started_at = dt.datetime.now(dt.UTC)
    run_id = f"{started_at:%Y%m%d-%H%M%S}-{scenario.name}-{secrets.token_hex(2)}"
    run_dir = options.report_dir / run_id
    progress = options.progress or ProgressLine()
    for name in reap_abandoned(paths.state_dir(), "run"):  # what a `kill -9`ed run left running
        progress.say(f"stopped {name}, left running by an earlier run that was killed")
    progress.say(f"run {run_id}: {scenario.title} (time scale {schedule.time_scale:g})")
    with (
        interruptible(),
        Supervisor(
            log_dir=run_dir / "logs", state_file=owner_state_file(paths.state_dir(), "run", run_id)
        ) as sup,
        contextlib.ExitStack() as teardown,
    ):
        started = _start(sup, teardown, scenario, client, loaded, run_dir, options, provision)
        progress.say(f"stack and client up; client at {started.client.base_url}")
        plan = _load_plan(scenario, schedule, started, client, loaded, run_dir, options)
        load = start_load(sup, plan, run_dir=run_dir)
        if plan.remote_workers:
            argv = worker_argv(plan, master_host=plan.master_bind, master_port=load.master_port)
            progress.say(
                f"waiting for {plan.remote_workers} remote worker(s); on each: {shlex.join(argv)}"
            )
        # The run's clock starts with the users (with workers: once every worker has joined).
        t0 = load.wait_started(timeout=REMOTE_JOIN_S if plan.remote_workers else LOAD_START_S)
        executor = TimelineExecutor(schedule, stack=started.stack, t0=t0)
        teardown.callback(executor.heal_all)  # whatever happens, no fault outlives the run
        prober = teardown.enter_context(
            LivenessProber(started.client.probe_url, t0=t0, process=started.client.process)
        )
        _drive(schedule, scenario, load, executor, progress, t0)
        load.wait(timeout=30)
        duration = time.time() - t0
        executor.heal_all()
        progress.say(f"load stopped after {duration:.0f}s; draining for {schedule.drain:g}s")
        _sleep_until(time.monotonic() + schedule.drain)
        ledger = _read_ledger(started.stack)
        prober.stop()
        probes, client_exit = tuple(prober.results), prober.exit
        windows = executor.windows()
    run = RunData(
        duration=duration,
        requests=read_request_log(load.request_logs(), t0=t0),
        faults=windows,
        ledger=ledger,
        probes=probes,
        client_exit=client_exit,
        load=LoadGeneration(
            local_workers=plan.workers,
            remote_workers=plan.remote_workers,
            locust_requests=load.locust_requests(),
        ),
    )
    results = evaluate(scenario.checks, run)
    if (after := steady_state_after(scenario.steady_state.after, run)) is not None:
        results.append(after)
    journal = build_journal(
        run_id=run_id,
        scenario=scenario,
        run=run,
        results=results,
        time_scale=schedule.time_scale,
        started_at=started_at,
        finished_at=dt.datetime.now(dt.UTC),
        versions=Versions.current(toxiproxy=provision.version, client=client.name),
        client=client,
        scenario_path=loaded.path,
    )
    journal_path = write_journal(journal, run_dir / "journal.json")
    junit_path = write_junit(journal, run_dir / "junit.xml")
    write_reports(journal, run_dir)
    return RunResult(run_dir, journal_path, junit_path, journal)


def _require_client(loaded: ScenarioFile) -> ClientDefinition:
    if loaded.client is None:
        raise UsageError(
            f"{loaded.path}: the scenario names no client under test; give one with --client "
            "(e.g. --client examples/clients/resilient.yaml) or a `client:` key in the file"
        )
    return loaded.client


def _start(
    sup: Supervisor,
    teardown: contextlib.ExitStack,
    scenario: Scenario,
    client: ClientDefinition,
    loaded: ScenarioFile,
    run_dir: Path,
    options: RunOptions,
    provision: Provision,
) -> _Started:
    ports = free_ports(2 + 2 * len(scenario.stack.services))  # toxiproxy, mocks, proxies, client
    # Free ports for everything, so runs never clash with `harness up` or with each other.
    topology = Topology.on_ports(
        ports, scenario.stack.services, seed=scenario.stack.seed, db_dir=run_dir / "db"
    )
    stack = teardown.enter_context(running_stack(sup, topology, provision=provision))
    values = template_values(
        client,
        port=client.port or ports[-1],
        proxy_urls={str(s.service): s.proxy_url for s in topology.services},
        work_dir=run_dir / "client",
        seed=scenario.stack.seed,
    )
    definition_dir = loaded.client_path.parent if loaded.client_path else loaded.path.parent
    running = start_client(
        sup,
        client,
        definition_dir=definition_dir,
        values=values,
        allowed_hosts=options.allowed_hosts,
    )
    return _Started(stack, running)


def _load_plan(
    scenario: Scenario,
    schedule: Schedule,
    started: _Started,
    client: ClientDefinition,
    loaded: ScenarioFile,
    run_dir: Path,
    options: RunOptions,
) -> LoadPlan:
    locustfile = BUILTIN_LOCUSTFILE
    if client.locustfile is not None:
        base = loaded.client_path.parent if loaded.client_path else loaded.path.parent
        locustfile = (base / client.locustfile).resolve()
    counts = dict(scenario.load.users)
    config = LoadConfig(
        out_dir=run_dir / "load",
        seed=scenario.stack.seed,
        user_counts=counts,
        degraded_marker=client.degraded_marker,
        visit_date=dt.date.today().isoformat(),
    )
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
    schedule: Schedule,
    scenario: Scenario,
    load: LoadRun,
    executor: TimelineExecutor,
    progress: ProgressLine,
    t0: float,
) -> None:
    """The main loop: faults at their times, the steady state before, the progress line."""
    total = schedule.steady_before + schedule.load_duration + schedule.steady_after
    steady_checked = schedule.steady_before <= 0
    # Judged once the requests of its last second have had a second to finish, and their
    # records have arrived (a worker's reach the master late), or RECORDS_DELAY_S after that.
    steady_at = schedule.steady_before + 1
    while not load.finished():
        executor.run_due()
        elapsed = time.time() - t0
        if (
            not steady_checked
            and elapsed >= steady_at
            and (load.records_through() >= steady_at or elapsed >= steady_at + RECORDS_DELAY_S)
        ):
            _check_steady_before(scenario, schedule, load)
            steady_checked = True
        phase = _phase(elapsed, schedule, executor)
        progress.show(
            phase=phase,
            elapsed=elapsed,
            total=total,
            faults=", ".join(executor.active()),
            load=load.progress(),
        )
        upcoming = executor.next_at()
        wait = TICK_S if upcoming is None else min(TICK_S, max(0.0, upcoming - elapsed))
        time.sleep(wait)
    progress.done()


def _phase(elapsed: float, schedule: Schedule, executor: TimelineExecutor) -> str:
    if elapsed < schedule.steady_before:
        return "steady"
    if executor.active():
        return "fault"
    if elapsed >= schedule.steady_before + schedule.load_duration:
        return "recovery"
    return "timeline"


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


def summary_lines(results: Sequence[CheckResult]) -> Iterator[str]:
    for r in results:
        value = "n/a" if r.measured is None else f"{r.measured:g}"
        mark = "PASS" if r.passed else "FAIL"
        limit = f"{r.comparison.value} {r.threshold:g} {r.unit.value}"
        yield f"  {mark}  {r.id:<28} {value:>10} {limit}"
        if not r.passed:
            yield f"        {r.reason}"
