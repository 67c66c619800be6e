"""The files `harness init` writes, and writing them without overwriting anything by accident.

    files = scaffold_files(pipelines=(Pipeline.GITHUB,), version="0.2.0")
    written = write_files(Path("."), files, force=False)   # UsageError if any file exists

The client file, the locustfile and the scenario are copied from harness/scaffold/templates/ as
they are (the locustfile there is linted and type-checked with the package). The pipelines are
the library's own examples/ci/ files, the ones the harness documents, with their three variables
(PIPELINE_VARIABLES) set: the installed version, this layout's suite folder and client file. So
a pipeline `harness init` writes and the documented example cannot drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Final

from harness import library
from harness.errors import UsageError
from harness.scenario.schema import CLIENT_SCHEMA_PATH, SCENARIO_SCHEMA_PATH

CLIENT_FILE: Final = PurePosixPath("resilience/client.yaml")
LOCUSTFILE: Final = PurePosixPath("resilience/locustfile.py")
SCENARIO_DIR: Final = PurePosixPath("resilience/scenarios")
SCENARIO_FILE: Final = SCENARIO_DIR / "erm-down.yaml"
SCHEMA_DIR: Final = PurePosixPath("resilience/schemas")
"""The JSON Schemas of scenario and client files, for the templates' `$schema` modelines."""


class Pipeline(StrEnum):
    """A CI system `harness init` writes a pipeline for."""

    GITHUB = "github"
    GITLAB = "gitlab"

    @property
    def example(self) -> str:
        """Its file in the library's examples/ci/."""
        return {Pipeline.GITHUB: "github-actions.yml", Pipeline.GITLAB: "gitlab-ci.yml"}[self]

    @property
    def target(self) -> PurePosixPath:
        """Where `harness init` writes it in a repository."""
        return {
            Pipeline.GITHUB: PurePosixPath(".github/workflows/resilience.yml"),
            # an include file, so that an existing .gitlab-ci.yml stays the team's own
            Pipeline.GITLAB: PurePosixPath(".gitlab/ci/resilience.gitlab-ci.yml"),
        }[self]

    @property
    def system(self) -> str:
        return {Pipeline.GITHUB: "GitHub Actions", Pipeline.GITLAB: "GitLab CI"}[self]


VERSION_VARIABLE: Final = "HARNESS_VERSION"
SUITE_VARIABLE: Final = "HARNESS_SUITE"
CLIENT_VARIABLE: Final = "HARNESS_CLIENT"
PIPELINE_VARIABLES: Final = (VERSION_VARIABLE, SUITE_VARIABLE, CLIENT_VARIABLE)
"""The settings of an example pipeline, each one `NAME: value` line of its env or variables."""


@dataclass(frozen=True, kw_only=True)
class ScaffoldFile:
    """One file to write: where (relative to the target folder), what, and a line about it."""

    path: PurePosixPath
    text: str
    about: str


def template(name: str) -> str:
    """A file of harness/scaffold/templates/ (package data)."""
    return resources.files("harness.scaffold").joinpath("templates", name).read_text("utf-8")


def pipeline_example(pipeline: Pipeline) -> str:
    """The library's example pipeline for `pipeline`, as documented."""
    path = library.ci_examples_dir() / pipeline.example
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"the harness's example pipeline {path} cannot be read ({exc.strerror or exc}); "
            "reinstall the package (`pip install --force-reinstall health-resilience-harness`), "
            "or run `harness init --ci none`"
        ) from None


def _line_of(name: str) -> re.Pattern[str]:
    # `  NAME: value  # comment`: the value is a plain or double-quoted scalar
    return re.compile(
        rf'^(?P<lead>[ \t]*{re.escape(name)}:[ \t]*)(?P<value>"[^"\n]*"|[^\s#"][^\n#]*?)'
        r"(?P<tail>[ \t]+#[^\n]*)?$",
        re.MULTILINE,
    )


def pipeline_variables(text: str) -> dict[str, str]:
    """The values of PIPELINE_VARIABLES in an example pipeline's text."""
    values: dict[str, str] = {}
    for name in PIPELINE_VARIABLES:
        (match,) = _matches(text, name)
        value = match["value"]
        values[name] = json.loads(value) if value.startswith('"') else value
    return values


