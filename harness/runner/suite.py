"""Several scenarios, one after the other, with one verdict: `harness run --suite <dir or tag>`.

    result = run_suite(SuiteOptions(selector="scenarios/", client_path=Path("naive.yaml")))
    result = run_suite(SuiteOptions(selector="ci", run=RunOptions(time_scale=600)))
    result.exit_code    # 0 every scenario passed, 1 a check failed in at least one, 4 none
                        # failed but one was inconclusive (`RunOptions.inconclusive` maps it)

A selector that is an existing directory means every *.yaml / *.yml under it; otherwise it is a tag,
and the suite is every scenario with that tag in the built-in library (harness.library) and in
`scenario_dir`, a user's own folder (default: ./scenarios, if there is one). Every scenario is
validated (with its client) before the first one starts, so that a typo in the last file costs
seconds, not the runs before it. An invalid scenario or an infrastructure failure (exit 2 / 3)
stops the suite at once with its message.

With `parallel=N` (`--parallel N`) up to N scenarios run at a time, each as its own `harness run`
process with its own stack, client, locust and toxiproxy server on free ports; the suite's files,
verdict and exit code are those a serial run writes (entries in the suite's order, not the order
the runs finished). An error in one run stops the others; they are listed as not run.

The runs go into `<report-dir>/<suite-id>/<run-id>/`, next to the suite's own files in
`<report-dir>/<suite-id>/`: suite.json (SuiteSummary, harness.results.suite; its journal paths are
relative to that directory), summary.md (Markdown for a CI job summary or a PR comment), junit.xml
(every run's testsuite in one file, for CI) and index.html. They are written when the suite stops
early too, and `summary_to` gets summary.md appended (e.g. $GITHUB_STEP_SUMMARY).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from harness import paths
from harness.errors import ExitCode, HarnessError, UsageError
from harness.library import scenarios_dir as builtin_scenarios_dir
from harness.process import (
    ManagedProcess,
    ProcessSpec,
    Supervisor,
    owner_state_file,
    reap_abandoned,
)
from harness.report.files import SUMMARY_FILE
from harness.report.index import render_index
from harness.report.suite_markdown import render_suite_summary
from harness.report.summary_file import append_summary
from harness.results.journal import Journal, read_journal
from harness.results.junit import write_suite_junit
from harness.results.suite import (
    SuiteEntry,
    SuiteSummary,
    SuiteVerdict,
    read_suite,
    suite_verdict,
)
from harness.runner.engine import run_scenario
from harness.runner.events import Subscriber
from harness.runner.options import RunOptions
from harness.runner.signals import interruptible
from harness.scenario.extends import read_scenario
from harness.scenario.loader import ScenarioFile, find_scenario_files, load_scenario
from harness.scenario.schedule import build_schedule
from harness.toxiproxy.install import Source
from harness.yamlmodel import FileProblem, InvalidFileError

RUNNING_SERVER: Final = Source.RUNNING_SERVER.value
SUITE_FILE: Final = "suite.json"
CHILD_STOP_S: Final = 60.0  # a run's own teardown (locust, client, mocks) after SIGTERM
POLL_S: Final = 0.25
JOURNAL_LINE: Final = "journal:"  # what `harness run` prints (harness.runner.cli)
ERROR_LINE: Final = "harness: error: "
INDEX_FILE: Final = "index.html"
JUNIT_FILE: Final = "junit.xml"
DEFAULT_SCENARIO_DIR: Final = Path("scenarios")
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_VERDICT_CODES: Final = (ExitCode.OK, ExitCode.CHECK_FAILED, ExitCode.INCONCLUSIVE)
"""What a child `harness run` exits with when it wrote a journal (whatever --inconclusive)."""


@dataclass(frozen=True, kw_only=True)
class SuiteOptions:
    selector: str
    """A directory of scenarios, or a tag of the scenario library."""
    client_path: Path | None = None
    """The client of every scenario; None: each scenario's own."""
    run: RunOptions = field(default_factory=RunOptions)
    """How every run goes, as for a single run; the suite's directory goes in `run.report_dir`."""
    scenario_dir: Path | None = None
    """A user's own folder of scenarios, where tags are looked up besides the built-in library;
    None: ./scenarios, if there is one."""
    summary_to: Path | None = None
    """A file to append the suite's summary.md to (e.g. $GITHUB_STEP_SUMMARY); None: none."""
    parallel: int = 1
    """How many scenarios run at a time; above 1, each in its own `harness run` process."""


