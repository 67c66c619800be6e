"""Several scenarios, one after the other, with one verdict: `harness run --suite <dir or tag>`.

    result = run_suite(SuiteOptions(selector="scenarios/", client_path=Path("naive.yaml")))
    result.exit_code    # 0 every scenario passed, 1 a check failed in at least one

A selector that is an existing directory means every *.yaml / *.yml under it; otherwise it is a tag,
and the suite is every scenario under scenarios/ whose `tags` contain it. Every scenario is
validated (with its client) before the first one starts, so that a typo in the last file costs
seconds, not the runs before it. An invalid scenario or an infrastructure failure (exit 2 / 3)
stops the suite at once with its message.

The runs go into `<report-dir>/<suite-id>/<run-id>/`, next to the suite's own files in
`<report-dir>/<suite-id>/`: suite.json (SuiteSummary, harness.results.suite; its journal paths are
relative to that directory), summary.md (Markdown for a CI job summary or a PR comment), junit.xml
(every run's testsuite in one file, for CI) and index.html. They are written when the suite stops
early too, and `summary_to` gets summary.md appended (e.g. $GITHUB_STEP_SUMMARY).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from harness import paths
from harness.errors import ExitCode, HarnessError, UsageError
from harness.net import LOOPBACK_HOST
from harness.report.files import SUMMARY_FILE
from harness.report.index import render_index
from harness.report.suite_markdown import render_suite_summary
from harness.report.summary_file import append_summary
from harness.results.journal import Journal
from harness.results.junit import write_suite_junit
from harness.results.suite import SuiteEntry, SuiteSummary, SuiteVerdict, read_suite
from harness.runner.engine import RunOptions, run_scenario
from harness.scenario.loader import ScenarioFile, find_scenario_files, load_scenario
from harness.yamlmodel import FileProblem, InvalidFileError, read_yaml

SUITE_FILE: Final = "suite.json"
INDEX_FILE: Final = "index.html"
JUNIT_FILE: Final = "junit.xml"
DEFAULT_SCENARIO_DIR: Final = Path("scenarios")
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True, kw_only=True)
class SuiteOptions:
    selector: str
    client_path: Path | None = None
    report_dir: Path = Path("reports")
    time_scale: float | None = None
    workers: int = 0
    remote_workers: int = 0
    master_bind: str = LOOPBACK_HOST
    allowed_hosts: tuple[str, ...] = ()
    scenario_dir: Path | None = None
    """Where tags are looked up; None: ./scenarios, else the checkout's scenarios/."""
    summary_to: Path | None = None
    """A file to append the suite's summary.md to (e.g. $GITHUB_STEP_SUMMARY); None: none."""


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


def scenario_dir(configured: Path | None = None) -> Path:
    """The scenario library tags are looked up in."""
    if configured is not None:
        return configured
    if DEFAULT_SCENARIO_DIR.is_dir():
        return DEFAULT_SCENARIO_DIR
    return paths.project_root() / DEFAULT_SCENARIO_DIR


def select_scenarios(selector: str, *, library: Path) -> list[Path]:
    """The scenario files a selector names; UsageError (exit 2) when it names none."""
    as_path = Path(selector)
    if as_path.is_dir():
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
    if not library.is_dir():
        raise UsageError(
            f"--suite {selector}: no directory {library} to look the tag up in; "
            "run from the project root or give a directory"
        )
    found = [path for path in find_scenario_files([library]) if selector in _tags_of(path)]
    if not found:
        known = sorted({tag for path in find_scenario_files([library]) for tag in _tags_of(path)})
        raise UsageError(
            f"--suite {selector}: no scenario under {library} has the tag {selector!r}; "
            f"known tags: {', '.join(known) or 'none'}"
        )
    return found


def _tags_of(path: Path) -> list[str]:
    """The `tags` of a file, read without validating it (validation comes once selected)."""
    try:
        data, _ = read_yaml(path)
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
                    path, client_override=options.client_path, allowed_hosts=options.allowed_hosts
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
                "test; give --client FILE (e.g. --client examples/clients/resilient.yaml) or a "
                "`client:` key in the file"
            )
    return loaded


def run_suite(
    options: SuiteOptions, *, on_run: Callable[[SuiteEntry, Path], None] | None = None
) -> SuiteResult:
    """Run the selected scenarios in order; exit 2/3 errors stop the suite (and propagate).

    `on_run(entry, suite_dir)` is called after each run, for a live verdict line.
    """
    files = select_scenarios(options.selector, library=scenario_dir(options.scenario_dir))
    loaded = _validate_all(files, options)
    started_at = dt.datetime.now(dt.UTC)
    label = re.sub(r"[^a-z0-9-]+", "-", Path(options.selector).name.lower()).strip("-") or "dir"
    suite_id = f"{started_at:%Y%m%d-%H%M%S}-suite-{label}-{secrets.token_hex(2)}"
    suite_dir = options.report_dir / suite_id
    suite_dir.mkdir(parents=True, exist_ok=True)
    entries: list[SuiteEntry] = []
    journals: list[tuple[str, Journal]] = []
    try:
        for item in loaded:
            result = run_scenario(
                RunOptions(
                    scenario_path=item.path,
                    client_path=options.client_path,
                    report_dir=suite_dir,
                    time_scale=options.time_scale,
                    workers=options.workers,
                    remote_workers=options.remote_workers,
                    master_bind=options.master_bind,
                    allowed_hosts=options.allowed_hosts,
                )
            )
            entry = SuiteEntry(
                run_id=result.journal.run_id,
                scenario=item.scenario.name,
                scenario_path=str(item.path),
                verdict=SuiteVerdict(result.journal.verdict.value),
                exit_code=result.exit_code,
                journal=str(result.journal_path.relative_to(suite_dir)),
            )
            entries.append(entry)
            journals.append((result.run_dir.name, result.journal))
            if on_run is not None:
                on_run(entry, suite_dir)
    except (HarnessError, KeyboardInterrupt) as exc:
        code = exc.exit_code if isinstance(exc, HarnessError) else ExitCode.INTERRUPTED
        not_run = tuple(item.scenario.name for item in loaded[len(entries) + 1 :])
        entries.append(
            SuiteEntry(
                run_id=None,
                scenario=loaded[len(entries)].scenario.name,
                scenario_path=str(loaded[len(entries)].path),
                verdict=SuiteVerdict.ERROR,
                exit_code=int(code),
                journal=None,
                error=str(exc) or type(exc).__name__,
            )
        )
        _write_index(suite_dir, journals)
        _write(suite_dir, options, suite_id, started_at, entries, journals, not_run=not_run)
        raise
    _write_index(suite_dir, journals)
    return _write(suite_dir, options, suite_id, started_at, entries, journals)


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
    codes = [entry.exit_code for entry in entries]
    errors = [code for code in codes if code not in (ExitCode.OK, ExitCode.CHECK_FAILED)]
    if errors:
        exit_code, verdict = errors[0], SuiteVerdict.ERROR
    elif any(code == ExitCode.CHECK_FAILED for code in codes):
        exit_code, verdict = int(ExitCode.CHECK_FAILED), SuiteVerdict.FAIL
    else:
        exit_code, verdict = int(ExitCode.OK), SuiteVerdict.PASS
    summary = SuiteSummary(
        suite_id=suite_id,
        selector=options.selector,
        started_at=started_at,
        finished_at=dt.datetime.now(dt.UTC),
        verdict=verdict,
        exit_code=exit_code,
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
