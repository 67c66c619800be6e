"""`extends:` in a scenario file: start from another scenario and replace some of its keys.

    extends: incident-2            # a built-in scenario by name, or a file relative to this one
    name: clinic-erm-down
    client: ../client.yaml         # replaces the base's client
    checks: {served_rate: {during: 0.95}, nothing_lost: true}   # replaces all of its checks

The merge is shallow, one top-level key at a time: the base file's top-level keys are taken, and
every top-level key the extending file gives replaces the base's whole value (giving `checks:`
replaces every check, not just the ones written). A base may itself extend another; the chain is
followed up to MAX_DEPTH files and may not come back to a file already in it.

Each key keeps the file it was written in (yamlmodel.Origin), so a problem is reported in that
file at its line. A relative path inside an inherited key (a `client:` file, an inline client's
`cwd` and `locustfile`) is made absolute against the folder of the file it was written in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from harness import library
from harness.errors import HarnessError
from harness.yamlmodel import FileProblem, InvalidFileError, Origin, locate, read_yaml

EXTENDS: Final = "extends"
MAX_DEPTH: Final = 8
"""The longest chain of files one scenario may extend through (itself not counted)."""


@dataclass(frozen=True, kw_only=True)
class ScenarioSource:
    """A scenario file's data with its `extends:` chain merged in, and where each key came from."""

    path: Path
    data: Any
    """Plain data to validate; not a mapping if the file is not one (validation reports it)."""
    node: Any
    """The ruamel tree of the file itself."""
    origins: Mapping[str, Origin] = field(default_factory=dict)
    """Each top-level key inherited from a base: the file it was written in."""
    bases: tuple[Path, ...] = ()
    """The files extended, nearest first."""


def read_scenario(path: Path) -> ScenarioSource:
    """The data of the scenario file at `path` with what it extends merged in.

    InvalidFileError (exit 2) for unreadable YAML in any file of the chain, an `extends:` that
    names nothing, a cycle or a chain longer than MAX_DEPTH, each at the line of the `extends:`.
    """
    return _read(path, chain=())


def _read(path: Path, *, chain: tuple[Path, ...]) -> ScenarioSource:
    data, node = read_yaml(path)
    if not isinstance(data, dict) or EXTENDS not in data:
        return ScenarioSource(path=path, data=data, node=node)
    ref = data[EXTENDS]
    here = (*chain, path)
    if not isinstance(ref, str) or not ref.strip():
        raise _problem(
            path,
            node,
            "give the name of a built-in scenario (such as incident-2) or the path of a "
            "scenario file relative to this one",
        )
    base_path = _resolve(ref, relative_to=path.parent)
    if base_path is None:
        raise _problem(
            path,
            node,
            f"{ref}: no such scenario file next to this one, and no built-in scenario of that "
            "name; give a path relative to this file, or a name from `harness list` (such as "
            "incident-2 or bpjs-outage)",
        )
    seen = [p.resolve() for p in here]
    if base_path.resolve() in seen:
        start = seen.index(base_path.resolve())
        cycle = " -> ".join(str(p) for p in (*here[start:], base_path))
        raise _problem(path, node, f"{ref} makes a cycle: {cycle}; remove one of the extends")
    if len(here) > MAX_DEPTH:
        raise _problem(
            path,
            node,
            f"the extends chain is longer than {MAX_DEPTH} files "
            f"({' -> '.join(str(p) for p in (*here, base_path))}); extend the base directly",
        )
    base = _read(base_path, chain=here)
    if not isinstance(base.data, dict):
        raise _problem(path, node, f"{ref} ({base_path}) is not a scenario: not a mapping of keys")
    inherited = {key: value for key, value in base.data.items() if key != EXTENDS}
    origins = {
        key: _inherited(base.origins.get(key), base, by=path, ref=ref, key=key) for key in inherited
    }
    folder = base_path.parent
    merged = {key: _absolute_paths(key, value, folder) for key, value in inherited.items()}
    for key, value in data.items():
        merged[key] = value
        origins.pop(key, None)
    return ScenarioSource(
        path=path,
        data=merged,
        node=node,
        origins=origins,
        bases=(base_path, *base.bases),
    )


def _resolve(ref: str, *, relative_to: Path) -> Path | None:
    """A file next to the extending one wins; a bare name is then a built-in scenario."""
    candidate = relative_to / ref
    if candidate.is_file():
        return candidate
    if "/" in ref or "\\" in ref:
        return None
    name = ref.removesuffix(".yaml").removesuffix(".yml")
    try:
        found = library.find_builtin_scenario(name)
    except HarnessError:  # no library installed: the name names nothing
        return None
    return found.path if found is not None else None


def _inherited(
    origin: Origin | None, base: ScenarioSource, *, by: Path, ref: str, key: str
) -> Origin:
    """Where an inherited key was written, with a hint naming the file that can replace it."""
    written = origin or Origin(path=base.path, node=base.node)
    # The hint names the outermost extending file (a later call replaces this one's).
    hint = f" (inherited by {by} through `extends: {ref}`; give `{key}:` there to replace it)"
    return Origin(path=written.path, node=written.node, hint=hint)


def _absolute_paths(key: str, value: Any, folder: Path) -> Any:
    """`value` of top-level `key` with its relative file paths made absolute against `folder`."""
    if key != "client":
        return value
    if isinstance(value, str) and value:
        return str((folder / value).resolve())
    if isinstance(value, dict):
        client = dict(value)
        cwd = client.get("cwd")  # absent: the folder of the file that holds the client
        if cwd is None or isinstance(cwd, str):
            client["cwd"] = str((folder / (cwd or "")).resolve())
        locustfile = client.get("locustfile")
        if isinstance(locustfile, str) and locustfile:
            client["locustfile"] = str((folder / locustfile).resolve())
        return client
    return value


def _problem(path: Path, node: Any, message: str) -> InvalidFileError:
    line, column, _ = locate(node, (EXTENDS,))
    return InvalidFileError(
        [FileProblem(path=path, line=line, column=column, field=EXTENDS, message=message)]
    )


__all__ = ["EXTENDS", "MAX_DEPTH", "ScenarioSource", "read_scenario"]