def render_pipeline(text: str, values: Mapping[str, str]) -> str:
    """`text` with the value of each variable in `values` replaced, everything else kept."""
    for name, value in values.items():
        if name not in PIPELINE_VARIABLES:
            raise ValueError(f"{name} is not a pipeline variable ({', '.join(PIPELINE_VARIABLES)})")
        (match,) = _matches(text, name)  # exactly one line, or the example changed shape
        written = value
        plain = _PLAIN.match(value) and value.lower() not in _YAML_WORDS
        if match["value"].startswith('"') or not plain:
            written = json.dumps(value)  # YAML double-quoted: "1.10" stays a string
        start, end = match.span("value")
        text = text[:start] + written + text[end:]
    return text


_PLAIN: Final = re.compile(r"^[A-Za-z_./][A-Za-z0-9_./-]*$")
"""A value written without quotes (as the example writes it) that YAML reads as that string..."""
_YAML_WORDS: Final = frozenset({"true", "false", "yes", "no", "on", "off", "null"})
"""...unless it is one of these, which YAML reads as a boolean or null."""


def _matches(text: str, name: str) -> list[re.Match[str]]:
    found = list(_line_of(name).finditer(text))
    if len(found) != 1:
        raise ValueError(f"the pipeline sets {name} on {len(found)} lines, not on one")
    return found


def scaffold_files(*, pipelines: Collection[Pipeline], version: str) -> tuple[ScaffoldFile, ...]:
    """What `harness init` writes: a client, its users, one scenario and the pipelines."""
    files = [
        ScaffoldFile(
            path=CLIENT_FILE,
            text=template("client.yaml"),
            about="how the harness starts your service and wires it to the mocks",
        ),
        ScaffoldFile(
            path=LOCUSTFILE,
            text=template("locustfile.py"),
            about="your users (FrontDeskClerk) for your API, on HarnessUser",
        ),
        ScaffoldFile(
            path=SCENARIO_FILE,
            text=template("scenario.yaml"),
            about="extends: incident-2 (the clinic ERM down) with your client and users",
        ),
        *(
            ScaffoldFile(
                path=SCHEMA_DIR / published.name,
                text=published.read_text(encoding="utf-8"),
                about="for your editor: completion and checks as you type (`harness schema`)",
            )
            for published in (SCENARIO_SCHEMA_PATH, CLIENT_SCHEMA_PATH)
        ),
    ]
    values = {
        VERSION_VARIABLE: version,
        SUITE_VARIABLE: str(SCENARIO_DIR),
        CLIENT_VARIABLE: str(CLIENT_FILE),
    }
    for pipeline in Pipeline:
        if pipeline in pipelines:
            files.append(
                ScaffoldFile(
                    path=pipeline.target,
                    text=render_pipeline(pipeline_example(pipeline), values),
                    about=f"{pipeline.system}: harness=={version} from the package index, "
                    f"runs {SCENARIO_DIR}/",
                )
            )
    return tuple(files)


def write_files(
    directory: Path, files: Collection[ScaffoldFile], *, force: bool = False
) -> list[Path]:
    """Write `files` under `directory`, all or none: UsageError before writing anything if one
    exists (without `force`) or cannot be a file. Returns the paths written."""
    targets = [directory.joinpath(*file.path.parts) for file in files]
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is a file; give the folder to write into")
    blocked = [t for t in targets if t.is_dir() or any(p.is_file() for p in _parents(t, directory))]
    if blocked:
        raise UsageError(
            f"cannot write {', '.join(map(str, blocked))}: a folder is in the way, or a file "
            "where a folder must be; nothing was written"
        )
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise UsageError(
            f"{', '.join(map(str, existing))} already "
            f"{'exists' if len(existing) == 1 else 'exist'}; nothing was written (pass --force "
            "to overwrite, or give another folder)"
        )
    for file, target in zip(files, targets, strict=True):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(file.text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    return targets


def _parents(target: Path, directory: Path) -> list[Path]:
    """The folders between `directory` and `target`, which must be folders if they exist."""
    out: list[Path] = []
    for parent in target.parents:
        if parent == directory:
            break
        out.append(parent)
    return out


__all__ = [
    "CLIENT_FILE",
    "LOCUSTFILE",
    "PIPELINE_VARIABLES",
    "SCENARIO_DIR",
    "SCENARIO_FILE",
    "VERSION_VARIABLE",
    "Pipeline",
    "ScaffoldFile",
    "pipeline_example",
    "pipeline_variables",
    "render_pipeline",
    "scaffold_files",
    "write_files",
]
