"""The built-in library by name, the per-user tools folder, and the commands that use them.

`harness list`, `harness run NAME`, `--suite TAG` and `harness schema` work from any folder, as
after `pip install` (tests/test_wheel.py runs them from the wheel itself).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness import library, paths
from harness.errors import UsageError
from harness.runner.suite import scenario_dirs, select_scenarios
from tests.cli_support import harness_in_process

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def test_the_library_of_a_checkout_is_its_own_folders() -> None:
    assert library.root() == ROOT
    assert library.scenarios_dir() == SCENARIOS
    assert set(library.builtin_clients()) == {
        p.stem for p in (ROOT / "examples/clients").glob("*.yaml")
    }
    assert library.incident_note(2) == ROOT / "docs/incidents/incident-2.md"


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("bpjs-outage", "bpjs-outage.yaml"),  # its name:
        ("incident-5", "bpjs-outage.yaml"),  # the library's replay of incident 5
        ("incident-2", "incident-2-erm-down.yaml"),
        ("incident-2-erm-down", "incident-2-erm-down.yaml"),
        ("incident-2-erm-down.yaml", "incident-2-erm-down.yaml"),
        ("block-schedule-lies", "blocks/schedule-lies.yaml"),
        ("schedule-lies", "blocks/schedule-lies.yaml"),  # the block's file name
    ],
)
def test_a_builtin_scenario_is_found_by_any_of_its_names(name: str, file: str) -> None:
    assert library.resolve_scenario(name) == SCENARIOS / file


def test_every_builtin_scenario_is_found_by_its_name_and_every_incident_by_number() -> None:
    builtin = library.builtin_scenarios()
    assert len(builtin) == len(list(SCENARIOS.rglob("*.yaml")))
    for scenario in builtin:
        assert library.resolve_scenario(scenario.name) == scenario.path
    numbers = {s.incident for s in builtin if s.incident is not None}
    assert numbers == {1, 2, 3, 4, 5}
    for number in numbers:
        assert library.find_builtin_scenario(f"incident-{number}") is not None


def test_a_path_wins_over_a_builtin_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "incident-5"
    own.write_text("name: mine\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert library.resolve_scenario("incident-5") == Path("incident-5")
    assert library.resolve_scenario(own) == own


@pytest.mark.parametrize("name", ["incident-9", "nosuch", "scenarios/nosuch.yaml"])
def test_an_unknown_scenario_says_where_the_names_are(name: str) -> None:
    with pytest.raises(UsageError, match=r"no built-in scenario of that name.*harness list"):
        library.resolve_scenario(name)


def test_a_folder_is_not_a_scenario() -> None:
    with pytest.raises(UsageError, match=r"is a directory.*--suite"):
        library.resolve_scenario(SCENARIOS)


def test_a_builtin_client_is_found_by_name_and_an_unknown_one_lists_them() -> None:
    assert library.resolve_client("resilient") == ROOT / "examples/clients/resilient.yaml"
    assert library.resolve_client("naive.yaml") == ROOT / "examples/clients/naive.yaml"
    with pytest.raises(UsageError, match=r"harness init.*lenient, naive, resilient"):
        library.resolve_client("mine.yaml")


def test_a_tag_is_looked_up_in_the_builtin_library_and_a_users_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./scenarios here
    ci = sorted(select_scenarios("ci", library=scenario_dirs()))
    assert [p.name for p in ci] == sorted(
        ["bpjs-outage.yaml", *(p.name for p in SCENARIOS.glob("incident-*.yaml"))]
    )
    own = tmp_path / "ours.yaml"
    own.write_text("name: ours\ntags: [ci]\n", encoding="utf-8")
    with_own = select_scenarios("ci", library=scenario_dirs(tmp_path))
    assert own in with_own
    assert len(with_own) == len(ci) + 1
    # The built-in folder given again is the same folder: each file once.
    assert sorted(select_scenarios("ci", library=scenario_dirs(SCENARIOS))) == ci
    with pytest.raises(UsageError, match=r"--scenario-dir .*nosuch: no such directory"):
        select_scenarios("ci", library=scenario_dirs(tmp_path / "nosuch"))


def test_tools_go_to_the_per_user_cache_outside_a_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.bin_dir({}) == ROOT / ".bin"  # a checkout keeps its own, for development
    assert paths.bin_dir({"HARNESS_BIN_DIR": "/opt/tools"}) == Path("/opt/tools")
    monkeypatch.setattr(paths, "checkout", lambda: None)
    cache = Path("/home/u/.cache/health-resilience-harness/bin")
    assert paths.bin_dir({"HOME": "/home/u"}) == cache
    assert paths.bin_dir({"HOME": "/home/u", "XDG_CACHE_HOME": "/var/c"}) == Path(
        "/var/c/health-resilience-harness/bin"
    )
    # The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
    assert paths.bin_dir({"HOME": "/home/u", "XDG_CACHE_HOME": "rel"}) == cache
    assert paths.bin_dir({"HOME": "/home/u", "HARNESS_BIN_DIR": "/opt/t"}) == Path("/opt/t")


def test_list_from_an_empty_folder_shows_the_builtin_library(tmp_path: Path) -> None:
    done = harness_in_process("list", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {row["name"] for row in rows} == {s.name for s in library.builtin_scenarios()}
    assert {row["incident"] for row in rows} >= {1, 2, 3, 4, 5}


def test_schema_write_copies_the_published_schemas(tmp_path: Path) -> None:
    done = harness_in_process("schema", "--write", str(tmp_path / "schemas"))
    assert done.returncode == 0, done.stderr
    for name in ("scenario", "client", "journal"):
        written = tmp_path / "schemas" / f"{name}.schema.json"
        assert written.read_bytes() == (ROOT / "harness/schemas" / written.name).read_bytes()
    assert "$schema=" in done.stdout
    assert "schemas/scenario.schema.json (the path relative to that file)" in done.stdout
    printed = harness_in_process("schema", "client")
    assert json.loads(printed.stdout)["title"] == "Harness client file"
    a_file = tmp_path / "f"
    a_file.write_text("", encoding="utf-8")
    refused = harness_in_process("schema", "--write", str(a_file))
    assert refused.returncode == 2
    assert "not a directory" in refused.stderr


@pytest.mark.integration
def test_run_names_an_unknown_scenario_or_client_in_one_line(tmp_path: Path) -> None:
    for args, words in (
        (["run", "incident-9", "--client", "resilient"], "no built-in scenario"),
        (["run", "incident-5", "--client", "ours.yaml"], "no built-in client"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert words in done.stderr
        assert "Traceback" not in done.stderr


def test_a_tag_inherited_through_extends_selects_the_file(tmp_path: Path) -> None:
    own = tmp_path / "clinic-erm-down.yaml"
    own.write_text("extends: incident-2\nname: clinic-erm-down\n", encoding="utf-8")
    assert own in select_scenarios("erm", library=scenario_dirs(tmp_path))


def test_a_bare_tag_wins_over_a_folder_of_that_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ci"
    folder.mkdir()
    (folder / "ours.yaml").write_text("name: ours\ntags: [mine]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    by_tag = select_scenarios("ci", library=scenario_dirs())
    assert by_tag == select_scenarios("ci", library=scenario_dirs(SCENARIOS))  # the library's
    for spelled in ("./ci", "ci/"):
        assert select_scenarios(spelled, library=scenario_dirs()) == [Path(spelled) / "ours.yaml"]