@dataclass(frozen=True)
class SuiteResult:
    suite_dir: Path
    summary_path: Path
    """suite.json"""
    summary: SuiteSummary

    @property
    def markdown_path(self) -> Path:
        return self.suite_dir / SUMMARY_FILE

    @property
    def junit_path(self) -> Path:
        return self.suite_dir / JUNIT_FILE

    @property
    def exit_code(self) -> int:
        return self.summary.exit_code


def scenario_dirs(configured: Path | None = None) -> list[Path]:
    """Where tags are looked up: a user's own folder (--scenario-dir; without it ./scenarios, if
    there is one), then the built-in library."""
    if configured is None and DEFAULT_SCENARIO_DIR.is_dir():
        configured = DEFAULT_SCENARIO_DIR
    dirs = [] if configured is None else [configured]
    builtin = builtin_scenarios_dir()
    if not any(_same(d, builtin) for d in dirs):
        dirs.append(builtin)
    return dirs


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def select_scenarios(selector: str, *, library: Path | Sequence[Path]) -> list[Path]:
    """The scenario files a selector names; UsageError (exit 2) when it names none.

    `library`: the folder(s) a tag is looked up in, each file once (`scenario_dirs`)."""
    folders = [library] if isinstance(library, Path) else list(library)
    as_path = Path(selector)
    # A bare word that is a tag of the library is the tag, even where a folder of that name
    # exists (many repositories have a ci/ folder): write ./ci or ci/ for the folder.
    bare_tag = _TAG.match(selector) is not None and selector in _known_tags(folders)
    if as_path.is_dir() and not bare_tag:
        found = find_scenario_files([as_path])
        if not found:
            raise UsageError(
                f"--suite {selector}: the directory holds no scenario (*.yaml, *.yml); "
                "give a directory of scenarios or a tag (see `harness list`)"
            )
        return found
    if not _TAG.match(selector) or as_path.suffix in (".yaml", ".yml"):
        raise UsageError(
            f"--suite {selector}: no such directory, and not a tag; give a directory of "
            "scenarios or a tag such as ci (run one file with `harness run FILE`)"
        )
    missing = [folder for folder in folders if not folder.is_dir()]
    if missing:
        raise UsageError(
            f"--scenario-dir {missing[0]}: no such directory to look the tag {selector} up in; "
            "give the folder of your own scenario files"
        )
    candidates: list[Path] = []
    for path in find_scenario_files(folders):
        if not any(_same(path, seen) for seen in candidates):
            candidates.append(path)
    found = [path for path in candidates if selector in _tags_of(path)]
    if not found:
        known = sorted({tag for path in candidates for tag in _tags_of(path)})
        where = " or ".join(str(folder) for folder in folders)
        raise UsageError(
            f"--suite {selector}: no scenario under {where} has the tag {selector!r}; "
            f"known tags: {', '.join(known) or 'none'}"
        )
    return found


def _known_tags(folders: Sequence[Path]) -> set[str]:
    existing = [folder for folder in folders if folder.is_dir()]
    return {tag for path in find_scenario_files(existing) for tag in _tags_of(path)}


def _tags_of(path: Path) -> list[str]:
    """The `tags` of a file, with what it `extends:`, read without validating it (validation comes
    once selected)."""
    try:
        data = read_scenario(path).data
    except InvalidFileError:
        return []
    tags = data.get("tags") if isinstance(data, dict) else None
    return [str(tag) for tag in tags] if isinstance(tags, list) else []


