"""The example pipelines in examples/ci/ stay in step with the harness they install.

Every `harness ...` line in them is parsed by the real `harness` argument parser (an option renamed
in the CLI breaks this test), with the pipeline's own variables filled in; the suite they run
selects the incident library; they install this version of the harness from the package index;
the JUnit and summary paths they upload are the ones a suite writes, and the pytest line's options
are accepted by the installed pytest plugin. GitHub's workflow also goes through actionlint when it
is installed (`make actionlint`). The pipelines `harness init` writes are the same files with
their variables set (tests/test_init.py); they are parsed and linted here too.
"""

from __future__ import annotations

import argparse
import glob
import shlex
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from harness import library, paths
from harness.cli import build_parser
from harness.report.files import SUMMARY_FILE
from harness.runner.suite import JUNIT_FILE, select_scenarios
from harness.scaffold.files import PIPELINE_VARIABLES, Pipeline, scaffold_files, write_files
from harness.version import DISTRIBUTION, installed_version
from tests.conftest import UNRELATED_PLUGINS

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / "examples" / "ci" / "github-actions.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab-ci.yml"
PYTEST = ["python", "-m", "pytest"]


def _load(path: Path) -> Any:
    # YAML 1.2 (ruamel), as GitHub and GitLab read it: `on:` stays a key, not `true`.
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _is_github(path: Path) -> bool:
    return path.suffix == ".yml" and "gitlab" not in path.name


def _variables(path: Path) -> dict[str, str]:
    """The pipeline's own variables: the workflow's `env:` (GitHub), the `.harness` template's
    `variables:` (GitLab: nothing global, so that an include changes none of the team's jobs)."""
    document = _load(path)
    found = document["env"] if _is_github(path) else document[".harness"]["variables"]
    return {str(name): str(value) for name, value in found.items()}


def _command_lines(script: str, variables: Mapping[str, str]) -> Iterator[list[str]]:
    """Each shell command of a script as argv, line continuations joined, comments dropped, the
    pipeline's variables filled in ($GITHUB_STEP_SUMMARY and the like stay as written)."""
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words:
            yield [string.Template(word).safe_substitute(variables) for word in words]


def _github_scripts(workflow: Any) -> list[str]:
    return [
        step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step
    ]


def _gitlab_scripts(pipeline: Any) -> list[str]:
    keys = ("before_script", "script", "after_script")
    return [
        line
        for job in pipeline.values()
        if isinstance(job, dict)
        for key in keys
        for line in job.get(key, [])
    ]


def _commands(path: Path) -> list[list[str]]:
    document = _load(path)
    scripts = _github_scripts(document) if _is_github(path) else _gitlab_scripts(document)
    variables = _variables(path)
    return [words for script in scripts for words in _command_lines(script, variables)]


