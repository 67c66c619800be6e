"""`harness init`: the files a team starts from, valid as written, never overwritten by accident.

The command runs as the installed `harness` console script in a fresh folder, as a team runs it;
`harness validate` (a real process too) must accept what it wrote.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from harness.cli import main
from harness.client import TEMPLATE_NAMES
from harness.load.classes import top_level_names
from harness.scaffold.files import (
    CLIENT_FILE,
    LOCUSTFILE,
    SCENARIO_DIR,
    SCENARIO_FILE,
    SCHEMA_DIR,
    Pipeline,
    pipeline_example,
    pipeline_variables,
    render_pipeline,
)
from harness.scenario import load_scenario
from harness.scenario.schema import CLIENT_SCHEMA_PATH, SCENARIO_SCHEMA_PATH
from harness.version import installed_version
from harness.yamlmodel import read_yaml

pytestmark = pytest.mark.integration

HARNESS = Path(sys.executable).with_name("harness")
SCHEMAS = tuple(SCHEMA_DIR / p.name for p in (SCENARIO_SCHEMA_PATH, CLIENT_SCHEMA_PATH))
EVERY_FILE = (CLIENT_FILE, LOCUSTFILE, SCENARIO_FILE, *SCHEMAS, *(p.target for p in Pipeline))


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HARNESS), *args], capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


def contents(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A client's repository after `harness init` (run from its parent folder)."""
    parent = tmp_path_factory.mktemp("init")
    done = harness("init", "clinic-api", cwd=parent)
    assert done.returncode == 0, done.stderr
    return parent / "clinic-api"