def _validate_all(files: list[Path], options: SuiteOptions) -> list[ScenarioFile]:
    loaded: list[ScenarioFile] = []
    problems: list[FileProblem] = []
    for path in files:
        try:
            loaded.append(
                load_scenario(
                    path,
                    client_override=options.client_path,
                    allowed_hosts=options.run.allowed_hosts,
                )
            )
        except InvalidFileError as exc:
            problems += exc.problems
    if problems:
        raise InvalidFileError(problems)
    for item in loaded:
        if item.client is None:
            raise UsageError(
                f"{item.path}: scenario {item.scenario.name} of the suite names no client under "
                "test; give --client FILE (your client file, which `harness init` writes, or "
                "--client resilient to try the reference client) or a "
                "`client:` key in the file"
            )
    return loaded


def run_suite(
    options: SuiteOptions,
    *,
    on_run: Callable[[SuiteEntry, Path], None] | None = None,
    on_status: Callable[[str], None] | None = None,
    on_event: Subscriber | None = None,
) -> SuiteResult:
    """Run the selected scenarios; exit 2/3 errors stop the suite (and propagate).

    `on_run(entry, suite_dir)` is called after each run, for a live verdict line;
    `on_status(text)` with the scenarios running at the moment (parallel runs only);
    `on_event(event)` with the events of each run (serial runs only: a parallel suite's runs are
    processes of their own, whose progress goes to their logs).
    """
    check_parallel(options)
    files = select_scenarios(options.selector, library=scenario_dirs(options.scenario_dir))
    loaded = _validate_all(files, options)
    started_at = dt.datetime.now(dt.UTC)
    label = re.sub(r"[^a-z0-9-]+", "-", Path(options.selector).name.lower()).strip("-") or "dir"
    suite_id = f"{started_at:%Y%m%d-%H%M%S}-suite-{label}-{secrets.token_hex(2)}"
    suite_dir = options.run.report_dir / suite_id
    suite_dir.mkdir(parents=True, exist_ok=True)
    runs = _ParallelRuns(suite_dir, suite_id, options) if options.parallel > 1 else None
    done: dict[int, tuple[SuiteEntry, Journal]] = {}

    def finished(index: int, entry: SuiteEntry, journal: Journal) -> None:
        done[index] = (entry, journal)
        if on_run is not None:
            on_run(entry, suite_dir)

    try:
        with interruptible():  # SIGTERM too unwinds the runs (a parallel suite's children)
            if runs is None:
                for index, item in enumerate(loaded):
                    result = run_scenario(
                        item.path,
                        client=options.client_path,
                        options=dataclasses.replace(options.run, report_dir=suite_dir),
                        on_event=on_event,
                    )
                    finished(
                        index,
                        _entry(item, result.journal, result.journal_path, suite_dir),
                        result.journal,
                    )
            else:
                runs.run(loaded, finished, on_status)
    except (HarnessError, KeyboardInterrupt) as exc:
        code = exc.exit_code if isinstance(exc, HarnessError) else ExitCode.INTERRUPTED
        remaining = sorted(set(range(len(loaded))) - set(done))
        failed = getattr(exc, "scenario_index", None)
        if failed is None and remaining:
            failed = remaining[0]  # a serial suite's current run, or the first unfinished one
        by_index = {i: entry for i, (entry, _) in done.items()}
        if failed is not None:
            by_index[failed] = SuiteEntry(
                run_id=None,
                scenario=loaded[failed].scenario.name,
                scenario_path=str(loaded[failed].path),
                verdict=SuiteVerdict.ERROR,
                exit_code=int(code),
                journal=None,
                error=str(exc) or type(exc).__name__,
            )
        entries = [by_index[i] for i in sorted(by_index)]  # in the suite's order
        journals = [(done[i][1].run_id, done[i][1]) for i in sorted(done)]
        not_run = tuple(loaded[i].scenario.name for i in remaining if i != failed)
        _write_index(suite_dir, journals)
        _write(suite_dir, options, suite_id, started_at, entries, journals, not_run=not_run)
        raise
    entries = [done[i][0] for i in sorted(done)]
    journals = [(done[i][1].run_id, done[i][1]) for i in sorted(done)]
    _write_index(suite_dir, journals)
    return _write(suite_dir, options, suite_id, started_at, entries, journals)


