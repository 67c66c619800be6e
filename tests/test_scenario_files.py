"""Scenario and client files: valid ones load, invalid ones give exit 2 with file, line and field.

The CLI runs in this process through `main(argv)`; a few tests run the installed `harness`
console script as users do, for the exit codes and messages a shell sees.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.client import ClientDefinition, load_client
from harness.durations import format_duration, parse_clock, parse_duration
from harness.errors import UnsafeTargetError
from harness.faults import DownFault, MaintenanceFault
from harness.scenario import build_schedule, load_scenario
from harness.scenario.model import Scenario
from harness.scenario.schedule import answer_times_scaled
from harness.yamlmodel import InvalidFileError
from tests.cli_support import harness_in_process

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
HARNESS = Path(sys.executable).with_name("harness")
OUTAGE = ROOT / "scenarios" / "bpjs-outage.yaml"

MINIMAL = """\
name: tiny
title: A tiny scenario
stack: {services: [bpjs, erm]}
load:
  users: {FrontDeskStaff: 2}
  duration: 60s
timeline:
  - at: 10s
    for: 20s
    target: bpjs
    fault: {kind: latency, latency: 300, jitter: 50}
checks:
  served_rate: {during: 0.9}
  no_duplicates: true
"""


def harness_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HARNESS), *args], capture_output=True, text=True, timeout=60, cwd=ROOT, check=False
    )


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    return harness_in_process(*args, cwd=ROOT)


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("30s", 30), ("4h", 14_400), ("1h30m", 5_400), (90, 90), ("2.5s", 2.5)],
)
def test_durations_parse(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10x", "30m1h", "-5s", "", True, "1h 1h"])
def test_bad_durations_are_rejected(text: str | bool) -> None:
    with pytest.raises(ValueError, match=r"duration|largest"):
        parse_duration(text)


def test_clock_and_format() -> None:
    assert parse_clock("08:05").seconds_since_midnight == 8 * 3600 + 300
    assert format_duration(5400) == "1h30m"
    assert format_duration(0.25) == "250ms"


# --- valid files ---------------------------------------------------------------------------------


def test_the_bpjs_outage_scenario_loads_and_runs_in_under_two_minutes() -> None:
    loaded = load_scenario(OUTAGE)
    scenario = loaded.scenario
    assert scenario.incident == 5
    assert [type(step.fault) for step in scenario.timeline.steps] == [MaintenanceFault, DownFault]
    schedule = build_schedule(scenario)
    assert schedule.total < 120
    maintenance, down = schedule.steps
    # 08:05 and 10:00 on a timeline starting 07:30, compressed 225x
    assert maintenance.incident_start == 35 * 60
    assert maintenance.start == pytest.approx(35 * 60 / 225)
    assert down.incident_start == 150 * 60
    assert maintenance.end == down.end == pytest.approx((4 * 3600 + 40 * 60) / 225)
    assert isinstance(maintenance.fault, MaintenanceFault)
    admin = maintenance.fault.admin_request()
    assert admin.route == "/vclaim-rest/Peserta/*"
    # Retry-After 1800 s in incident time is sent as 8 s at time scale 225 (answer_times: scaled)
    (written,) = [s.fault for s in scenario.timeline.steps if isinstance(s.fault, MaintenanceFault)]
    assert written.retry_after == 1800
    assert admin.params["retry_after"] == 8


def test_time_scale_override_and_incident_time(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, MINIMAL)).scenario
    assert build_schedule(scenario).load_duration == 60
    fast = build_schedule(scenario, time_scale=10)
    assert fast.load_duration == 6
    assert (fast.steps[0].start, fast.steps[0].end) == (1.0, 3.0)


def test_a_scenario_round_trips_through_json(tmp_path: Path) -> None:
    scenario = load_scenario(OUTAGE).scenario
    again = Scenario.model_validate_json(scenario.model_dump_json(by_alias=True))
    assert again == scenario


def test_cli_validate_accepts_the_library() -> None:
    done = harness_process("validate", "scenarios")
    assert done.returncode == 0, done.stderr
    assert "bpjs-outage" in done.stdout


def test_cli_list_shows_incident_title_and_run_time() -> None:
    done = harness_process("list", "scenarios")
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("bpjs-outage"))
    assert " 5 " in row
    assert "1m53s" in row  # 5s + 5h15m/225 (1m24s) + 14s + 10s
    assert "5h15m" in row
    slower = harness("list", "scenarios", "--time-scale", "10")
    assert "31m59s" in slower.stdout  # 5s + 5h15m/10 (31m30s) + 14s + 10s


# --- invalid files -------------------------------------------------------------------------------


def assert_usage_error(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr


def test_unknown_key_names_line_field_and_hint(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("jitter: 50", "jiter: 50"))
    done = harness_process("validate", str(path))
    assert_usage_error(
        done, f"{path}:11:", "timeline[0].fault.jiter", "did you mean 'jitter'?", "allowed:"
    )


def test_bad_values_are_each_reported_on_their_line(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("duration: 60s", "duration: 60x")
        .replace("services: [bpjs, erm]", "services: [bpjs, ermm]")
        .replace("kind: latency", "kind: latnecy")
    )
    done = harness("validate", str(write(tmp_path, text)))
    assert_usage_error(
        done,
        "scenario.yaml:3:", "stack.services[1]", "did you mean 'erm'?",
        "scenario.yaml:6:", "load.duration", "not a duration",
        "scenario.yaml:11:", "timeline[0].fault.kind", "did you mean 'latency'?",
    )  # fmt: skip
    assert len(done.stderr.strip().splitlines()) == 3


def test_cross_field_rules_point_at_the_step(tmp_path: Path) -> None:
    text = MINIMAL.replace("target: bpjs", "target: patient-app").replace("at: 10s", "at: 08:05")
    done = harness("validate", str(write(tmp_path, text)))
    assert_usage_error(
        done,
        "scenario.yaml:8:", "timeline[0].at", "timeline.starts_at",
        "scenario.yaml:10:", "timeline[0].target", "not in stack.services",
    )  # fmt: skip


def test_clock_skew_needs_seconds_other_than_0_and_the_bpjs(tmp_path: Path) -> None:
    skew = "kind: clock_skew, seconds: {}"
    zero = MINIMAL.replace("kind: latency, latency: 300, jitter: 50", skew.format(0))
    done = harness("validate", str(write(tmp_path, zero, "zero.yaml")))
    assert_usage_error(done, "zero.yaml:11:", "timeline[0].fault.seconds", "0 is no skew")
    erm = MINIMAL.replace("kind: latency, latency: 300, jitter: 50", skew.format(-600))
    done = harness("validate", str(write(tmp_path, erm.replace("target: bpjs", "target: erm"))))
    assert_usage_error(done, "scenario.yaml:11:", "clock_skew exists only on bpjs, not on erm")
    assert harness("validate", str(write(tmp_path, erm, "ok.yaml"))).returncode == 0


def test_the_client_takes_process_faults_only(tmp_path: Path) -> None:
    kill = MINIMAL.replace("target: bpjs", "target: client").replace(
        "kind: latency, latency: 300, jitter: 50", "kind: kill"
    )
    assert harness("validate", str(write(tmp_path, kill, "kill.yaml"))).returncode == 0
    loaded = load_scenario(tmp_path / "kill.yaml").scenario
    assert loaded.timeline.steps[0].target == "client"
    pause = kill.replace("kind: kill", "kind: pause")
    assert harness("validate", str(write(tmp_path, pause, "pause.yaml"))).returncode == 0
    latency = MINIMAL.replace("target: bpjs", "target: client")
    done = harness("validate", str(write(tmp_path, latency, "latency.yaml")))
    assert_usage_error(
        done, "latency.yaml:11:", "timeline[0].fault.kind", "latency is not a fault of the client"
    )


def test_user_classes_the_locustfile_lacks_are_named_before_anything_starts(
    tmp_path: Path,
) -> None:
    (tmp_path / "load.py").write_text(
        "from harness.load.users import HarnessUser as Base\n\n"
        "class FrontDesk(Base):\n    pass\n\n\nclass Pharmacist(Base):\n    pass\n"
    )
    client = write(
        tmp_path,
        "name: own\nbase_url: http://127.0.0.1:9000\nlocustfile: load.py\n",
        "client.yaml",
    )
    typo = write(tmp_path, MINIMAL.replace("FrontDeskStaff: 2", "FrontDesk: 1, Farmacist: 1"))
    done = harness("validate", "--client", str(client), str(typo))
    assert_usage_error(
        done,
        "scenario.yaml:5:", "load.users", "names Farmacist, which", "load.py does not define",
        "it has: Base, FrontDesk, Pharmacist",
    )  # fmt: skip
    good = write(tmp_path, MINIMAL.replace("FrontDeskStaff: 2", "FrontDesk: 1"), "good.yaml")
    assert harness("validate", "--client", str(client), str(good)).returncode == 0
    # The built-in locustfile when the client has none: FrontDeskStaff is there, FrontDesk is not
    builtin = write(tmp_path, "name: plain\nbase_url: http://127.0.0.1:9000\n", "plain.yaml")
    assert harness("validate", "--client", str(builtin), str(typo)).returncode == 2
    assert harness("validate", "--client", str(builtin), str(OUTAGE)).returncode == 0


def test_patience_is_a_load_setting_of_ten_seconds_by_default(tmp_path: Path) -> None:
    default = load_scenario(write(tmp_path, MINIMAL, "default.yaml")).scenario
    assert default.load.patience == 10.0
    text = MINIMAL.replace("  duration: 60s", "  duration: 60s\n  patience: 2500ms")
    assert load_scenario(write(tmp_path, text, "quick.yaml")).scenario.load.patience == 2.5
    zero = write(tmp_path, text.replace("2500ms", "0s"), "zero.yaml")
    assert_usage_error(harness("validate", str(zero)), "zero.yaml:7:", "load.patience")


@pytest.mark.unit
def test_a_compressed_maintenance_page_says_retry_after_in_compressed_time(tmp_path: Path) -> None:
    """Incident 3: two hours of maintenance pass in 40 s at time_scale 180, so the page's
    Retry-After of 7200 s is sent as 40 s, unless the scenario keeps answer times as written."""
    incident = load_scenario(ROOT / "scenarios" / "incident-3-maintenance.yaml").scenario
    (step,) = build_schedule(incident).steps
    assert isinstance(step.fault, MaintenanceFault)
    assert step.fault.retry_after == 40
    assert step.end is not None
    assert step.end - step.start == 40  # the maintenance window, in the same wall seconds
    full = build_schedule(incident, time_scale=1).steps[0].fault
    assert isinstance(full, MaintenanceFault)
    assert full.retry_after == 7200
    text = (ROOT / "scenarios" / "incident-3-maintenance.yaml").read_text(encoding="utf-8")
    kept = write(tmp_path, text + "answer_times: as_written\n", "kept.yaml")
    as_written = build_schedule(load_scenario(kept).scenario).steps[0].fault
    assert isinstance(as_written, MaintenanceFault)
    assert as_written.retry_after == 7200
    short = MaintenanceFault(kind="maintenance", retry_after=60)
    scaled = answer_times_scaled(short, 180)
    assert isinstance(scaled, MaintenanceFault)
    assert scaled.retry_after == 1  # never 0, which would say "come back at once"


def test_overlapping_toxics_of_one_kind_are_rejected(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "checks:",
        "  - {at: 20s, for: 5s, target: bpjs, fault: {kind: latency, latency: 100}}\nchecks:",
    )
    done = harness("validate", str(write(tmp_path, text)))
    assert_usage_error(done, "scenario.yaml:12:", "timeline[1].at", "overlaps step 0")


def test_yaml_syntax_and_duplicate_keys(tmp_path: Path) -> None:
    broken = harness("validate", str(write(tmp_path, "name: [unclosed\n", "a.yaml")))
    assert_usage_error(broken, "a.yaml:", "not valid YAML")
    twice = harness("validate", str(write(tmp_path, MINIMAL + "name: again\n", "b.yaml")))
    assert_usage_error(twice, "b.yaml:", "appears twice")


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    assert_usage_error(harness("validate", str(tmp_path / "nope.yaml")), "no such scenario file")


def test_list_reports_invalid_files_but_lists_the_rest(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL, "good.yaml")
    write(tmp_path, MINIMAL.replace("title:", "titel:"), "bad.yaml")
    done = harness("list", str(tmp_path))
    assert_usage_error(done, "bad.yaml:2:", "unknown key 'titel'", "did you mean 'title'?")
    assert "tiny" in done.stdout


# --- client files --------------------------------------------------------------------------------

CLIENT = """\
name: resilient
command: python -m examples.resilient --port {port}
env:
  BPJS_BASE_URL: "{bpjs_url}/vclaim-rest"
  ERM_URL: "{erm_url}"
