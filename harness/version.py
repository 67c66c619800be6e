"""The harness's version: its installed distribution's, read from the package metadata.

`harness --version` prints it and `harness.__version__` is it, so the two always agree.
"""

from __future__ import annotations

import importlib.metadata
from typing import Final

DISTRIBUTION: Final = "health-resilience-harness"  # pyproject.toml, [project] name
UNKNOWN: Final = "0+unknown"  # the source tree without an install (`make install` installs it)


def installed_version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return UNKNOWN
