"""`harness run --suite <dir or tag>`: real stacks, the resilient reference client, real locust.

Each tiny scenario runs about 20 s of wall time; the three full runs here take about 1.5 minutes,
and the suite stopped by a client that dies at start a few seconds. The suite's summary.md and
junit.xml are checked here on real runs; their rendering in detail in tests/test_suite_summary.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from tests.cli_support import harness_in_process

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
RESILIENT = ROOT / "examples" / "clients" / "resilient.yaml"
DIES_AT_START = Path("client exits before it is ready")
NEVER_READY = Path("client never answers")


def _harness(
    *args: str, cwd: Path = ROOT, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


def _harness_here(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The CLI's `main(argv)` in this process: for errors found before anything starts."""
    return harness_in_process(*args, cwd=cwd)


def _scenario(
    directory: Path,
    name: str,
    *,
    min_accepted: int = 1,
    client: Path | None = RESILIENT,
    tags: tuple[str, ...] = ("suite-test",),
    min_served: float = 0.9,
) -> Path:
    """A short building block in examples/custom_load/scenario.yaml's style (~20 s of wall time).

    Its ~100 requests can show a served rate >= 0.9 (35 all served suffice, with room for a busy
    machine: 6 users gave as few as 34), not >= 0.99 (381 would): `min_served=0.99` makes a run
    that is INCONCLUSIVE whatever the client does."""
    client_line = f"client: {client}\n" if client is not None else ""
    if client == DIES_AT_START:
        client_line = (
            "client:\n  name: dies-at-start\n"
            f"  command: [python, -c, 'raise SystemExit(\"{DIES_AT_START}\")']\n"
            '  base_url: "http://127.0.0.1:{port}"\n'
            "  readiness: {path: /health, timeout: 20s}\n"
        )
    if client == NEVER_READY:  # fails after its readiness timeout, later than a short run ends
        client_line = (
            "client:\n  name: never-ready\n"
            "  command: [python, -c, 'import time; time.sleep(120)']\n"
            '  base_url: "http://127.0.0.1:{port}"\n'
            "  readiness: {path: /health, timeout: 30s}\n"
        )
    text = f"""name: {name}
title: Front desk on a quiet morning ({name})
tags: [{", ".join(tags)}]
{client_line}stack: {{services: [bpjs, erm, patient-app], seed: 3}}
load:
  users: {{FrontDeskStaff: 10}}
  spawn_rate: 10
  duration: 10s
steady_state:
  before: {{duration: 2s, min_served_rate: 0.5}}
  after: {{duration: 2s, min_served_rate: 0.5}}
drain: 1s
checks:
  served_rate: {{before: {min_served}}}
  nothing_lost: {{min_accepted: {min_accepted}}}
  client_alive: true
"""
    path = directory / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _printed(stdout: str, label: str) -> Path:
    """The path `harness run --suite` printed after `label: `."""
    line = next(line for line in stdout.splitlines() if line.startswith(f"{label}: "))
    return Path(line.removeprefix(f"{label}: ").strip())


