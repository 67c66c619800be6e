"""The built-in library: incident scenarios, building blocks, reference clients, incident notes.

    library.scenarios_dir()                 the incident library and scenarios/blocks/
    library.resolve_scenario("incident-5")  a file path, or a built-in scenario by name
    library.resolve_client("resilient")     a file path, or a built-in reference client by name

In a source checkout these are the checkout's own folders (scenarios/, examples/clients/,
examples/reference_client/, examples/ci/, docs/incidents/). A wheel carries copies of them as
package data under harness/library/, laid out the same way (pyproject.toml,
[tool.hatch.build.targets.wheel.force-include]), so the relative paths inside them hold in both: a
reference client file's `cwd: ../..` is the folder from which `python -m
examples.reference_client` starts the client.

A scenario is named by its file name without .yaml (`incident-5-bpjs-disruption`), its `name:`
(`block-schedule-lies`), that name without `block-` (`schedule-lies`), or `incident-N` for the
library's scenario of incident N; a path to an existing file always wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from harness.errors import InfrastructureError, UsageError
from harness.yamlmodel import InvalidFileError, read_yaml

PACKAGE_DIR: Final = Path(__file__).resolve().parent
PACKAGED: Final = PACKAGE_DIR / "library"
"""Where a wheel puts the library (absent in a source checkout)."""

SCENARIOS: Final = "scenarios"
CLIENTS: Final = Path("examples", "clients")
CI_EXAMPLES: Final = Path("examples", "ci")
"""The example pipelines, which `harness init` also writes (harness.scaffold)."""
NOTES: Final = Path("docs", "incidents")
SCENARIO_SUFFIXES: Final = (".yaml", ".yml")
_INCIDENT = re.compile(r"^incident-(?P<number>[1-9][0-9]*)$")


def root() -> Path:
    """The folder holding scenarios/, examples/ and docs/incidents/ of the installed harness."""
    if (PACKAGED / SCENARIOS).is_dir():
        return PACKAGED
    checkout = PACKAGE_DIR.parent
    if (checkout / SCENARIOS).is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    raise InfrastructureError(
        f"the harness's built-in scenario library is missing (looked in {PACKAGED} and "
        f"{checkout}); reinstall the package "
        "(`pip install --force-reinstall health-resilience-harness`)"
    )


def scenarios_dir() -> Path:
    return root() / SCENARIOS


def clients_dir() -> Path:
    return root() / CLIENTS


def notes_dir() -> Path:
    return root() / NOTES


def ci_examples_dir() -> Path:
    return root() / CI_EXAMPLES


@dataclass(frozen=True, kw_only=True)
class BuiltinScenario:
    path: Path
    name: str
    """The file's `name:` (its file name without .yaml if it has none)."""
    incident: int | None
    tags: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Every name that selects this scenario."""
        stem = self.path.stem
        names = [stem, self.name]
        if self.name.startswith("block-"):
            names.append(self.name.removeprefix("block-"))
        return tuple(dict.fromkeys(names))


def builtin_scenarios() -> tuple[BuiltinScenario, ...]:
    """Every scenario file of the built-in library, read without validating it."""
    return _builtin_scenarios(scenarios_dir())


@cache
def _builtin_scenarios(directory: Path) -> tuple[BuiltinScenario, ...]:
    found: list[BuiltinScenario] = []
    files = sorted(p for p in directory.rglob("*") if p.suffix in SCENARIO_SUFFIXES)
    for path in files:
        try:
            data, _ = read_yaml(path)
        except InvalidFileError:
            continue
        if not isinstance(data, dict):
            continue
        incident = data.get("incident")
        tags = data.get("tags")
        found.append(
            BuiltinScenario(
                path=path,
                name=str(data.get("name") or path.stem),
                incident=incident if isinstance(incident, int) else None,
                tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
            )
        )
    return tuple(found)


def find_builtin_scenario(name: str) -> BuiltinScenario | None:
    """The built-in scenario `name` selects, or None."""
    scenarios = builtin_scenarios()
    for scenario in scenarios:
        if name in scenario.names:
            return scenario
    match = _INCIDENT.match(name)
    if match:
        number = int(match["number"])
        replays = [s for s in scenarios if s.incident == number]
        # An incident may have several files; its CI form is the one a pipeline replays.
        replays.sort(key=lambda s: ("ci" not in s.tags, s.path))
        if replays:
            return replays[0]
    return None


def resolve_scenario(ref: str | Path) -> Path:
    """A scenario file: `ref` itself if it is a file, else the built-in scenario it names."""
    as_path = Path(ref)
    if as_path.is_file():
        return as_path
    text = str(ref)
    if as_path.is_dir():
        raise UsageError(
            f"{text} is a directory; give one scenario file or name, or run them all with "
            f"`harness run --suite {text}`"
        )
    found = None if "/" in text else find_builtin_scenario(text.removesuffix(as_path.suffix))
    if found is None:
        raise UsageError(
            f"{text}: no such scenario file, and no built-in scenario of that name; give a path, "
            "or a name from `harness list` (such as incident-5 or bpjs-outage)"
        )
    return found.path


def builtin_clients() -> dict[str, Path]:
    """The reference client files shipped with the harness, by name (resilient, naive, ...)."""
    directory = clients_dir()
    return {p.stem: p for p in sorted(directory.glob("*.yaml"))}


def resolve_client(ref: str | Path) -> Path:
    """A client file: `ref` itself if it is a file, else the built-in reference client it names."""
    as_path = Path(ref)
    if as_path.is_file():
        return as_path
    text = str(ref)
    clients = {} if "/" in text else builtin_clients()
    found = clients.get(text.removesuffix(as_path.suffix))
    if found is None:
        names = ", ".join(clients or builtin_clients())
        raise UsageError(
            f"--client {text}: no such client file, and no built-in client of that name; give "
            f"the path of your client file (`harness init` writes one) or one of: {names}"
        )
    return found


def incident_note(number: int) -> Path | None:
    """docs/incidents/incident-N.md of the installed library, if shipped."""
    note = notes_dir() / f"incident-{number}.md"
    return note if note.is_file() else None