def test_init_writes_every_file_and_says_what_to_run_next(tmp_path: Path) -> None:
    done = harness("init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(contents(tmp_path)) == sorted(str(path) for path in EVERY_FILE)
    lines = done.stdout.splitlines()
    for path in EVERY_FILE:
        assert any(line.startswith(f"wrote {path} ") for line in lines), done.stdout
    assert f"  harness validate {SCENARIO_DIR}" in lines
    assert "  harness toxiproxy install" in lines
    assert f"  harness run {SCENARIO_FILE}" in lines
    assert "cd " not in done.stdout  # already there


def test_harness_validate_accepts_what_init_wrote(repo: Path) -> None:
    done = harness("validate", str(SCENARIO_DIR), "--client", str(CLIENT_FILE), cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ok  {SCENARIO_FILE}  erm-down-our-client (incident 2)" in done.stdout
    assert f"ok  {CLIENT_FILE}  client our-client" in done.stdout
    assert "warning" not in done.stdout + done.stderr  # the load can decide every check


def test_the_scenario_extends_a_built_in_incident_with_the_team_s_client_and_users(
    repo: Path,
) -> None:
    loaded = load_scenario(repo / SCENARIO_FILE)
    assert loaded.scenario.extends == "incident-2"
    assert loaded.scenario.incident == 2
    assert loaded.client_path == (repo / CLIENT_FILE).resolve()
    assert loaded.client is not None
    assert loaded.client.locustfile == LOCUSTFILE.name
    assert set(loaded.scenario.load.users) <= top_level_names(repo / LOCUSTFILE)
    assert loaded.scenario.time_scale == 240  # the incident's, inherited


def test_the_client_file_explains_every_placeholder(repo: Path) -> None:
    text = (repo / CLIENT_FILE).read_text(encoding="utf-8")
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    for name in TEMPLATE_NAMES:
        assert f"{{{name}}}" in comments, f"{name} is not explained"
    assert "REPLACE" in text


def test_the_files_validate_against_the_published_schemas(repo: Path) -> None:
    for path, schema_path in (
        (SCENARIO_FILE, SCENARIO_SCHEMA_PATH),
        (CLIENT_FILE, CLIENT_SCHEMA_PATH),
    ):
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        data, _ = read_yaml(repo / path)
        assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == [], path


@pytest.mark.parametrize("pipeline", list(Pipeline), ids=str)
def test_the_pipelines_are_the_examples_pinned_to_this_version(
    repo: Path, pipeline: Pipeline
) -> None:
    written = (repo / pipeline.target).read_text(encoding="utf-8")
    assert pipeline_variables(written) == {
        "HARNESS_VERSION": installed_version(),
        "HARNESS_SUITE": str(SCENARIO_DIR),
        "HARNESS_CLIENT": str(CLIENT_FILE),
    }
    example = pipeline_example(pipeline)
    assert written == render_pipeline(example, pipeline_variables(written))
    changed = [
        (a, b) for a, b in zip(example.splitlines(), written.splitlines(), strict=True) if a != b
    ]
    assert len(changed) <= 3  # the three variables' lines, nothing else
    assert YAML(typ="safe", pure=True).load(written)  # still YAML


def test_an_existing_file_stops_init_before_it_writes_anything(repo: Path) -> None:
    client = repo / CLIENT_FILE
    client.write_text("# ours now\n", encoding="utf-8")
    (repo / LOCUSTFILE).unlink()
    before = contents(repo)
    done = harness("init", cwd=repo)
    assert done.returncode == 2
    assert str(CLIENT_FILE) in done.stderr
    assert "already exist" in done.stderr
    assert "--force" in done.stderr
    assert done.stdout == ""
    assert contents(repo) == before  # the missing locustfile was not written either

    done = harness("init", "--force", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert client.read_text(encoding="utf-8") != "# ours now\n"
    assert (repo / LOCUSTFILE).is_file()
    assert harness("validate", str(SCENARIO_DIR), cwd=repo).returncode == 0


@pytest.mark.parametrize(
    ("choice", "pipelines"),
    [("github", [Pipeline.GITHUB]), ("gitlab", [Pipeline.GITLAB]), ("none", [])],
)
def test_ci_chooses_the_pipelines(tmp_path: Path, choice: str, pipelines: list[Pipeline]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        assert main(["init", "--ci", choice]) == 0
    written = set(contents(tmp_path))
    assert written == {str(p) for p in (CLIENT_FILE, LOCUSTFILE, SCENARIO_FILE, *SCHEMAS)} | {
        str(p.target) for p in pipelines
    }


def test_a_file_in_the_way_of_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "resilience").write_text("not a folder\n", encoding="utf-8")
    done = harness("init", "--force", cwd=tmp_path)
    assert done.returncode == 2
    assert "resilience/client.yaml" in done.stderr
    assert contents(tmp_path) == {"resilience": "not a folder\n"}


@pytest.mark.unit
@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("resilience/scenarios", "  HARNESS_SUITE: resilience/scenarios  # kept"),
        ("true", '  HARNESS_SUITE: "true"  # kept'),  # YAML would read a bare true as a boolean
        ("our suite", '  HARNESS_SUITE: "our suite"  # kept'),
    ],
)
def test_a_pipeline_variable_is_replaced_on_its_line_only(value: str, line: str) -> None:
    text = (
        'env:\n  HARNESS_SUITE: ci  # kept\n  OTHER: x\nrun: harness run --suite "$HARNESS_SUITE"\n'
    )
    rendered = render_pipeline(text, {"HARNESS_SUITE": value})
    assert rendered.splitlines() == [
        "env:",
        line,
        "  OTHER: x",
        'run: harness run --suite "$HARNESS_SUITE"',
    ]
    with pytest.raises(ValueError, match="on 0 lines"):
        render_pipeline(text, {"HARNESS_CLIENT": "x"})


def test_the_scenario_and_client_point_their_editor_at_the_schemas_written_beside_them(
    repo: Path,
) -> None:
    for path, schema in ((SCENARIO_FILE, SCENARIO_SCHEMA_PATH), (CLIENT_FILE, CLIENT_SCHEMA_PATH)):
        first = (repo / path).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), first
        target = (repo / path).parent / first.split("$schema=", 1)[1]
        assert target.resolve().read_bytes() == schema.read_bytes()