readiness: {path: /health, timeout: 20s}
degraded_marker: {header: X-Served-From, value: cache}
"""


def test_client_file_loads_and_renders(tmp_path: Path) -> None:
    client = load_client(write(tmp_path, CLIENT, "client.yaml"))
    assert client.command == ("python", "-m", "examples.resilient", "--port", "{port}")
    assert client.readiness.timeout == 20
    marker = client.degraded_marker
    assert marker is not None
    assert marker.matches({"x-served-from": "cache"}, None)
    assert not marker.matches({"x-served-from": "live"}, None)


def test_client_file_errors_name_the_placeholder(tmp_path: Path) -> None:
    path = write(tmp_path, CLIENT.replace("{erm_url}", "{erm_ur}"), "client.yaml")
    with pytest.raises(
        InvalidFileError, match=r"client.yaml:5:.*env.ERM_URL.*did you mean \{erm_url\}"
    ):
        load_client(path)


def test_non_loopback_client_is_refused_unless_allowed(tmp_path: Path) -> None:
    text = "name: remote\nbase_url: http://10.1.2.3:8080\n"
    path = write(tmp_path, text, "client.yaml")
    done = harness("validate", "--client", str(path), "scenarios")
    assert_usage_error(done, "client.yaml:2:", "base_url", "refusing to touch '10.1.2.3'")
    assert load_client(path, allowed_hosts=("10.1.2.3",)).name == "remote"
    assert ClientDefinition(name="x", base_url="http://127.0.0.1:9000").target_issues() == []
    with pytest.raises(UnsafeTargetError):
        raise UnsafeTargetError(
            ClientDefinition(name="x", base_url="http://example.org").target_issues()[0].message
        )


def test_scenario_names_a_client_file_and_override_wins(tmp_path: Path) -> None:
    write(tmp_path, CLIENT, "client.yaml")
    other = write(tmp_path, CLIENT.replace("name: resilient", "name: naive"), "naive.yaml")
    path = write(tmp_path, MINIMAL + "client: client.yaml\n")
    assert load_scenario(path).client is not None
    assert load_scenario(path).client.name == "resilient"  # type: ignore[union-attr]
    assert load_scenario(path, client_override=other).client.name == "naive"  # type: ignore[union-attr]
    missing = write(tmp_path, MINIMAL + "client: gone.yaml\n", "missing.yaml")
    assert_usage_error(harness("validate", str(missing)), "gone.yaml", "no such file")


def test_inline_client_errors_carry_the_scenario_line(tmp_path: Path) -> None:
    text = MINIMAL + "client:\n  name: inline\n  base_url: http://127.0.0.1:9000\n  readines: {}\n"
    assert_usage_error(
        harness("validate", str(write(tmp_path, text))),
        "scenario.yaml:18:", "client.readines", "did you mean 'readiness'?",
    )  # fmt: skip
