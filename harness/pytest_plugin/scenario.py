"""`@pytest.mark.scenario(path, client=..., time_scale=...)`: a scenario file run as a test.

The run is exactly `harness run` (its own stack on free ports, its own client process, locust
load, the timeline, the checks and the reports); the scenario's checks are the test's assertions.
An INCONCLUSIVE run (no check failed, one had too little evidence to pass) fails the test too,
saying how much evidence was missing, unless --harness-inconclusive pass: then it passes with an
InconclusiveWarning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness import library
from harness.errors import HarnessError
from harness.pytest_plugin.settings import PluginSettings
from harness.report import REPORT_FILE
from harness.report.terminal import summary_lines
from harness.report.values import evidence_text, threshold_text
from harness.results.checks import CheckResult, InconclusivePolicy, Verdict
from harness.results.evidence import CheckStatus, requests_needed
from harness.runner.engine import RunResult, run_scenario
from harness.runner.options import RunOptions
from harness.runner.progress import ProgressLine


class ScenarioMarkerError(AssertionError):
    """The marker is wrong, or the run could not happen (invalid file, infrastructure)."""


class InconclusiveWarning(UserWarning):
    """A scenario run was INCONCLUSIVE and --harness-inconclusive pass let its test pass."""


@dataclass(frozen=True, kw_only=True)
class ScenarioRequest:
    scenario: Path
    client: Path | None
    time_scale: float | None


def request_from_marker(
    args: tuple[object, ...], kwargs: Mapping[str, object], *, root: Path, settings: PluginSettings
) -> ScenarioRequest:
    """The run a marker asks for; marker arguments beat the plugin's settings."""
    usage = (
        '@pytest.mark.scenario("scenarios/bpjs-outage.yaml", client="clients/ours.yaml", '
        "time_scale=None)"
    )
    unknown = sorted(set(kwargs) - {"client", "time_scale"})
    if len(args) != 1 or not isinstance(args[0], str | Path) or unknown:
        extra = f" (unknown: {', '.join(unknown)})" if unknown else ""
        raise ScenarioMarkerError(f"@pytest.mark.scenario takes one path{extra}: {usage}")
    scenario = root / args[0]
    builtin = library.find_builtin_scenario(str(args[0])) if "/" not in str(args[0]) else None
    if not scenario.is_file() and builtin is not None:
        scenario = builtin.path  # a built-in scenario by name: "incident-2"
    if not scenario.is_file():
        raise ScenarioMarkerError(
            f"@pytest.mark.scenario: {scenario} does not exist (paths are relative to the rootdir "
            f"{root}), and {args[0]} names no built-in scenario; see `harness list`"
        )
    client_arg = kwargs.get("client")
    if client_arg is not None and not isinstance(client_arg, str | Path):
        raise ScenarioMarkerError(f"@pytest.mark.scenario: client is a path: {usage}")
    client = root / client_arg if client_arg is not None else settings.client
    if client is not None and not client.is_file():
        client = library.builtin_clients().get(str(client_arg or settings.client), client)
    if client is not None and not client.is_file():
        raise ScenarioMarkerError(
            f"client definition {client} does not exist; fix the marker's client=, "
            "--harness-client, HARNESS_CLIENT or the ini key harness_client"
        )
    scale = kwargs.get("time_scale", settings.time_scale)
    if scale is not None and (not isinstance(scale, int | float) or scale <= 0):
        raise ScenarioMarkerError(f"@pytest.mark.scenario: time_scale must be above 0: {usage}")
    return ScenarioRequest(
        scenario=scenario,
        client=client,
        time_scale=None if scale is None else float(scale),
    )


def run(request: ScenarioRequest, *, settings: PluginSettings) -> RunResult:
    try:
        return run_scenario(
            request.scenario,
            client=request.client,
            options=RunOptions(
                report_dir=settings.report_dir,
                time_scale=request.time_scale,
                allowed_hosts=settings.allowed_hosts,
                inconclusive=settings.inconclusive,
            ),
            on_event=ProgressLine(),
        )
    except HarnessError as exc:
        raise ScenarioMarkerError(
            f"{request.scenario.name} could not run (exit {int(exc.exit_code)}): {exc}"
        ) from None


def missing_evidence(check: CheckResult) -> str:
    """What an inconclusive check lacked, e.g. "n=31 (31 good), 95% CI 89.0%-100.0% against
    >= 90.0%: at least 35 requests are needed even if all are good"."""
    said = f"{check.id}: {evidence_text(check)} against {threshold_text(check)}"
    evidence = check.evidence
    if evidence is not None and evidence.method == "wilson" and check.threshold < 1:
        needed = requests_needed(check.threshold)
        if evidence.n < needed:
            return f"{said}: at least {needed} requests are needed even if all are good"
    return f"{said}: the interval still crosses the threshold; it takes more requests"


def failure_message(result: RunResult) -> str | None:
    """Why the test fails: the checks table and where the report is, when a check failed or
    (unless the run's policy was pass) the run was inconclusive; None when the test passes."""
    journal = result.journal
    if journal.exit_code == 0:
        return None
    tail = [
        *summary_lines(journal.checks),
        f"report: {result.run_dir / REPORT_FILE}",
        f"journal: {result.journal_path}",
    ]
    if journal.verdict is Verdict.INCONCLUSIVE:
        unsure = [c for c in journal.checks if c.inconclusive]
        lines = [
            f"scenario {journal.scenario.name}: INCONCLUSIVE, no check failed but {len(unsure)} "
            f"of {len(journal.checks)} had too little evidence to pass (exit {journal.exit_code})",
            *(f"  {missing_evidence(c)}" for c in unsure),
            "run it longer or with more users; or let inconclusive runs pass with a warning: "
            "--harness-inconclusive pass, HARNESS_INCONCLUSIVE=pass or the ini key "
            "harness_inconclusive",
            *tail,
        ]
        return "\n".join(lines)
    failed = sum(check.status is CheckStatus.FAIL for check in journal.checks)
    undecided = sum(check.inconclusive for check in journal.checks)
    also = f", {undecided} inconclusive" if undecided else ""
    lines = [
        f"scenario {journal.scenario.name}: {failed} of {len(journal.checks)} checks failed"
        f"{also} (verdict {journal.verdict.value.upper()}, exit {journal.exit_code})",
        *tail,
    ]
    return "\n".join(lines)


def passed_with_warning(result: RunResult) -> str | None:
    """The warning of an inconclusive run that --harness-inconclusive pass let pass; else None."""
    journal = result.journal
    if journal.verdict is not Verdict.INCONCLUSIVE or journal.exit_code != 0:
        return None
    if journal.inconclusive is not InconclusivePolicy.PASS:
        return None
    unsure = "; ".join(missing_evidence(c) for c in journal.checks if c.inconclusive)
    return (
        f"scenario {journal.scenario.name} was INCONCLUSIVE and passes by "
        f"--harness-inconclusive pass: {unsure} (report: {result.run_dir / REPORT_FILE})"
    )
