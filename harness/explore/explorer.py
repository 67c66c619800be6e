"""`harness explore`: random fault timelines against a client, each failure shrunk to its smallest.

    result = explore(ExploreOptions(client=Path("examples/clients/naive.yaml"), seed=7,
                                    budget_s=900))
    result.exit_code        # 0 nothing failed within the budget, 1 a failure was found
    result.minimal          # the minimal-<check>.yaml files written

A trial is a scenario (harness.explore.scenario_file): the base's stack, load and checks, with a
timeline drawn from the catalogue (harness.explore.catalogue) by a generator seeded with the seed
and the trial's number, so the same seed gives the same trials in the same order. Each trial runs
through `run_scenario`, the engine of `harness run`, on a stack of its own; with `parallel` above
1 the trials run in batches as a parallel suite (one `harness run` process per trial).

When a trial fails, its failure is first confirmed by a second run of the same file (a flaky
failure is recorded, never shrunk); then the timeline is shrunk (harness.explore.shrink) while it
keeps failing its target check: the first failed check by PRIORITY. A candidate counts as failing
only when a confirmation run fails too. The smallest confirmed timeline is written as
`minimal-<check>.yaml`, with a copy of its confirmation run (journal and report) beside it.

Every run, trial or candidate, is in `explore.json` with its timeline, verdict and wall time. The
budget is wall time, shrinking included: a run is started only if its expected length fits in what
is left. Ctrl-C (or SIGTERM) stops the current run through its own teardown, then the report is
written with what was found, and KeyboardInterrupt goes on (exit 130).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import shlex
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from harness.client import load_client
from harness.errors import HarnessError, UsageError
from harness.explore.catalogue import Targets, draw_timeline, trial_rng
from harness.explore.journal import (
    ExploreJournal,
    MinimalRecord,
    RunPurpose,
    RunRecord,
    StopReason,
    TrialRecord,
    describe_steps,
)
from harness.explore.report import HTML_FILE, write_report
from harness.explore.scenario_file import (
    TRIAL_LENGTH_S,
    default_base,
    scenario_yaml,
    trial_scenario,
    without_client_bars,
)
from harness.explore.shrink import ShrinkPhase, shrink
from harness.library import resolve_client
from harness.results.checks import CheckStatus, Verdict
from harness.results.journal import Journal, read_journal
from harness.results.suite import SuiteEntry
from harness.runner.engine import run_scenario
from harness.runner.options import RunOptions
from harness.runner.signals import interruptible
from harness.runner.suite import SuiteOptions, run_suite
from harness.scenario.model import Scenario, Step
from harness.scenario.schedule import build_schedule
from harness.scenario.types import ServiceName

EXPLORE_FILE: Final = "explore.json"
FIRST_OVERHEAD_S: Final = 20.0
"""A run's start-up and teardown beyond its schedule, until one has been measured."""

PRIORITY: Final = (
    "nothing_lost",
    "no_duplicates",
    "no_wrong_answers",
    "client_alive",
    "served_rate.during",
    "time_to_served",
    "recovery_time",
    "latency",
    "served_rate",
)
"""Which failed check a shrink keeps failing: records lost or doubled before patients unserved."""

TRIALS_PHASE: Final = "trials"
CONFIRM_PHASE: Final = "confirm"


@dataclass(frozen=True, kw_only=True)
class ExploreOptions:
    client: Path
    """A client file, or a built-in reference client's name (`Path("naive")`)."""
    base: Scenario = field(default_factory=default_base)
    base_path: Path | None = None
    """The --from scenario file, if any (recorded in the journal)."""
    services: tuple[ServiceName, ...] | None = None
    """The services to fault; None: every service of the base's stack."""
    faults_client: bool | None = None
    """Whether the client's process is a target; None: when the client file has a command."""
    budget_s: float = 20 * 60.0
    trials: int | None = None
    trial_length_s: float = TRIAL_LENGTH_S
    seed: int | None = None
    parallel: int = 1
    report_dir: Path = Path("reports")
    allowed_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExploreResult:
    explore_dir: Path
    journal: ExploreJournal

    @property
    def exit_code(self) -> int:
        """1 when a failure was found and confirmed (a minimal scenario written), else 0."""
        return 1 if self.journal.minimal else 0

    @property
    def minimal(self) -> list[Path]:
        return [self.explore_dir / m.file for m in self.journal.minimal]


