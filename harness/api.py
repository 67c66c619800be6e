"""Reading a scenario file for the Python API (`harness.load_scenario`).

    scenario = load_scenario("scenarios/bpjs-outage.yaml")
    harness.run(scenario, client="examples/clients/resilient.yaml")

The command line reads files with harness.scenario.loader, which also keeps where each part came
from; this returns the Scenario alone. A client file it names is made absolute, so the scenario
runs from any working directory. An inline client (a `client:` mapping) is kept as written: its
relative `cwd` and `locustfile` start from the working directory unless `harness.run` is given
the file too:

    path = Path("my-incident.yaml")  # its `client:` is a mapping, not a file name
    harness.run(load_scenario(path), scenario_path=path)
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.scenario import loader
from harness.scenario.model import Scenario


def load_scenario(path: str | os.PathLike[str], *, allowed_hosts: tuple[str, ...] = ()) -> Scenario:
    """The scenario file at `path`, validated with the client file it names.

    Raises InvalidFileError (a UsageError, exit 2) with one line per problem: file, line, field.
    A client file named in its `client:` key is made absolute (it is relative to the scenario
    file), so `harness.run(scenario)` finds it from any working directory. An inline client's
    relative `cwd` and `locustfile` (and so where its `command` runs) start from the working
    directory, not the scenario's folder: pass `harness.run(..., scenario_path=path)` to start
    them from the scenario's folder, as `harness run` does.
    """
    loaded = loader.load_scenario(Path(path), allowed_hosts=allowed_hosts)
    if loaded.client_path is None:
        return loaded.scenario
    return loaded.scenario.model_copy(update={"client": str(loaded.client_path)})