def _option_strings(parser: argparse.ArgumentParser, words: list[str]) -> set[str]:
    """Every option string of the (sub)command `words` names, e.g. ["run"] or ["toxiproxy",
    "install"]: argparse accepts unambiguous abbreviations, so parsing alone would not notice
    `--summary-to` renamed to `--summary-to-file`."""
    options = set(parser._option_string_actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and words and words[0] in action.choices:
            options |= _option_strings(action.choices[words[0]], words[1:])
    return options


def _harness_args(path: Path) -> list[argparse.Namespace]:
    parsed = []
    for words in _commands(path):
        if words[0] != "harness":
            continue
        parser = build_parser()
        try:
            parsed.append(parser.parse_args(words[1:]))
        except SystemExit:
            pytest.fail(f"{path.name}: `{shlex.join(words)}` no longer parses; update the example")
        known = _option_strings(parser, [w for w in words[1:] if not w.startswith("-")])
        used = {w.split("=")[0] for w in words[1:] if w.startswith("--")}
        assert used <= known, f"{path.name}: `{shlex.join(words)}` uses {used - known}"
    return parsed


def _suite_run(path: Path) -> argparse.Namespace:
    (run,) = [args for args in _harness_args(path) if args.command == "run"]
    assert run.suite is not None, f"{path.name} runs no suite"
    return run


def _github_steps(path: Path = GITHUB) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = _load(path)["jobs"]["resilience"]["steps"]
    return steps


def _step(uses: str) -> dict[str, Any]:
    return next(step for step in _github_steps() if step.get("uses", "").startswith(uses))


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository as `harness init` leaves it (in this process: tests/test_init.py runs the
    command itself)."""
    directory = tmp_path_factory.mktemp("initialised")
    write_files(directory, scaffold_files(pipelines=tuple(Pipeline), version=installed_version()))
    return directory


PIPELINES = [
    pytest.param(lambda _: GITHUB, id="github"),
    pytest.param(lambda _: GITLAB, id="gitlab"),
    pytest.param(lambda repo: repo / Pipeline.GITHUB.target, id="github-init"),
    pytest.param(lambda repo: repo / Pipeline.GITLAB.target, id="gitlab-init"),
]


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_every_harness_line_parses_with_the_real_cli(pipeline: Any, initialised: Path) -> None:
    path: Path = pipeline(initialised)
    parsed = _harness_args(path)
    assert [args.command for args in parsed] == ["toxiproxy", "run"]
    assert parsed[0].toxiproxy_command == "install"
    run = _suite_run(path)
    assert run.scenario is None
    assert run.scenario_dir is None  # the built-in suite, or the team's own folder
    assert run.client == _variables(path)["HARNESS_CLIENT"]
    assert run.report_dir == Path("reports")
    assert run.summary_to is not None


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_the_suite_is_the_incident_library(path: Path) -> None:
    run = _suite_run(path)
    assert run.suite == "ci"
    assert run.client == "clients/our-client.yaml"
    builtin = library.scenarios_dir()
    selected = select_scenarios(run.suite, library=builtin)
    incidents = select_scenarios("incident", library=builtin)
    assert len(incidents) >= 5
    assert set(incidents) <= set(selected)


@pytest.mark.parametrize("pipeline", PIPELINES[2:])
def test_an_initialised_pipeline_runs_the_team_s_scenarios(
    pipeline: Any, initialised: Path
) -> None:
    path: Path = pipeline(initialised)
    run = _suite_run(path)
    assert (initialised / run.client).is_file()
    selected = select_scenarios(str(initialised / run.suite), library=library.scenarios_dir())
    assert [p.relative_to(initialised).as_posix() for p in selected] == [
        "resilience/scenarios/erm-down.yaml"
    ]


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_the_harness_comes_from_the_package_index_pinned_to_this_version(
    pipeline: Any, initialised: Path
) -> None:
    path: Path = pipeline(initialised)
    assert _variables(path)["HARNESS_VERSION"] == installed_version()  # bump with pyproject's
    installs = [w for w in _commands(path) if w[:4] == ["python", "-m", "pip", "install"]]
    assert installs == [
        ["python", "-m", "pip", "install", f"{DISTRIBUTION}=={installed_version()}"]
    ]
    text = path.read_text(encoding="utf-8")
    for checkout in ("git clone", "pip install -e", "--scenario-dir", "actions/setup-go"):
        assert checkout not in text, f"{path.name} still installs from a checkout: {checkout}"
    assert set(PIPELINE_VARIABLES) <= set(_variables(path))


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_the_pytest_line_uses_options_the_plugin_accepts(path: Path, tmp_path: Path) -> None:
    (words,) = [w for w in _commands(path) if w[:3] == PYTEST]
    assert "--harness-report-dir" in words  # keeps reports/*/junit.xml the suite's
    # the same options, pointed at an empty folder: 5 (nothing collected) if pytest knows them
    # all, 4 (usage error) if the plugin renamed one
    argv = [
        *(w for w in words[3:] if w != "tests/resilience"),
        "--collect-only",
        "-p",
        "no:cacheprovider",
        *UNRELATED_PLUGINS,
        str(tmp_path),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 5, done.stdout + done.stderr


def test_gitlab_uploads_the_suite_junit_and_the_reports_always() -> None:
    pipeline = _load(GITLAB)
    job = pipeline["resilience"]
    run = _suite_run(GITLAB)
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["reports"]["junit"] == f"{run.report_dir.as_posix()}/*/{JUNIT_FILE}"
    assert f"{run.report_dir.as_posix()}/" in artifacts["paths"]
    assert str(run.summary_to) in artifacts["paths"]
    pytest_job = pipeline["resilience-pytest"]
    assert pytest_job["artifacts"]["when"] == "always"
    (words,) = [w for w in _commands(GITLAB) if w[:3] == PYTEST]
    assert words[words.index("--junitxml") + 1] == pytest_job["artifacts"]["reports"]["junit"]


def test_gitlab_posts_the_summary_note_only_on_merge_requests() -> None:
    job = _load(GITLAB)["resilience"]
    run = _suite_run(GITLAB)
    (note,) = job["after_script"]
    assert '[ -n "$CI_MERGE_REQUEST_IID" ]' in note
    assert f'"body@{run.summary_to}"' in note
    assert "/merge_requests/$CI_MERGE_REQUEST_IID/notes" in note
    assert job["allow_failure"] is False  # the gate gates; the comments say how to soften it
    # GitLab refuses cache keys with a slash
    for job_def in _load(GITLAB).values():
        for cache in job_def.get("cache", []) if isinstance(job_def, dict) else []:
            assert "/" not in cache["key"]


def test_github_uploads_the_reports_always_and_comments_only_on_pull_requests() -> None:
    run = _suite_run(GITHUB)
    assert run.summary_to == Path("$GITHUB_STEP_SUMMARY")
    upload = _step("actions/upload-artifact@v4")
    assert upload["if"] == "${{ always() }}"
    assert upload["with"]["path"] == f"{run.report_dir.as_posix()}/"
    comment = next(step for step in _github_steps() if "gh pr comment" in step.get("run", ""))
    assert "github.event_name == 'pull_request'" in comment["if"]
    summaries = f"{run.report_dir.as_posix()}/*/{SUMMARY_FILE}"
    assert f"hashFiles('{summaries}')" in comment["if"]
    assert f"set -- {summaries}" in comment["run"]


def test_github_sets_up_what_the_harness_needs() -> None:
    checkouts = [s for s in _github_steps() if s.get("uses") == "actions/checkout@v4"]
    assert [c.get("with", {}).get("path") for c in checkouts] == [None]  # the client's only
    python = _step("actions/setup-python@")
    assert tuple(int(p) for p in python["with"]["python-version"].split(".")) >= (3, 11)
    # toxiproxy goes to the per-user cache folder outside a checkout: the cache keeps it
    assert "HARNESS_BIN_DIR" not in _variables(GITHUB)
    cache = _step("actions/cache@")
    cached = [Path(line) for line in cache["with"]["path"].split()]
    bin_dir = paths.user_cache_dir({"HOME": "~"}) / "bin"  # outside a checkout
    assert any(folder == bin_dir or folder in bin_dir.parents for folder in cached)
    assert "${{ env.HARNESS_VERSION }}" in cache["with"]["key"]  # a new version, a new cache


def test_gitlab_caches_toxiproxy_where_the_harness_puts_it() -> None:
    variables = _variables(GITLAB)
    bin_dir = Path(variables["HARNESS_BIN_DIR"].replace("$CI_PROJECT_DIR", "."))
    (cache,) = _load(GITLAB)[".harness"]["cache"]
    cached = [Path(folder) for folder in cache["paths"]]
    assert any(folder in bin_dir.parents for folder in cached)
    assert "$HARNESS_VERSION" in cache["key"]


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_the_uploaded_junit_glob_finds_the_suite_file_only(path: Path, tmp_path: Path) -> None:
    """reports/*/junit.xml must match the suite's merged file, not each run's own."""
    run = _suite_run(path)
    suite_dir = tmp_path / run.report_dir / "20260101-000000-suite-ci-ab12"
    for folder in (suite_dir, suite_dir / "20260101-000001-bpjs-outage-cd34"):
        folder.mkdir(parents=True)
        (folder / JUNIT_FILE).write_text("<testsuites/>", encoding="utf-8")
    found = glob.glob(f"{run.report_dir.as_posix()}/*/{JUNIT_FILE}", root_dir=tmp_path)
    assert [Path(f) for f in found] == [(suite_dir / JUNIT_FILE).relative_to(tmp_path)]


@pytest.mark.parametrize("pipeline", [PIPELINES[0], PIPELINES[2]])
def test_the_github_workflow_passes_actionlint(pipeline: Any, initialised: Path) -> None:
    # where `make actionlint` puts it (the Makefile's .bin/, whatever HARNESS_BIN_DIR says)
    actionlint = shutil.which("actionlint", path=str(ROOT / ".bin")) or shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed; `make actionlint` installs it into .bin/")
    done = subprocess.run(
        [actionlint, "-no-color", str(pipeline(initialised))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_gitlab_include_changes_none_of_the_teams_jobs() -> None:
    # A global `stages:` would drop the default build/deploy stages of the including pipeline,
    # and global `variables:` would reach every job of the team's.
    document = _load(GITLAB)
    assert "stages" not in document
    assert "variables" not in document
    assert "default" not in document
    assert document["resilience"].get("stage", "test") == "test"