class _OutOfBudget(Exception):
    """The next run would not end within the budget."""


Say = Callable[[str], None]


def explore(options: ExploreOptions, *, say: Say | None = None) -> ExploreResult:
    """Draw, run and shrink until the budget or the trial count is spent (see the module)."""
    return _Exploration(options, say or (lambda _: None)).run()


def primary_check(failed: list[str]) -> str:
    """The failed check a shrink keeps: the first by PRIORITY (then by name)."""

    def rank(check: str) -> tuple[int, str]:
        for index, prefix in enumerate(PRIORITY):
            if check == prefix or check.startswith(prefix + "."):
                return index, check
        return len(PRIORITY), check

    return min(failed, key=rank)


def _failed(journal: Journal) -> list[str]:
    return sorted(c.id for c in journal.checks if c.status is CheckStatus.FAIL)


Shape = tuple[tuple[str, str], ...]


def _shape(steps: tuple[Step, ...]) -> Shape:
    """(target, kind) of each step, sorted: what two minimal timelines must share to be one."""
    return tuple(sorted((str(s.target), s.fault.kind) for s in steps))


def _contains(steps: tuple[Step, ...], shape: Shape) -> bool:
    have = list(_shape(steps))
    for part in shape:
        if part not in have:
            return False
        have.remove(part)
    return True


def _key(steps: tuple[Step, ...]) -> str:
    return json.dumps(_dump(steps), sort_keys=True)


def _dump(steps: tuple[Step, ...]) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json", by_alias=True) for s in steps]


@dataclass
class _Best:
    """The smallest timeline confirmed so far, with its confirmation run."""

    steps: tuple[Step, ...]
    run: tuple[RunRecord, Journal]


