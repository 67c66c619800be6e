"""How scenarios run: the options one run and a suite's runs share.

    options = RunOptions(report_dir=Path("out"), time_scale=600, workers=2)
    harness.run(scenario, client="clients/ours.yaml", options=options)
    run_suite(SuiteOptions(selector="ci", run=options))     # every run of the suite alike

What runs (the scenario, its client) is given beside the options, not in them.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from harness.net import LOOPBACK_HOST
from harness.results.checks import InconclusivePolicy


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    report_dir: Path = Path("reports")
    """Where each run's directory goes (a suite's runs: in the suite's directory there)."""
    time_scale: float | None = None
    """Incident seconds per wall second; None: the scenario's own `time_scale`."""
    workers: int = 0
    """Local locust workers; 0: one load process."""
    remote_workers: int = 0
    """Locust workers started by hand on other machines, waited for before the load starts."""
    master_bind: str = LOOPBACK_HOST
    """The address the locust master listens on for workers (non-loopback: allow it)."""
    master_port: int | None = None
    """The port the locust master listens on for workers; None: a free one."""
    allowed_hosts: tuple[str, ...] = ()
    """Non-loopback hosts the client or the master may use (never production)."""
    inconclusive: InconclusivePolicy = InconclusivePolicy.ERROR
    """The exit code of an INCONCLUSIVE verdict: error 4 (default), fail 1, pass 0."""

    def with_overrides(
        self,
        *,
        report_dir: str | os.PathLike[str] | None = None,
        time_scale: float | None = None,
    ) -> RunOptions:
        """These options with `report_dir` and `time_scale` replaced where given (not None)."""
        return dataclasses.replace(
            self,
            report_dir=self.report_dir if report_dir is None else Path(report_dir),
            time_scale=self.time_scale if time_scale is None else time_scale,
        )


__all__ = ["RunOptions"]