def _suite_json(stdout: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(_printed(stdout, "suite").read_text(encoding="utf-8"))
    return data


@pytest.mark.e2e
def test_a_directory_suite_passes_and_lists_every_run(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    _scenario(library, "quiet-morning-a")
    _scenario(library, "quiet-morning-b")
    reports = tmp_path / "reports"
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("# earlier step\n", encoding="utf-8")
    done = _harness(
        "run",
        "--suite",
        str(library),
        "--report-dir",
        str(reports),
        "--summary-to",
        str(step_summary),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "suite verdict: PASS (exit 0): 2 of 2 scenarios passed" in done.stdout
    lines = [line for line in done.stdout.splitlines() if line.startswith("PASS ")]
    assert [line.split()[1] for line in lines] == ["quiet-morning-a", "quiet-morning-b"]
    suite = _suite_json(done.stdout)
    assert suite["verdict"] == "pass"
    assert suite["exit_code"] == 0
    runs = suite["runs"]
    assert isinstance(runs, list)
    assert [run["scenario"] for run in runs] == ["quiet-morning-a", "quiet-morning-b"]
    suite_dir = reports / str(suite["suite_id"])
    index = (suite_dir / "index.html").read_text(encoding="utf-8")
    assert f"index: {suite_dir / 'index.html'}" in done.stdout
    assert "2 of 2 runs passed" in index
    for run in runs:
        assert run["verdict"] == "pass"
        assert f'href="{run["run_id"]}/report.html"' in index
        journal = json.loads((suite_dir / run["journal"]).read_text(encoding="utf-8"))
        assert journal["run_id"] == run["run_id"]
        assert journal["verdict"] == "pass"

    summary = _printed(done.stdout, "summary")
    assert summary == suite_dir / "summary.md"
    markdown = summary.read_text(encoding="utf-8")
    assert markdown.startswith("## ✅ PASS: 2 of 2 scenarios passed\n")
    assert "**Exit code 0**" in markdown
    for run in runs:
        link = f"[`{run['scenario']}`]({run['run_id']}/report.html)"
        assert link in markdown
        assert (suite_dir / str(run["run_id"]) / "report.html").is_file()
    # appended after what the step summary held, not over it
    assert step_summary.read_text(encoding="utf-8") == f"# earlier step\n\n{markdown}"

    junit = _printed(done.stdout, "junit")
    assert junit == suite_dir / "junit.xml"
    xml = JUnitXml.fromfile(str(junit))
    assert [suite.name for suite in xml] == ["quiet-morning-a", "quiet-morning-b"]
    for suite, run in zip(xml, runs, strict=True):
        own = next(iter(JUnitXml.fromfile(str(suite_dir / str(run["run_id"]) / "junit.xml"))))
        assert [case.name for case in suite] == [case.name for case in own]
        assert suite.tests == own.tests > 0
    assert (xml.failures, xml.errors) == (0, 0)


@pytest.mark.e2e
def test_a_suite_with_a_failing_scenario_exits_1(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    # Far more accepted registrations than 10 s of two front-desk users can make: cannot pass.
    _scenario(library, "impossible-threshold", min_accepted=1_000_000)
    done = _harness("run", "--suite", str(library), "--report-dir", str(tmp_path / "reports"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL  impossible-threshold" in done.stdout
    assert "suite verdict: FAIL (exit 1): 0 of 1 scenarios passed" in done.stdout
    suite = _suite_json(done.stdout)
    assert suite["verdict"] == "fail"
    runs = suite["runs"]
    assert isinstance(runs, list)
    assert [(run["scenario"], run["verdict"]) for run in runs] == [("impossible-threshold", "fail")]
    journal = json.loads(
        (_printed(done.stdout, "suite").parent / str(runs[0]["journal"])).read_text("utf-8")
    )
    reason = next(c["reason"] for c in journal["checks"] if c["id"] == "nothing_lost")
    markdown = _printed(done.stdout, "summary").read_text(encoding="utf-8")
    assert markdown.startswith("## ❌ FAIL: 0 of 1 scenarios passed\n")
    assert "**Exit code 1**: a check failed" in markdown
    assert f"- `impossible-threshold` `nothing_lost`: {reason}" in markdown
    xml = JUnitXml.fromfile(str(_printed(done.stdout, "junit")))
    failures = [r for suite in xml for case in suite for r in case.result if isinstance(r, Failure)]
    assert [f.message for f in failures] == [reason]


def test_a_suite_stopped_by_an_error_still_writes_its_summary_and_junit(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    _scenario(library, "a-client-that-dies", client=DIES_AT_START)
    _scenario(library, "b-never-reached")
    reports = tmp_path / "reports"
    step_summary = tmp_path / "step-summary.md"
    done = _harness(
        "run",
        "--suite",
        str(library),
        "--report-dir",
        str(reports),
        "--summary-to",
        str(step_summary),
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (suite_dir,) = list(reports.iterdir())
    suite = json.loads((suite_dir / "suite.json").read_text(encoding="utf-8"))
    assert suite["verdict"] == "error"
    assert suite["not_run"] == ["b-never-reached"]
    markdown = (suite_dir / "summary.md").read_text(encoding="utf-8")
    assert markdown.startswith("## ⚠️ ERROR: the suite stopped at a-client-that-dies")
    assert "**Exit code 3**: infrastructure" in markdown
    assert "| `b-never-reached` | not run |" in markdown
    assert step_summary.read_text(encoding="utf-8") == markdown
    xml = JUnitXml.fromfile(str(suite_dir / "junit.xml"))
    died, never = list(xml)
    (error,) = next(iter(died)).result
    assert isinstance(error, Error)
    assert error.type == "exit 3"
    assert error.message == suite["runs"][0]["error"]
    assert isinstance(next(iter(never)).result[0], Skipped)


def test_an_empty_directory_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _harness("run", "--suite", str(empty), "--report-dir", str(tmp_path / "reports"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "holds no scenario" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "reports").exists()


def test_a_tag_that_matches_nothing_exits_2_with_the_known_tags(tmp_path: Path) -> None:
    library = tmp_path / "scenarios"  # tags are looked up in ./scenarios
    library.mkdir()
    _scenario(library, "tagged", tags=("nightly", "erm"))
    done = _harness_here("run", "--suite", "no-such-tag", "--report-dir", "reports", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no scenario under scenarios or " in done.stderr  # ./scenarios, then the library
    assert "has the tag 'no-such-tag'" in done.stderr
    known = done.stderr.split("known tags: ")[1].strip().split(", ")
    assert {"erm", "nightly", "ci", "block"} <= set(known)
    assert not (tmp_path / "reports").exists()


def test_a_tagged_scenario_without_a_client_exits_2_naming_it(tmp_path: Path) -> None:
    library = tmp_path / "scenarios"
    library.mkdir()
    _scenario(library, "with-client", tags=("nightly",))
    _scenario(library, "no-client", client=None, tags=("nightly",))
    _scenario(library, "other-tag", client=None, tags=("weekly",))
    done = _harness_here("run", "--suite", "nightly", "--report-dir", "reports", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "scenario no-client of the suite names no client under test" in done.stderr
    assert "--client" in done.stderr
    assert not (tmp_path / "reports").exists()  # validated before anything ran


def test_scenario_dir_is_where_a_tag_is_looked_up(tmp_path: Path) -> None:
    library = tmp_path / "elsewhere"
    library.mkdir()
    _scenario(library, "no-client-here", client=None, tags=("nightly",))
    done = _harness_here(
        "run",
        "--suite",
        "nightly",
        "--scenario-dir",
        str(library),
        "--report-dir",
        "reports",
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    # found (and validated) under --scenario-dir, not ./scenarios, which does not exist here
    assert "scenario no-client-here of the suite names no client under test" in done.stderr
    alone = _harness_here("run", "x.yaml", "--scenario-dir", str(library), cwd=tmp_path)
    assert alone.returncode == 2
    assert "--scenario-dir only applies to --suite" in alone.stderr


def test_summary_to_is_checked_before_anything_runs(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    _scenario(library, "never-run")
    reports = tmp_path / "reports"
    unset = _harness_here(
        "run", "--suite", str(library), "--report-dir", str(reports), "--summary-to", ""
    )
    assert unset.returncode == 2
    assert "GITHUB_STEP_SUMMARY is unset" in unset.stderr
    missing = tmp_path / "no-such-folder" / "summary.md"
    no_folder = _harness_here(
        "run", "--suite", str(library), "--report-dir", str(reports), "--summary-to", str(missing)
    )
    assert no_folder.returncode == 2
    assert f"the folder {missing.parent} does not exist" in no_folder.stderr
    assert "Traceback" not in unset.stderr + no_folder.stderr
    assert not reports.exists()


def test_run_needs_a_scenario_or_a_suite(tmp_path: Path) -> None:
    done = _harness_here("run", "--report-dir", str(tmp_path))
    assert done.returncode == 2
    assert "name a scenario (a file, or a built-in name such as incident-5" in done.stderr
    both = _harness_here(
        "run", str(tmp_path / "x.yaml"), "--suite", "ci", "--report-dir", str(tmp_path)
    )
    assert both.returncode == 2
    assert "not both" in both.stderr


def _shape(suite_dir: Path) -> tuple[object, ...]:
    """What a suite wrote, without its ids and times: runs, verdicts, markdown, junit."""
    suite = json.loads((suite_dir / "suite.json").read_text(encoding="utf-8"))
    runs = [(r["scenario"], r["verdict"], r["exit_code"]) for r in suite["runs"]]
    markdown = (suite_dir / "summary.md").read_text(encoding="utf-8")
    for run in suite["runs"]:
        markdown = markdown.replace(str(run["run_id"]), "RUN")
    markdown = markdown.replace(str(suite["suite_id"]), "SUITE").replace(str(suite_dir.parent), "")
    markdown = re.sub(r"[\dhm.]+s of wall time", "T of wall time", markdown)
    markdown = re.sub(r"\d+(\.\d+)?", "N", markdown)  # counts measured in the runs
    xml = JUnitXml.fromfile(str(suite_dir / "junit.xml"))
    cases = [
        (s.name, case.name, [type(r).__name__ for r in case.result]) for s in xml for case in s
    ]
    return suite["verdict"], suite["exit_code"], runs, suite["not_run"], markdown, cases


@pytest.mark.e2e
def test_a_parallel_suite_writes_what_a_serial_one_writes(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    _scenario(library, "quiet-morning-a")
    _scenario(library, "impossible-threshold", min_accepted=1_000_000)
    _scenario(library, "quiet-morning-b")
    serial = _harness("run", "--suite", str(library), "--report-dir", str(tmp_path / "serial"))
    parallel = _harness(
        "run", "--suite", str(library), "--parallel", "3", "--report-dir", str(tmp_path / "par")
    )
    assert serial.returncode == parallel.returncode == 1, parallel.stdout + parallel.stderr
    assert "Traceback" not in parallel.stderr
    assert "suite verdict: FAIL (exit 1): 2 of 3 scenarios passed" in parallel.stdout
    (serial_dir,) = list((tmp_path / "serial").iterdir())
    (parallel_dir,) = list((tmp_path / "par").iterdir())
    assert _shape(parallel_dir) == _shape(serial_dir)
    # every run on its own stack: three different run directories, each with its own journal
    suite = json.loads((parallel_dir / "suite.json").read_text(encoding="utf-8"))
    assert len({run["run_id"] for run in suite["runs"]}) == 3
    assert all((parallel_dir / run["journal"]).is_file() for run in suite["runs"])
    assert sorted(p.name for p in (parallel_dir / "logs").glob("run-*.log")) == [
        "run-01-impossible-threshold.log",
        "run-02-quiet-morning-a.log",
        "run-03-quiet-morning-b.log",
    ]


@pytest.mark.e2e
def test_a_parallel_suite_stopped_by_an_error_lists_the_rest_as_not_run(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    _scenario(library, "a-client-that-dies", client=DIES_AT_START)
    _scenario(library, "b-stopped")
    _scenario(library, "c-never-started")
    # a relative --report-dir, as in the README: the runs print absolute journal paths
    done = _harness(
        "run", "--suite", "library", "--parallel", "2", "--report-dir", "r", cwd=tmp_path
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    error = done.stderr[done.stderr.index("harness: error: ") :]
    assert error.startswith("harness: error: client-dies-at-start exited with code 1")
    assert str(DIES_AT_START) in error  # the run's whole message, its client's output included
    (suite_dir,) = list((tmp_path / "r").iterdir())
    suite = json.loads((suite_dir / "suite.json").read_text(encoding="utf-8"))
    assert suite["verdict"] == "error"
    assert [(r["scenario"], r["exit_code"]) for r in suite["runs"]] == [("a-client-that-dies", 3)]
    assert suite["not_run"] == ["b-stopped", "c-never-started"]
    assert "| `c-never-started` | not run |" in (suite_dir / "summary.md").read_text("utf-8")


@pytest.mark.e2e
def test_an_inconclusive_run_makes_the_suite_inconclusive_with_the_policys_exit_code(
    tmp_path: Path,
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    _scenario(library, "a-quiet-morning")
    _scenario(library, "b-thin-evidence", min_served=0.99)
    # parallel: each run is its own `harness run`, which must get the policy too
    done = _harness(
        "run", "--suite", str(library), "--parallel", "2", "--inconclusive", "fail",
        "--report-dir", str(tmp_path / "r"),
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "suite verdict: INCONCLUSIVE (exit 1): 1 of 2 scenarios passed, 1 inconclusive"
        in done.stdout
    )
    suite = _suite_json(done.stdout)
    assert (suite["verdict"], suite["exit_code"], suite["inconclusive"]) == (
        "inconclusive",
        1,
        "fail",
    )
    runs = suite["runs"]
    assert isinstance(runs, list)
    assert [(r["scenario"], r["verdict"], r["exit_code"]) for r in runs] == [
        ("a-quiet-morning", "pass", 0),
        ("b-thin-evidence", "inconclusive", 1),
    ]
    suite_dir = _printed(done.stdout, "suite").parent
    journal = json.loads((suite_dir / str(runs[1]["journal"])).read_text(encoding="utf-8"))
    assert (journal["inconclusive"], journal["exit_code"]) == ("fail", 1)
    markdown = (suite_dir / "summary.md").read_text(encoding="utf-8")
    assert markdown.startswith("## ❔ INCONCLUSIVE: 1 of 2 scenarios passed, 1 inconclusive\n")
    assert "**Exit code 1**: inconclusive, counted as a failure by --inconclusive fail" in markdown
    assert "(deciding it takes at least 381 requests)" in markdown
    xml = JUnitXml.fromfile(str(suite_dir / "junit.xml"))
    unsure = [r for s in xml for c in s for r in c.result if isinstance(r, Failure)]
    assert [f.type for f in unsure] == ["inconclusive"]


@pytest.mark.parametrize("value", ["0", "-2", "three", "1.5"])
def test_a_bad_parallel_count_exits_2_with_one_line(tmp_path: Path, value: str) -> None:
    done = _harness_here("run", "--suite", "ci", "--parallel", value, "--report-dir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr == (
        f"harness: error: --parallel {value}: give how many scenarios run at a time, "
        "a whole number 1 or more\n"
    )
    assert not any(tmp_path.iterdir())


@pytest.mark.e2e
def test_a_parallel_suite_keeps_the_suite_order_when_an_earlier_scenario_fails_later(
    tmp_path: Path,
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    _scenario(library, "a-never-ready", client=NEVER_READY)  # fails after 30 s
    _scenario(library, "b-quiet-morning")  # passes in about 20 s, before a fails
    _scenario(library, "c-never-started")
    done = _harness(
        "run", "--suite", str(library), "--parallel", "2", "--report-dir", str(tmp_path / "r")
    )
    assert done.returncode == 3, done.stdout + done.stderr
    (suite_dir,) = list((tmp_path / "r").iterdir())
    suite = json.loads((suite_dir / "suite.json").read_text(encoding="utf-8"))
    assert [(r["scenario"], r["verdict"]) for r in suite["runs"]] == [
        ("a-never-ready", "error"),
        ("b-quiet-morning", "pass"),
    ]
    assert suite["not_run"] == ["c-never-started"]