def check_parallel(options: SuiteOptions) -> None:
    """The options a parallel suite cannot honour: UsageError (exit 2) with the way out."""
    if options.parallel < 1:
        raise UsageError(
            f"--parallel {options.parallel}: give how many scenarios run at a time, 1 or more"
        )
    if options.parallel == 1:
        return
    if options.run.remote_workers:
        raise UsageError(
            "--parallel with --remote-workers: one set of remote workers cannot serve several "
            "runs at once; drop --parallel or --remote-workers"
        )
    if os.environ.get(RUNNING_SERVER):
        raise UsageError(
            f"--parallel {options.parallel} with {RUNNING_SERVER} set: parallel runs would share "
            "that toxiproxy server and fault each other's proxies; unset it (each run then starts "
            "its own server; `harness toxiproxy install` installs one) or drop --parallel"
        )


def _entry(item: ScenarioFile, journal: Journal, journal_path: Path, suite_dir: Path) -> SuiteEntry:
    return SuiteEntry(
        run_id=journal.run_id,
        scenario=item.scenario.name,
        scenario_path=str(item.path),
        verdict=SuiteVerdict(journal.verdict.value),
        exit_code=journal.exit_code,
        journal=str(journal_path.resolve().relative_to(suite_dir.resolve())),
    )


class RunFailedError(HarnessError):
    """A scenario's own `harness run` process ended with an error (exit 2, 3 or 130)."""

    def __init__(self, message: str, *, exit_code: int, scenario_index: int) -> None:
        super().__init__(message)
        self.exit_code = (
            ExitCode(exit_code) if exit_code in set(ExitCode) else ExitCode.INFRASTRUCTURE
        )
        self.scenario_index = scenario_index


