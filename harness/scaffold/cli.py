"""`harness init [DIR]`: scaffold the files a team needs to run the harness on its own client.

    harness init                  # into the current folder (the repository's root)
    harness init ../clinic-api --ci github
    harness init --force          # overwrite files written before

Writes resilience/client.yaml, resilience/locustfile.py, resilience/scenarios/erm-down.yaml and
the CI pipelines (harness.scaffold.files), then prints what it wrote and the commands to run next.
Nothing is overwritten without --force: if any of the files exists, nothing is written (exit 2).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Final

from harness.errors import ExitCode
from harness.scaffold.files import (
    CLIENT_FILE,
    LOCUSTFILE,
    SCENARIO_DIR,
    SCENARIO_FILE,
    VERSION_VARIABLE,
    Pipeline,
    pipeline_example,
    pipeline_variables,
    scaffold_files,
    write_files,
)
from harness.version import UNKNOWN, installed_version

ALL: Final = "all"
NONE: Final = "none"


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = subcommands.add_parser(
        "init",
        help="write a client file, a locustfile, a scenario and CI pipelines for your client",
        description="Scaffold what a team needs in its own repository: a client file with every "
        "placeholder explained, a locustfile for its API, a scenario extending a built-in "
        "incident, and CI pipelines that install this version of the harness from the package "
        "index. Exit 2 without writing anything if one of the files exists (unless --force).",
    )
    init.add_argument(
        "directory",
        nargs="?",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the repository's root folder (default: the current folder; created if missing)",
    )
    init.add_argument(
        "--ci",
        choices=[ALL, *(p.value for p in Pipeline), NONE],
        default=ALL,
        help="which CI pipelines to write (default: all: GitHub Actions and GitLab CI)",
    )
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    init.set_defaults(handler=_init)


def _init(args: argparse.Namespace) -> int:
    pipelines: tuple[Pipeline, ...] = (
        tuple(Pipeline) if args.ci == ALL else () if args.ci == NONE else (Pipeline(args.ci),)
    )
    version = installed_version()
    if version == UNKNOWN and pipelines:  # a source tree that was never installed
        version = pipeline_variables(pipeline_example(pipelines[0]))[VERSION_VARIABLE]
        print(
            f"warning: this harness is not an installed release; the pipelines pin {version}, "
            "the version of its example pipelines",
            file=sys.stderr,
        )
    files = scaffold_files(pipelines=pipelines, version=version)
    directory: Path = args.directory
    written = write_files(directory, files, force=args.force)
    width = max(len(_shown(path)) for path in written)
    for file, path in zip(files, written, strict=True):
        print(f"wrote {_shown(path).ljust(width)}  {file.about}")
    print()
    print("next:")
    if directory.resolve() != Path.cwd().resolve():
        print(f"  cd {shlex.quote(_shown(directory))}")
    print(f"  # edit the lines marked REPLACE in {CLIENT_FILE} (your service's command, env)")
    print(f"  # and in {LOCUSTFILE} (your API's paths), then:")
    print(f"  harness validate {SCENARIO_DIR}")
    print("  harness toxiproxy install")
    print(f"  harness run {SCENARIO_FILE}")
    if pipelines:
        print(f"  # commit them: the pipeline runs every scenario of {SCENARIO_DIR}/")
    if Pipeline.GITLAB in pipelines:
        print(
            f"  # GitLab: add `include: [{{local: {Pipeline.GITLAB.target}}}]` to your "
            ".gitlab-ci.yml"
        )
    return int(ExitCode.OK)


def _shown(path: Path) -> str:
    """`path` relative to the current folder when it is under it, else as given."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)
