"""`harness run --suite <dir or tag>`: real stacks, the resilient reference client, real locust.

Each tiny scenario runs about 20 s of wall time; the three full runs here take about 1.5 minutes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESILIENT = ROOT / "examples" / "clients" / "resilient.yaml"


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


def _scenario(
    directory: Path,
    name: str,
    *,
    min_accepted: int = 1,
    client: Path | None = RESILIENT,
    tags: tuple[str, ...] = ("suite-test",),
) -> Path:
    """A short building block in examples/custom_load/scenario.yaml's style (~20 s of wall time)."""
    client_line = f"client: {client}\n" if client is not None else ""
    text = f"""name: {name}
title: Front desk on a quiet morning ({name})
tags: [{", ".join(tags)}]
{client_line}stack: {{services: [bpjs, erm, patient-app], seed: 3}}
load:
  users: {{FrontDeskStaff: 2}}
  spawn_rate: 5
  duration: 10s
steady_state:
  before: {{duration: 2s, min_served_rate: 0.5}}
  after: {{duration: 2s, min_served_rate: 0.5}}
drain: 1s
checks:
  served_rate: {{before: 0.9}}
  nothing_lost: {{min_accepted: {min_accepted}}}
  client_alive: true
"""
    path = directory / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _suite_json(stdout: str) -> dict[str, object]:
    line = next(line for line in stdout.splitlines() if line.startswith("suite: "))
    path = Path(line.removeprefix("suite: ").strip())
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_a_directory_suite_passes_and_lists_every_run(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    _scenario(library, "quiet-morning-a")
    _scenario(library, "quiet-morning-b")
    reports = tmp_path / "reports"
    done = _harness("run", "--suite", str(library), "--report-dir", str(reports))
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
    done = _harness("run", "--suite", "no-such-tag", "--report-dir", "reports", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no scenario under scenarios has the tag 'no-such-tag'" in done.stderr
    assert "known tags: erm, nightly" in done.stderr
    assert not (tmp_path / "reports").exists()


def test_a_tagged_scenario_without_a_client_exits_2_naming_it(tmp_path: Path) -> None:
    library = tmp_path / "scenarios"
    library.mkdir()
    _scenario(library, "with-client", tags=("nightly",))
    _scenario(library, "no-client", client=None, tags=("nightly",))
    _scenario(library, "other-tag", client=None, tags=("weekly",))
    done = _harness("run", "--suite", "nightly", "--report-dir", "reports", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "scenario no-client of the suite names no client under test" in done.stderr
    assert "--client" in done.stderr
    assert not (tmp_path / "reports").exists()  # validated before anything ran


def test_run_needs_a_scenario_or_a_suite(tmp_path: Path) -> None:
    done = _harness("run", "--report-dir", str(tmp_path))
    assert done.returncode == 2
    assert "name a scenario file" in done.stderr
    both = _harness("run", str(tmp_path / "x.yaml"), "--suite", "ci", "--report-dir", str(tmp_path))
    assert both.returncode == 2
    assert "not both" in both.stderr