class _ParallelRuns:
    """Up to `parallel` child `harness run` processes at a time, under one Supervisor."""

    def __init__(self, suite_dir: Path, suite_id: str, options: SuiteOptions) -> None:
        self.suite_dir = suite_dir
        self.suite_id = suite_id
        self.options = options

    def run(
        self,
        loaded: list[ScenarioFile],
        finished: Callable[[int, SuiteEntry, Journal], None],
        on_status: Callable[[str], None] | None,
    ) -> None:
        state = owner_state_file(paths.state_dir(), "suite", self.suite_id)
        reap_abandoned(paths.state_dir(), "suite")  # what a `kill -9`ed parallel suite left
        # The longest first, so the short ones fill the gaps at the end (the files keep the
        # suite's order whatever order the runs finish in).
        waiting = sorted(
            enumerate(loaded),
            key=lambda pair: (
                -build_schedule(pair[1].scenario, time_scale=self.options.run.time_scale).total
            ),
        )
        running: dict[int, tuple[ManagedProcess, float]] = {}
        with Supervisor(log_dir=self.suite_dir / "logs", state_file=state) as sup:
            while waiting or running:
                while waiting and len(running) < self.options.parallel:
                    index, item = waiting.pop(0)
                    spec = ProcessSpec(
                        name=f"run-{index + 1:02d}-{item.scenario.name}",
                        argv=self._argv(item),
                        env={"PYTHONUNBUFFERED": "1"},
                        stop_timeout=CHILD_STOP_S,
                    )
                    running[index] = (sup.start(spec, wait=False), time.monotonic())
                for index in [i for i, (proc, _) in running.items() if not proc.alive()]:
                    proc, _ = running.pop(index)
                    journal_path = self._result(proc, index)
                    try:
                        journal = read_journal(journal_path)
                    except (OSError, ValueError) as exc:
                        raise RunFailedError(
                            f"cannot read the journal {journal_path}: {exc}",
                            exit_code=ExitCode.INFRASTRUCTURE,
                            scenario_index=index,
                        ) from exc
                    entry = _entry(loaded[index], journal, journal_path, self.suite_dir)
                    finished(index, entry, journal)
                if on_status is not None and running:
                    now = time.monotonic()
                    names = ", ".join(
                        f"{loaded[i].scenario.name} {now - began:.0f}s"
                        for i, (_, began) in sorted(running.items())
                    )
                    on_status(
                        f"running {len(running)}: {names}; "
                        f"{len(loaded) - len(waiting) - len(running)} of {len(loaded)} done"
                    )
                time.sleep(POLL_S)

    def _argv(self, item: ScenarioFile) -> list[str]:
        options = self.options.run
        argv = [sys.executable, "-m", "harness.cli", "run", str(item.path.resolve())]
        argv += ["--report-dir", str(self.suite_dir.resolve())]
        if self.options.client_path is not None:
            argv += ["--client", str(self.options.client_path.resolve())]
        if options.time_scale is not None:
            argv += ["--time-scale", repr(options.time_scale)]
        if options.workers:
            argv += ["--workers", str(options.workers)]
        for host in options.allowed_hosts:
            argv += ["--allow-host", host]
        argv += ["--inconclusive", options.inconclusive.value]
        return argv

    def _result(self, proc: ManagedProcess, index: int) -> Path:
        """The journal a finished child wrote; RunFailedError with its own message if none."""
        code = proc.popen.returncode
        output = proc.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        if code in _VERDICT_CODES:
            for line in output:
                if line.startswith(JOURNAL_LINE):
                    return Path(line.removeprefix(JOURNAL_LINE).strip())
        starts = [i for i, line in enumerate(output) if line.startswith(ERROR_LINE)]
        if starts:  # the error is printed last: the whole message, as a serial suite has it
            message = "\n".join(output[starts[-1] :]).removeprefix(ERROR_LINE)
        else:  # a crash (a traceback exits 1 too): never a verdict
            code = ExitCode.INFRASTRUCTURE if code in _VERDICT_CODES else code
            message = f"the run exited with code {code} without a journal; see {proc.log_path}"
        raise RunFailedError(message, exit_code=code, scenario_index=index)


def _write_index(suite_dir: Path, journals: list[tuple[str, Journal]]) -> None:
    """index.html: the suite's verdict and a row per run, linking each run's report."""
    if journals:
        (suite_dir / INDEX_FILE).write_text(render_index(journals), encoding="utf-8")


def _write(
    suite_dir: Path,
    options: SuiteOptions,
    suite_id: str,
    started_at: dt.datetime,
    entries: list[SuiteEntry],
    journals: list[tuple[str, Journal]],
    *,
    not_run: tuple[str, ...] = (),
) -> SuiteResult:
    verdict, exit_code = suite_verdict(entries, options.run.inconclusive)
    summary = SuiteSummary(
        suite_id=suite_id,
        selector=options.selector,
        started_at=started_at,
        finished_at=dt.datetime.now(dt.UTC),
        verdict=verdict,
        exit_code=exit_code,
        inconclusive=options.run.inconclusive,
        runs=tuple(entries),
        not_run=not_run,
    )
    path = suite_dir / SUITE_FILE
    path.write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    by_run: Mapping[str, Journal] = {journal.run_id: journal for _, journal in journals}
    write_suite_junit(summary, by_run, suite_dir / JUNIT_FILE)
    markdown = render_suite_summary(summary, by_run)
    (suite_dir / SUMMARY_FILE).write_text(markdown, encoding="utf-8")
    if options.summary_to is not None:
        append_summary(options.summary_to, markdown)
    return SuiteResult(suite_dir, path, summary)


__all__ = [
    "JUNIT_FILE",
    "SUITE_FILE",
    "SUMMARY_FILE",
    "SuiteEntry",
    "SuiteOptions",
    "SuiteResult",
    "SuiteSummary",
    "SuiteVerdict",
    "read_suite",
    "run_suite",
    "select_scenarios",
]
