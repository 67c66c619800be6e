"""Find, read and validate scenario files, with the client they name.

    loaded = load_scenario(Path("scenarios/bpjs-outage.yaml"))
    loaded = load_scenario(path, client_override=Path("examples/clients/naive.yaml"))
    files, problems = validate_paths([Path("scenarios")])   # for `harness validate`

Every problem is reported with the file, line and field (harness.yamlmodel); a scenario and the
client file it names are both checked. A `--client` file replaces the scenario's own client. A
scenario that `extends:` another is read with its base merged in (harness.scenario.extends); a
problem in a key it inherited is reported in the base file, at that key's line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.client import ClientDefinition, load_client
from harness.load.classes import missing_user_classes
from harness.load.runner import BUILTIN_LOCUSTFILE
from harness.scenario.extends import read_scenario
from harness.scenario.model import DEFER_CROSS_CHECKS, Scenario, scenario_issues
from harness.yamlmodel import (
    FileProblem,
    InvalidFileError,
    Located,
    problems_at,
    validate_data,
)

SCENARIO_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, kw_only=True)
class ScenarioFile:
    """A validated scenario, where it came from, and its resolved client (None: none given)."""

    path: Path
    scenario: Scenario
    client: ClientDefinition | None
    client_path: Path | None
    bases: tuple[Path, ...] = ()
    """The scenario files it extends, nearest first (`extends:`)."""


def load_scenario(
    path: Path,
    *,
    client_override: Path | None = None,
    allowed_hosts: tuple[str, ...] = (),
) -> ScenarioFile:
    """The scenario at `path`, validated with its client; InvalidFileError (exit 2) otherwise."""
    source = read_scenario(path)
    node, origins = source.node, source.origins
    scenario = validate_data(
        Scenario,
        source.data,
        node=node,
        path=path,
        context={DEFER_CROSS_CHECKS: True},
        origins=origins,
    )
    issues: list[Located] = list(scenario_issues(scenario))
    client: ClientDefinition | None = None
    client_path: Path | None = None
    problems: list[FileProblem] = []
    if client_override is not None:
        client_path = client_override
    elif isinstance(scenario.client, str):
        client_path = (path.parent / scenario.client).resolve()
    elif scenario.client is not None:
        client = scenario.client
        issues += [
            Located(loc=("client", *issue.loc), message=issue.message)
            for issue in client.target_issues(allowed_hosts=allowed_hosts)
        ]
    problems += problems_at(issues, node=node, path=path, origins=origins)
    if client_path is not None:
        try:
            client = load_client(client_path, allowed_hosts=allowed_hosts)
        except InvalidFileError as exc:
            problems += exc.problems
    if client is not None and not problems:
        base = client_path.parent if client_path is not None else path.parent
        why = missing_user_classes(locustfile_of(client, base), scenario.load.users)
        if why is not None:
            problems += problems_at(
                [Located(loc=("load", "users"), message=why)],
                node=node,
                path=path,
                origins=origins,
            )
    if problems:
        raise InvalidFileError(problems)
    return ScenarioFile(
        path=path,
        scenario=scenario,
        client=client,
        client_path=client_path,
        bases=source.bases,
    )


def locustfile_of(client: ClientDefinition, base: Path) -> Path:
    """The client's own locustfile (relative to `base`, its file's folder), or the built-in."""
    if client.locustfile is None:
        return BUILTIN_LOCUSTFILE
    return (base / client.locustfile).resolve()


def find_scenario_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus *.yaml / *.yml under each directory (recursively), sorted."""
    found: list[Path] = []
    problems: list[FileProblem] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in SCENARIO_SUFFIXES)
        elif path.exists():
            found.append(path)
        else:
            problems.append(
                FileProblem(
                    path=path, line=None, column=None, field="", message="no such file or directory"
                )
            )
    if problems:
        raise InvalidFileError(problems)
    return found


def validate_paths(
    paths: Sequence[Path], *, allowed_hosts: tuple[str, ...] = ()
) -> tuple[list[ScenarioFile], list[FileProblem]]:
    """Every scenario under `paths`: those that loaded, and the problems of the others."""
    loaded: list[ScenarioFile] = []
    problems: list[FileProblem] = []
    for path in find_scenario_files(paths):
        try:
            loaded.append(load_scenario(path, allowed_hosts=allowed_hosts))
        except InvalidFileError as exc:
            problems += exc.problems
    return loaded, problems
