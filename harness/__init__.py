"""Resilience harness for health APIs: replays real outages against a client under test.

The Python API is the engine the `harness` command runs (`harness run` is a thin shell over
`run`); a scenario built in Python and the same scenario read from YAML run the same code:

    import harness

    scenario = harness.load_scenario("scenarios/bpjs-outage.yaml")     # or harness.Scenario(...)
    result = harness.run(scenario, client="examples/clients/resilient.yaml", on_event=print)
    result.verdict, result.exit_code, result.journal, result.run_dir

    found = harness.explore.explore(harness.ExploreOptions(client=Path("naive"), seed=7))
    found.exit_code, found.minimal                  # `harness explore`: docs/explore.md

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
    from harness.explore.explorer import ExploreOptions, ExploreResult
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
        PauseFault,
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
    from harness.load.runner import SecondCounts
    from harness.results.checks import CheckResult, Evidence, InconclusivePolicy, Verdict
    from harness.results.evidence import CheckStatus
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
    from harness.yamlmodel import InvalidFileError
    from service_contract.services import ServiceName

    __version__: str

# Where each name of __all__ is imported from on first use: the module that defines it (or, for
# a type alias, the module that declares it), so that a name costs only its own module.
_HOMES: dict[str, str] = {
    "load_scenario": "harness.api",
    "ClientDefinition": "harness.client",
    "DegradedMarker": "harness.client",
    "Readiness": "harness.client",
    "load_client": "harness.client",
    "ExitCode": "harness.errors",
    "HarnessError": "harness.errors",
    "InfrastructureError": "harness.errors",
    "UnsafeTargetError": "harness.errors",
    "UsageError": "harness.errors",
    "ExploreOptions": "harness.explore.explorer",
    "ExploreResult": "harness.explore.explorer",
    "BandwidthToxic": "harness.faults",
    "ClockSkewFault": "harness.faults",
    "DelayFault": "harness.faults",
    "DownFault": "harness.faults",
    "HttpErrorFault": "harness.faults",
    "KillFault": "harness.faults",
    "LatencyToxic": "harness.faults",
    "LimitDataToxic": "harness.faults",
    "MaintenanceFault": "harness.faults",
    "MalformedJsonFault": "harness.faults",
    "PauseFault": "harness.faults",
    "ResetPeerToxic": "harness.faults",
    "RestartFault": "harness.faults",
    "SchemaDriftFault": "harness.faults",
    "ServiceErrorFault": "harness.faults",
    "SlicerToxic": "harness.faults",
    "SlowCloseToxic": "harness.faults",
    "StaleDataFault": "harness.faults",
    "TimeoutToxic": "harness.faults",
    "TruncatedBodyFault": "harness.faults",
    "UndecryptableFault": "harness.faults",
    "WrongContentTypeFault": "harness.faults",
    "SecondCounts": "harness.load.runner",
    "CheckResult": "harness.results.checks",
    "Evidence": "harness.results.checks",
    "InconclusivePolicy": "harness.results.checks",
    "Verdict": "harness.results.checks",
    "CheckStatus": "harness.results.evidence",
    "Journal": "harness.results.journal",
    "RunResult": "harness.runner.engine",
    "run": "harness.runner.engine",
    "CheckEvaluated": "harness.runner.events",
    "FaultAction": "harness.runner.events",
    "FaultApplied": "harness.runner.events",
    "FaultFailed": "harness.runner.events",
    "FaultRemoved": "harness.runner.events",
    "LeftoverStopped": "harness.runner.events",
    "LoadStopped": "harness.runner.events",
    "PhaseChanged": "harness.runner.events",
    "RunAborted": "harness.runner.events",
    "RunEvent": "harness.runner.events",
    "RunFinished": "harness.runner.events",
    "RunPhase": "harness.runner.events",
    "RunStarted": "harness.runner.events",
    "StackReady": "harness.runner.events",
    "Subscriber": "harness.runner.events",
    "SubscriberError": "harness.runner.events",
    "Tick": "harness.runner.events",
    "WaitingForWorkers": "harness.runner.events",
    "RunOptions": "harness.runner.options",
    "ProgressLine": "harness.runner.progress",
    "Checks": "harness.scenario.checks",
    "ClientAliveCheck": "harness.scenario.checks",
    "LatencyCheck": "harness.scenario.checks",
    "LatencyLimits": "harness.scenario.checks",
    "NoDuplicatesCheck": "harness.scenario.checks",
    "NothingLostCheck": "harness.scenario.checks",
    "RecoveryTimeCheck": "harness.scenario.checks",
    "ServedRateCheck": "harness.scenario.checks",
    "TimeToServedCheck": "harness.scenario.checks",
    "Load": "harness.scenario.model",
    "Scenario": "harness.scenario.model",
    "Stack": "harness.scenario.model",
    "Stage": "harness.scenario.model",
    "SteadyState": "harness.scenario.model",
    "SteadyStateWindow": "harness.scenario.model",
    "Step": "harness.scenario.model",
    "Timeline": "harness.scenario.model",
    "InvalidFileError": "harness.yamlmodel",
    "ServiceName": "service_contract.services",
}


def __getattr__(name: str) -> object:
    value: object
    if name == "__version__":
        from harness.version import installed_version

        value = installed_version()
    elif name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
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
    "CheckStatus",
    "Checks",
    "ClientAliveCheck",
    "ClientDefinition",
    "ClockSkewFault",
    "DegradedMarker",
    "DelayFault",
    "DownFault",
    "Evidence",
    "ExitCode",
    "ExploreOptions",
    "ExploreResult",
    "FaultAction",
    "FaultApplied",
    "FaultFailed",
    "FaultRemoved",
    "HarnessError",
    "HttpErrorFault",
    "InconclusivePolicy",
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
    "PauseFault",
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
