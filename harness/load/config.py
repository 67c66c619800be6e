"""What the runner tells every locust process: `--harness-config <json>` (workers get it from
the master with their first spawn message), or a file named by HARNESS_LOAD_CONFIG."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field

from harness.client import DegradedMarker

CONFIG_OPTION: Final = "--harness-config"
CONFIG_DEST: Final = "harness_config"
CONFIG_ENV: Final = "HARNESS_LOAD_CONFIG"  # a file, for running a harness locustfile by hand


class LoadConfig(BaseModel):
    """Shared by all load processes of one run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    t0: float | None = Field(
        default=None,
        description="the run's origin, Unix time; every process buckets from it. None: the "
        "moment the users start (set by the master, or the single process, and sent to workers)",
    )
    out_dir: Path = Field(description="where each process writes requests-<source>.jsonl")
    seed: int = 1
    patients: Annotated[int, Field(gt=0)] = 200
    user_counts: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    degraded_marker: DegradedMarker | None = Field(
        default=None, description="what marks an answer served in degraded mode (client file)"
    )
    patience_s: Annotated[float, Field(gt=0)] = Field(
        default=10.0, description="a patient gives up (the request failed) after this long"
    )
    visit_date: str = Field(description="yyyy-mm-dd: the first day registrations are made for")

    def clock(self) -> float:
        """t0, once the users have started (inside the load processes)."""
        if self.t0 is None:
            raise RuntimeError("the load has not started: t0 is set when the users start")
        return self.t0

    def write(self, path: Path) -> Path:
        path.write_text(self.model_dump_json(indent=2))
        return path

    @classmethod
    def from_env(cls) -> LoadConfig:
        """The config of this locust process; a clear error if the runner did not set it."""
        name = os.environ.get(CONFIG_ENV)
        if not name:
            raise RuntimeError(
                f"neither {CONFIG_OPTION} nor {CONFIG_ENV} is set: harness locustfiles run under "
                "`harness run`, which passes the load config to locust"
            )
        return cls.model_validate_json(Path(name).read_text())