class _Exploration:
    def __init__(self, options: ExploreOptions, say: Say) -> None:
        # a client file, or a built-in reference client by name ("naive"), made absolute
        options = dataclasses.replace(options, client=resolve_client(options.client).resolve())
        client = load_client(options.client, allowed_hosts=options.allowed_hosts)
        faults_client = (
            client.command is not None if options.faults_client is None else options.faults_client
        )
        # A base whose checks are all bars of serving during faults has nothing left to judge
        # in a trial that faults the client (scenario_file.without_client_bars): not a target.
        checks = options.base.checks.model_dump(by_alias=True, exclude_none=True)
        if not without_client_bars(checks):
            faults_client = False
        _check(options)
        self.options = options
        self.say = say
        self.targets = Targets(
            services=options.services or tuple(options.base.stack.services), client=faults_client
        )
        self.seed = options.seed if options.seed is not None else secrets.randbelow(10**6)
        started = dt.datetime.now(dt.UTC)
        self.explore_id = f"{started:%Y%m%d-%H%M%S}-explore-{self.seed}-{secrets.token_hex(2)}"
        self.dir = options.report_dir / self.explore_id
        self.journal = ExploreJournal(
            explore_id=self.explore_id,
            seed=self.seed,
            client=str(options.client),
            base=options.base.name,
            base_path=None if options.base_path is None else str(options.base_path),
            targets=[str(t) for t in self.targets.all()],
            budget_s=options.budget_s,
            trial_length_s=options.trial_length_s,
            max_trials=options.trials,
            parallel=options.parallel,
            started_at=started,
        )
        self.t0 = time.monotonic()
        self.phase = TRIALS_PHASE
        self.verdicts: dict[tuple[str, str], bool] = {}  # (target, timeline): failed twice
        self.run_count = 0
        self.overheads: list[float] = []
        self.spent = False

    # --- the loop -------------------------------------------------------------------------

    def run(self) -> ExploreResult:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.say(f"exploring: seed {self.seed}, budget {self.options.budget_s:.0f}s, {self.dir}")
        try:
            with interruptible():
                self.journal.stopped = self._trials()
        except KeyboardInterrupt:
            self.journal.stopped = StopReason.INTERRUPTED
            self._finish()
            self.say(f"interrupted; what was found is in {self.dir / HTML_FILE}")
            raise
        except BaseException as exc:  # an error (exit 2, 3) or a bug: the report still written
            self.journal.stopped = StopReason.ERROR
            self.journal.error = str(exc) if isinstance(exc, HarnessError) else repr(exc)
            self._finish()
            raise
        self._finish()
        return ExploreResult(self.dir, self.journal)

    def _trials(self) -> StopReason:
        number = 0
        while self.options.trials is None or number < self.options.trials:
            size = self.options.parallel
            if self.options.trials is not None:
                size = min(size, self.options.trials - number)
            drawn = []
            for _ in range(size):
                number += 1
                steps = draw_timeline(
                    trial_rng(self.seed, number), self.targets, length=self.options.trial_length_s
                )
                drawn.append((number, steps))
                self.journal.trials.append(
                    TrialRecord(number=number, steps=describe_steps(steps), timeline=_dump(steps))
                )
            try:
                ran = self._run_trials(drawn)
            except _OutOfBudget:
                del self.journal.trials[-len(drawn) :]  # drawn, never run
                return StopReason.BUDGET
            for (trial, steps), journal in zip(drawn, ran, strict=True):
                try:
                    self._judge_trial(trial, steps, journal)
                except _OutOfBudget:  # what was confirmed of it is written
                    self.spent = True
            if self.spent:
                return StopReason.BUDGET
        return StopReason.TRIALS

    def _judge_trial(self, trial: int, steps: tuple[Step, ...], journal: Journal) -> None:
        entry = self.journal.trials[trial - 1]
        verdict = journal.verdict.value.upper()
        self.say(f"trial {trial}: {verdict} {', '.join(entry.failed)}  {entry.steps}")
        if journal.verdict is not Verdict.FAIL:
            return
        if self.spent:
            entry.outcome = "not confirmed: the budget was spent"
            return
        target = primary_check(entry.failed)
        for minimal in self.journal.minimal:
            if (
                minimal.check == target
                and set(entry.failed) <= set(minimal.failed)
                and _contains(steps, tuple(minimal.shape))
            ):
                entry.outcome = f"the failure of {minimal.file}"
                return
        self.phase = CONFIRM_PHASE
        try:
            confirmation = self._fails_twice(trial, steps, target, first=journal)
        except _OutOfBudget:
            entry.outcome = "not confirmed: the budget was spent"
            raise
        finally:
            self.phase = TRIALS_PHASE
        if confirmation is None:
            entry.outcome = f"flaky: {target} did not fail again"
            return
        best = _Best(steps, confirmation)
        complete = False
        try:
            shrink(steps, lambda s: self._candidate(trial, s, target, best), phase=self._shrinking)
            complete = True
        finally:
            self.phase = TRIALS_PHASE
            self._write_minimal(trial, target, best, entry, complete=complete)

    def _shrinking(self, phase: ShrinkPhase) -> None:
        self.phase = f"shrink: {phase.value}"

    def _candidate(self, trial: int, steps: tuple[Step, ...], target: str, best: _Best) -> bool:
        key = (target, _key(steps))
        if key in self.verdicts:  # a candidate already judged: not run again
            return self.verdicts[key]
        confirmation = self._fails_twice(trial, steps, target)
        self.verdicts[key] = confirmation is not None
        if confirmation is not None:
            best.steps, best.run = steps, confirmation
        return confirmation is not None

    def _fails_twice(
        self, trial: int, steps: tuple[Step, ...], target: str, *, first: Journal | None = None
    ) -> tuple[RunRecord, Journal] | None:
        """The confirmation run when `steps` failed `target` twice in a row, else None."""
        if first is None:
            _, first = self._run_one(trial, steps, RunPurpose.SHRINK)
        if target not in _failed(first):
            return None
        confirmation = self._run_one(trial, steps, RunPurpose.CONFIRM)
        return confirmation if target in _failed(confirmation[1]) else None

    # --- running ----------------------------------------------------------------------------

    def _scenario(self, steps: tuple[Step, ...], name: str) -> Scenario:
        return trial_scenario(
            self.options.base, steps, name=name, length=self.options.trial_length_s
        )

    def _budget(self, scenario: Scenario) -> None:
        overhead = max(self.overheads) if self.overheads else FIRST_OVERHEAD_S
        expected = build_schedule(scenario).total + overhead
        left = self.options.budget_s - (time.monotonic() - self.t0)
        if expected > left:
            raise _OutOfBudget

    def _file(self, path: Path, scenario: Scenario, comments: list[str]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(scenario_yaml(scenario, comments=comments), encoding="utf-8")
        return path

    def _run_options(self) -> RunOptions:
        return RunOptions(report_dir=self.dir / "runs", allowed_hosts=self.options.allowed_hosts)

    def _run_one(
        self, trial: int, steps: tuple[Step, ...], purpose: RunPurpose
    ) -> tuple[RunRecord, Journal]:
        self.run_count += 1
        name = f"explore-t{trial:03d}-r{self.run_count:03d}"
        scenario = self._scenario(steps, name)
        self._budget(scenario)
        path = self._file(
            self.dir / "runs" / f"{name}.yaml", scenario, [f"{purpose.value} of trial {trial}"]
        )
        began = time.monotonic()
        result = run_scenario(path, client=self.options.client, options=self._run_options())
        wall = time.monotonic() - began
        record = self._record(trial, scenario, purpose, path, result.run_dir, result.journal, wall)
        return record, result.journal

    def _run_trials(self, drawn: list[tuple[int, tuple[Step, ...]]]) -> list[Journal]:
        """Run the drawn trials (a batch of them at once with `parallel`); their journals."""
        if len(drawn) == 1:
            trial, steps = drawn[0]
            return [self._run_one(trial, steps, RunPurpose.TRIAL)[1]]
        scenarios = {
            f"explore-t{t:03d}": (t, self._scenario(s, f"explore-t{t:03d}")) for t, s in drawn
        }
        self._budget(next(iter(scenarios.values()))[1])
        batch = self.dir / "batches" / f"trials-{drawn[0][0]:03d}-{drawn[-1][0]:03d}"
        for name, (trial, scenario) in scenarios.items():
            self._file(batch / f"{name}.yaml", scenario, [f"trial {trial}"])
        self.run_count += len(drawn)
        journals: dict[int, Journal] = {}

        def finished(entry: SuiteEntry, suite_dir: Path) -> None:  # recorded as each one ends
            trial, scenario = scenarios[entry.scenario]
            assert entry.journal is not None  # a run that wrote no journal raises instead
            journal_path = suite_dir / entry.journal
            journal = read_journal(journal_path)
            wall = (journal.finished_at - journal.started_at).total_seconds()
            self._record(
                trial,
                scenario,
                RunPurpose.TRIAL,
                batch / f"{entry.scenario}.yaml",
                journal_path.parent,
                journal,
                wall,
                phase_time=False,  # the batch's wall time is added once, below
            )
            journals[trial] = journal

        began = time.monotonic()
        try:
            run_suite(
                SuiteOptions(
                    selector=str(batch),
                    client_path=self.options.client,
                    parallel=self.options.parallel,
                    run=self._run_options(),
                ),
                on_run=finished,
            )
        finally:
            self._add_time(time.monotonic() - began)
        return [journals[trial] for trial, _ in drawn]

    def _record(
        self,
        trial: int,
        scenario: Scenario,
        purpose: RunPurpose,
        path: Path,
        run_dir: Path,
        journal: Journal,
        wall: float,
        *,
        phase_time: bool = True,
    ) -> RunRecord:
        self.overheads.append(wall - build_schedule(scenario).total)
        record = RunRecord(
            number=len(self.journal.runs) + 1,
            trial=trial,
            purpose=purpose,
            phase=self.phase,
            steps=describe_steps(scenario.timeline.steps),
            scenario_file=str(path.relative_to(self.dir)),
            run_dir=str(run_dir.resolve().relative_to(self.dir.resolve())),
            verdict=journal.verdict.value,
            failed=_failed(journal),
            wall_s=round(wall, 2),
        )
        self.journal.runs.append(record)
        if purpose is RunPurpose.TRIAL:  # the trial's verdict, on record before it is judged
            entry = self.journal.trials[trial - 1]
            entry.verdict, entry.failed, entry.run = record.verdict, record.failed, record.number
        if phase_time:
            self._add_time(wall)
        self._save()
        return record

    def _add_time(self, seconds: float) -> None:
        spent = self.journal.phase_seconds.get(self.phase, 0.0) + seconds
        self.journal.phase_seconds[self.phase] = round(spent, 2)

    # --- results ----------------------------------------------------------------------------

    def _write_minimal(
        self, trial: int, target: str, best: _Best, entry: TrialRecord, *, complete: bool
    ) -> None:
        record, journal = best.run
        failed = _failed(journal)
        shape = _shape(best.steps)
        for minimal in self.journal.minimal:
            if minimal.check == target and tuple(minimal.shape) == shape:
                entry.outcome = f"the failure of {minimal.file} again"
                return
        slug = target.replace(".", "-").replace("_", "-")
        same = sum(m.check == target for m in self.journal.minimal)
        name = f"minimal-{slug}" + (f"-{same + 1}" if same else "")
        path = self.dir / f"{name}.yaml"
        argv = ["harness", "run", str(path.resolve()), "--client", str(self.options.client)]
        for host in self.options.allowed_hosts:
            argv += ["--allow-host", host]
        command = shlex.join(argv)
        how = "found" if complete else "found before shrinking was stopped (budget or Ctrl-C)"
        scenario = self._scenario(best.steps, name).model_copy(
            update={
                "title": f"{target} fails: {describe_steps(best.steps)}",
                "description": f"The smallest timeline harness explore {how} (seed {self.seed}, "
                f"trial {trial}) that fails {target} against {self.options.client.name}.",
                "tags": ("explore", "minimal"),
            }
        )
        comments = [
            f"Found by `harness explore` (seed {self.seed}, trial {trial}): the smallest timeline",
            f"{how} that still fails {target}, each shrink step confirmed by a second run.",
            f"Failed checks in its confirmation run: {', '.join(failed)}.",
            f"Shrunk from {len(entry.timeline)} steps to {len(best.steps)}.",
            f"Replay: {command}",
        ]
        self._file(path, scenario, comments)
        shutil.copytree(self.dir / record.run_dir, self.dir / name, dirs_exist_ok=True)
        self.journal.minimal.append(
            MinimalRecord(
                file=path.name,
                check=target,
                failed=failed,
                shape=list(shape),
                steps=describe_steps(best.steps),
                timeline=_dump(best.steps),
                trial=trial,
                run_dir=name,
                replay=command,
                complete=complete,
            )
        )
        stopped = "" if complete else ", shrinking stopped early"
        entry.outcome = (
            f"shrunk to {path.name} ({len(best.steps)} of {len(entry.timeline)} steps{stopped})"
        )
        self.say(f"minimal: {path}  ({describe_steps(best.steps)})")
        self.say(f"replay:  {command}")
        self._save()

    def _save(self) -> None:
        self.journal.elapsed_s = round(time.monotonic() - self.t0, 2)
        (self.dir / EXPLORE_FILE).write_text(
            self.journal.model_dump_json(indent=2), encoding="utf-8"
        )

    def _finish(self) -> None:
        self.journal.finished_at = dt.datetime.now(dt.UTC)
        self._save()
        write_report(self.dir, self.journal)


def _check(options: ExploreOptions) -> None:
    if options.parallel < 1:
        raise UsageError(
            f"--parallel {options.parallel}: give how many trials run at a time, 1 or more"
        )
    if options.trials is not None and options.trials < 1:
        raise UsageError(f"--trials {options.trials}: give 1 or more, or leave it out")
    if options.trial_length_s < 10:
        raise UsageError(
            f"--trial-length {options.trial_length_s:g}s: give 10s or more (a fault window is "
            "3s at least, and the checks need load before and after it)"
        )
    stack = options.base.stack.services
    for service in options.services or ():
        if service not in stack:
            raise UsageError(
                f"--services {service}: not in the stack of {options.base.name} "
                f"({', '.join(stack)}); name services it runs"
            )
    one_trial = build_schedule(
        trial_scenario(
            options.base,
            (
                Step.model_validate(
                    {"at": 0, "for": 3, "target": stack[0], "fault": {"kind": "down"}}
                ),
            ),
            name="explore-budget",
            length=options.trial_length_s,
        )
    ).total
    if options.budget_s < one_trial + FIRST_OVERHEAD_S:
        raise UsageError(
            f"--budget {options.budget_s:g}s: one trial takes about "
            f"{one_trial + FIRST_OVERHEAD_S:.0f}s; give more (the default is 20m), or a shorter "
            "--trial-length"
        )


__all__ = [
    "EXPLORE_FILE",
    "PRIORITY",
    "ExploreOptions",
    "ExploreResult",
    "explore",
    "primary_check",
]
