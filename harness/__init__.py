"""Resilience harness for health APIs: replays real outages against a client under test.

The Python API is the engine the `harness` command runs (`harness run` is a thin shell over
`run`); a scenario built in Python and the same scenario read from YAML run the same code:

    import harness

    scenario = harness.load_scenario("scenarios/bpjs-outage.yaml")     # or harness.Scenario(...)
    result = harness.run(scenario, client="examples/clients/resilient.yaml", on_event=print)
    result.verdict, result.exit_code, result.journal, result.run_dir

The README's "Python API" builds a scenario in Python (examples/python_api.py). `on_event`
subscribers get the run's typed events (harness.runner.events). Errors: HarnessError, with
UsageError (exit 2: invalid input, InvalidFileError for files) and InfrastructureError (exit 3).

The names below are imported on first use: every pytest session that loads the harness's plugin
imports this package, and should not pay for the engine.

Engine layers (one concept per module): `errors` (error tree and exit codes), `net` (loopback
safety, ports), `process` (supervision of every process the harness starts), `toxiproxy` (the only
code that talks to toxiproxy), and the scenario, load, checks and report layers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.api import load_scenario
    from harness.client import ClientDefinition, DegradedMarker, Readiness, load_client
    from harness.errors import (
        ExitCode,
        HarnessError,
        InfrastructureError,
        UnsafeTargetError,
        UsageError,
    )
    from harness.faults import (
        BandwidthToxic,
        ClockSkewFault,
        DelayFault,
        DownFault,
        HttpErrorFault,
        KillFault,
        LatencyToxic,
        LimitDataToxic,
        MaintenanceFault,
        MalformedJsonFault,
        ResetPeerToxic,
        RestartFault,
        SchemaDriftFault,
        ServiceErrorFault,
        SlicerToxic,
        SlowCloseToxic,
        StaleDataFault,
        TimeoutToxic,
        TruncatedBodyFault,
        UndecryptableFault,
        WrongContentTypeFault,
    )
    from harness.results.checks import CheckResult, Verdict
    from harness.results.journal import Journal
    from harness.runner.engine import RunResult, run
    from harness.runner.events import (
        CheckEvaluated,
        FaultAction,
        FaultApplied,
        FaultFailed,
        FaultRemoved,
        LeftoverStopped,
        LoadStopped,
        PhaseChanged,
        RunAborted,
        RunEvent,
        RunFinished,
        RunPhase,
        RunStarted,
        SecondCounts,
        StackReady,
        Subscriber,
        SubscriberError,
        Tick,
        WaitingForWorkers,
    )
    from harness.runner.options import RunOptions
    from harness.runner.progress import ProgressLine
    from harness.scenario.checks import (
        Checks,
        ClientAliveCheck,
        LatencyCheck,
        LatencyLimits,
        NoDuplicatesCheck,
        NothingLostCheck,
        RecoveryTimeCheck,
        ServedRateCheck,
        TimeToServedCheck,
    )
    from harness.scenario.model import (
        Load,
        Scenario,
        Stack,
        Stage,
        SteadyState,
        SteadyStateWindow,
        Step,
        Timeline,
    )
    from harness.scenario.types import ServiceName
    from harness.yamlmodel import InvalidFileError

    __version__: str

# Where the names of __all__ live (the imports above say which is where); imported on first use.
_HOMES = (
    "harness.api",
    "harness.client",
    "harness.errors",
    "harness.faults",
    "harness.results.checks",
    "harness.results.journal",
    "harness.runner.engine",
    "harness.runner.events",
    "harness.runner.options",
    "harness.runner.progress",
    "harness.scenario.checks",
    "harness.scenario.model",
    "harness.scenario.types",
    "harness.yamlmodel",
)


def __getattr__(name: str) -> object:
    value: object
    if name == "__version__":
        from harness.version import installed_version

        value = installed_version()
    elif name in __all__:
        homes = (importlib.import_module(home) for home in _HOMES)
        value = next(getattr(home, name) for home in homes if hasattr(home, name))
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # once imported, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "BandwidthToxic",
    "CheckEvaluated",
    "CheckResult",
    "Checks",
    "ClientAliveCheck",
    "ClientDefinition",
    "ClockSkewFault",
    "DegradedMarker",
    "DelayFault",
    "DownFault",
    "ExitCode",
    "FaultAction",
    "FaultApplied",
    "FaultFailed",
    "FaultRemoved",
    "HarnessError",
    "HttpErrorFault",
    "InfrastructureError",
    "InvalidFileError",
    "Journal",
    "KillFault",
    "LatencyCheck",
    "LatencyLimits",
    "LatencyToxic",
    "LeftoverStopped",
    "LimitDataToxic",
    "Load",
    "LoadStopped",
    "MaintenanceFault",
    "MalformedJsonFault",
    "NoDuplicatesCheck",
    "NothingLostCheck",
    "PhaseChanged",
    "ProgressLine",
    "Readiness",
    "RecoveryTimeCheck",
    "ResetPeerToxic",
    "RestartFault",
    "RunAborted",
    "RunEvent",
    "RunFinished",
    "RunOptions",
    "RunPhase",
    "RunResult",
    "RunStarted",
    "Scenario",
    "SchemaDriftFault",
    "SecondCounts",
    "ServedRateCheck",
    "ServiceErrorFault",
    "ServiceName",
    "SlicerToxic",
    "SlowCloseToxic",
    "Stack",
    "StackReady",
    "Stage",
    "StaleDataFault",
    "SteadyState",
    "SteadyStateWindow",
    "Step",
    "Subscriber",
    "SubscriberError",
    "Tick",
    "TimeToServedCheck",
    "Timeline",
    "TimeoutToxic",
    "TruncatedBodyFault",
    "UndecryptableFault",
    "UnsafeTargetError",
    "UsageError",
    "Verdict",
    "WaitingForWorkers",
    "WrongContentTypeFault",
    "__version__",
    "load_client",
    "load_scenario",
    "run",
]
