"""Where the harness keeps its files: installed binaries and run state.

toxiproxy-server, toxiproxy-cli   `harness toxiproxy install` puts them in bin_dir():
    HARNESS_BIN_DIR if set; in a source checkout (an editable install) its .bin/, for
    development; otherwise the per-user cache, $XDG_CACHE_HOME/health-resilience-harness/bin
    (~/.cache/... without XDG_CACHE_HOME), shared by every project of that user.
.state/   state of a `harness up` stack (pids, ports) and its process logs: in the checkout,
    else the current directory; HARNESS_STATE_DIR overrides it.
crashes/  crash_dir(): the traceback of each bug (an unexpected exception) of a `harness`
    command, in the per-user cache, $XDG_CACHE_HOME/health-resilience-harness/crashes
    (harness.crash says why there).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

APP_NAME: Final = "health-resilience-harness"


def checkout() -> Path | None:
    """The source checkout the harness package runs from (an editable install), or None."""
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file() and (root / "harness" / "paths.py").is_file():
        return root
    return None


def project_root() -> Path:
    """The source checkout the harness package lives in, or the current directory."""
    return checkout() or Path.cwd()


def user_cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The XDG base directory for this user's caches, for the harness."""
    base = env.get("XDG_CACHE_HOME")
    if not base or not Path(base).is_absolute():  # the spec: relative values are to be ignored
        base = str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / APP_NAME


def bin_dir(env: Mapping[str, str] = os.environ) -> Path:
    override = env.get("HARNESS_BIN_DIR")
    if override:
        return Path(override)
    root = checkout()
    return root / ".bin" if root is not None else user_cache_dir(env) / "bin"


def state_dir(env: Mapping[str, str] = os.environ) -> Path:
    override = env.get("HARNESS_STATE_DIR")
    return Path(override) if override else project_root() / ".state"


def crash_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where `harness` keeps the traceback of a bug (harness.crash)."""
    return user_cache_dir(env) / "crashes"
