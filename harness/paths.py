"""Where the harness keeps its project-local files: installed binaries and run state.

    .bin/     toxiproxy-server and toxiproxy-cli, installed by `harness toxiproxy install`
    .state/   state of a `harness up` stack (pids, ports) and its process logs

Both live in the project root when the harness runs from a source checkout (an editable install),
otherwise in the current directory. HARNESS_BIN_DIR and HARNESS_STATE_DIR override them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def project_root() -> Path:
    """The source checkout the harness package lives in, or the current directory."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file():
        return checkout
    return Path.cwd()


def bin_dir(env: Mapping[str, str] = os.environ) -> Path:
    override = env.get("HARNESS_BIN_DIR")
    return Path(override) if override else project_root() / ".bin"


def state_dir(env: Mapping[str, str] = os.environ) -> Path:
    override = env.get("HARNESS_STATE_DIR")
    return Path(override) if override else project_root() / ".state"
