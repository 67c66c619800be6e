"""Scenario files: the typed model, the loader and the schedule at a time scale.

model      Scenario and its sections (stack, client, load, timeline, checks, ...)
checks     the `checks:` section: each check's threshold
types      field types: durations, time points, rates, service names
loader     load_scenario / validate_paths: YAML to model, errors with file, line and field
extends    `extends:`: a scenario read on top of another (a built-in incident), key by key
schedule   build_schedule: the timeline in wall seconds at a time scale
incidents  the five real incidents by number
cli        `harness validate` and `harness list`
"""

from harness.scenario.checks import CheckName, Checks
from harness.scenario.incidents import INCIDENTS
from harness.scenario.loader import ScenarioFile, find_scenario_files, load_scenario, validate_paths
from harness.scenario.model import Load, Scenario, Stack, Stage, Step, Timeline, scenario_issues
from harness.scenario.schedule import Schedule, ScheduledStep, build_schedule
from harness.scenario.types import ServiceName

__all__ = [
    "INCIDENTS",
    "CheckName",
    "Checks",
    "Load",
    "Scenario",
    "ScenarioFile",
    "Schedule",
    "ScheduledStep",
    "ServiceName",
    "Stack",
    "Stage",
    "Step",
    "Timeline",
    "build_schedule",
    "find_scenario_files",
    "load_scenario",
    "scenario_issues",
    "validate_paths",
]
