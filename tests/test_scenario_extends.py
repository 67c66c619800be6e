"""`extends:` in scenario files: a shallow merge per top-level key, paths relative to the file that
wrote them, cycles refused, every problem reported in the file and at the line that holds it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from harness import library
from harness.scenario import load_scenario
from harness.scenario.extends import MAX_DEPTH
from harness.scenario.schema import SCENARIO_SCHEMA_PATH
from harness.yamlmodel import InvalidFileError, read_yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "examples" / "custom_load" / "locustfile.py"  # defines WalkInPatient

BASE = """\
name: base-erm-blip
title: The ERM refuses connections for a while
description: written in the base
tags: [erm, base]
stack: {services: [bpjs, erm], seed: 7}
load:
  users: {FrontDeskStaff: 4}
  duration: 60s
timeline:
  - {at: 10s, for: 20s, target: erm, fault: {kind: down}}
checks:
  served_rate: {during: 0.9}
  nothing_lost: true
drain: 3s
"""

CLIENT = """\
name: walk-in
command: [python, -m, our_service, --port, "{port}"]
locustfile: load.py
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InvalidFileError) as caught:
        load_scenario(path)
    return [str(problem) for problem in caught.value.problems]


def line_of(path: Path, text: str) -> int:
    """The 1-based line of `path` that contains `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_each_top_level_key_given_replaces_the_base_s_whole(tmp_path: Path) -> None:
    base = write(tmp_path / "base.yaml", BASE)
    top = write(
        tmp_path / "top.yaml",
        """\
        extends: base.yaml
        name: tighter-erm-blip
        checks:
          served_rate: {during: 0.95}
        """,
    )
    loaded = load_scenario(top)
    scenario = loaded.scenario
    assert scenario.name == "tighter-erm-blip"
    assert scenario.extends == "base.yaml"  # recorded, e.g. in the journal
    assert loaded.bases == (base,)
    # given here: replaced as a whole (the base's nothing_lost is gone)
    assert scenario.checks.served_rate is not None
    assert scenario.checks.served_rate.during == 0.95
    assert scenario.checks.nothing_lost is None
    # not given: the base's
    assert scenario.title == "The ERM refuses connections for a while"
    assert scenario.description == "written in the base"
    assert scenario.tags == ("erm", "base")
    assert scenario.stack.seed == 7
    assert scenario.load.users == {"FrontDeskStaff": 4}
    assert len(scenario.timeline.steps) == 1
    assert scenario.drain == 3.0


def test_a_built_in_incident_by_name_with_the_team_s_client_and_users(tmp_path: Path) -> None:
    write(tmp_path / "load.py", LOCUSTFILE.read_text(encoding="utf-8"))
    write(tmp_path / "client.yaml", CLIENT)
    top = write(
        tmp_path / "scenarios" / "erm-down.yaml",
        """\
        extends: incident-2
        name: erm-down-ours
        client: ../client.yaml
        load: {users: {WalkInPatient: 12}, spawn_rate: 12, duration: 4h30m}
        """,
    )
    loaded = load_scenario(top)
    builtin = library.resolve_scenario("incident-2")
    assert loaded.bases == (builtin,)
    assert loaded.scenario.incident == 2
    assert loaded.scenario.time_scale == 240
    assert loaded.client_path == (tmp_path / "client.yaml").resolve()
    assert loaded.client is not None
    assert loaded.client.name == "walk-in"
    built = load_scenario(builtin).scenario
    assert loaded.scenario.timeline == built.timeline
    assert loaded.scenario.checks == built.checks


def test_a_chain_of_bases_each_replacing_keys(tmp_path: Path) -> None:
    write(tmp_path / "a" / "base.yaml", BASE)
    write(tmp_path / "b" / "middle.yaml", "extends: ../a/base.yaml\ndrain: 5s\ntitle: Middle\n")
    top = write(tmp_path / "top.yaml", "extends: b/middle.yaml\nname: top\ndrain: 8s\n")
    loaded = load_scenario(top)
    assert loaded.scenario.drain == 8.0
    assert loaded.scenario.title == "Middle"
    assert loaded.scenario.stack.seed == 7
    assert [p.name for p in loaded.bases] == ["middle.yaml", "base.yaml"]


def test_a_client_file_named_in_the_base_is_relative_to_the_base(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "load.py", LOCUSTFILE.read_text(encoding="utf-8"))
    client = write(tmp_path / "lib" / "client.yaml", CLIENT)
    base = BASE.replace("FrontDeskStaff: 4", "WalkInPatient: 4") + "client: client.yaml\n"
    write(tmp_path / "lib" / "base.yaml", base)
    top = write(tmp_path / "mine" / "top.yaml", "extends: ../lib/base.yaml\nname: mine\n")
    loaded = load_scenario(top)
    assert loaded.client_path == client.resolve()
    assert loaded.scenario.client == str(client.resolve())  # runs from any folder


def test_an_inline_client_in_the_base_keeps_its_folder(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "load.py", LOCUSTFILE.read_text(encoding="utf-8"))
    base = BASE.replace("FrontDeskStaff: 4", "WalkInPatient: 4") + textwrap.dedent(
        """\
        client:
          name: inline
          command: [python, -m, our_service, --port, "{port}"]
          locustfile: load.py
        """
    )
    write(tmp_path / "lib" / "base.yaml", base)
    top = write(tmp_path / "top.yaml", "extends: lib/base.yaml\nname: mine\n")
    client = load_scenario(top).client
    assert client is not None
    assert client.cwd == str((tmp_path / "lib").resolve())  # absent: the base file's folder
    assert client.locustfile == str((tmp_path / "lib" / "load.py").resolve())


def test_a_cycle_is_refused_naming_it_at_the_extends_that_closes_it(tmp_path: Path) -> None:
    first = write(tmp_path / "first.yaml", "extends: second.yaml\nname: first\n")
    second = write(tmp_path / "second.yaml", "# the base\nextends: first.yaml\n")
    (problem,) = problems(first)
    assert problem.startswith(f"{second}:2:10: extends: first.yaml makes a cycle: ")
    assert f"{first} -> {second} -> {first}" in problem
    alone = write(tmp_path / "alone.yaml", "extends: alone.yaml\n")
    (problem,) = problems(alone)
    assert f"cycle: {alone} -> {alone}" in problem


def test_the_chain_is_bounded(tmp_path: Path) -> None:
    write(tmp_path / "f0.yaml", BASE)
    for index in range(1, MAX_DEPTH + 2):
        write(tmp_path / f"f{index}.yaml", f"extends: f{index - 1}.yaml\n")
    top = tmp_path / f"f{MAX_DEPTH + 1}.yaml"
    (problem,) = problems(top)
    assert f"longer than {MAX_DEPTH} files" in problem
    assert load_scenario(tmp_path / f"f{MAX_DEPTH}.yaml").scenario.name == "base-erm-blip"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("no-such-incident", "no-such-incident: no such scenario file next to this one"),
        ("../nowhere/base.yaml", "no such scenario file"),
        ("[incident-2]", "give the name of a built-in scenario"),
    ],
)
def test_an_extends_that_names_nothing_is_reported_at_its_line(
    tmp_path: Path, value: str, expected: str
) -> None:
    top = write(tmp_path / "top.yaml", f"name: top\nextends: {value}\n")
    (problem,) = problems(top)
    assert problem.startswith(f"{top}:2:10: extends: ")
    assert expected in problem


def test_a_problem_in_an_inherited_key_is_reported_in_the_base_at_its_line(
    tmp_path: Path,
) -> None:
    base = write(tmp_path / "base.yaml", BASE.replace("kind: down", "kind: dwn"))
    top = write(
        tmp_path / "top.yaml",
        """\
        extends: base.yaml
        name: top
        drain: soon
        """,
    )
    found = problems(top)
    assert len(found) == 2
    inherited = next(p for p in found if "dwn" in p)
    assert inherited.startswith(f"{base}:{line_of(base, 'dwn')}:")
    assert "timeline[0].fault.kind: unknown kind 'dwn'" in inherited
    assert f"(inherited by {top} through `extends: base.yaml`; give `timeline:` there" in inherited
    own = next(p for p in found if "drain" in p)
    assert own.startswith(f"{top}:3:8: drain: ")
    assert "(inherited by" not in own


def test_a_cross_field_problem_lands_where_its_key_was_written(tmp_path: Path) -> None:
    # the base's fault starts at 10s; the top's shorter load ends before it
    base = write(tmp_path / "base.yaml", BASE)
    top = write(
        tmp_path / "top.yaml",
        "extends: base.yaml\nname: top\nload: {users: {FrontDeskStaff: 4}, duration: 5s}\n",
    )
    (problem, *_) = problems(top)
    assert problem.startswith(f"{base}:{line_of(base, 'at: 10s')}:")
    assert "timeline[0].at: starts at 10s, after the load ends (5s)" in problem


def test_user_classes_missing_from_the_client_s_locustfile_point_at_the_inherited_load(
    tmp_path: Path,
) -> None:
    write(tmp_path / "load.py", LOCUSTFILE.read_text(encoding="utf-8"))
    write(tmp_path / "client.yaml", CLIENT)
    top = write(tmp_path / "top.yaml", "extends: incident-2\nname: ours\nclient: client.yaml\n")
    builtin = library.resolve_scenario("incident-2")
    (problem,) = problems(top)
    assert problem.startswith(f"{builtin}:{line_of(builtin, 'FrontDeskStaff: 12')}:")
    assert "load.users names FrontDeskStaff" in problem
    assert "give `load:` there to replace it" in problem


def test_yaml_errors_in_the_base_name_the_base(tmp_path: Path) -> None:
    base = write(tmp_path / "base.yaml", "name: [unclosed\n")
    top = write(tmp_path / "top.yaml", "extends: base.yaml\n")
    (problem,) = problems(top)
    assert problem.startswith(f"{base}:")
    assert "not valid YAML" in problem


def test_the_published_schema_lets_an_extending_file_leave_keys_out(tmp_path: Path) -> None:
    schema = json.loads(SCENARIO_SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    extending, _ = read_yaml(write(tmp_path / "top.yaml", "extends: incident-2\nname: mine\n"))
    assert list(validator.iter_errors(extending)) == []
    alone, _ = read_yaml(write(tmp_path / "alone.yaml", "name: mine\n"))
    assert list(validator.iter_errors(alone)) != []  # without extends: title, load, checks
