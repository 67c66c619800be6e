"""`harness console` on real processes: the API's guard, faults on a `harness up` stack shared with
the CLI, runs with their events, stopping, and the page in a real browser (Debian's chromium)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.net import free_port
from harness.process import Supervisor, wait_until
from tests.process_support import running
from tests.test_report_browser import CHROMIUM, DevTools, _keep, devtools
from tests.test_stack_cli import start_stack

ROOT = Path(__file__).resolve().parents[1]
RESILIENT = ROOT / "examples" / "clients" / "resilient.yaml"
STEP_S = 60.0
__all__ = ["devtools"]  # the browser fixture, shared with the report's browser test

# A short run for the page: 12 s of front-desk load, 300 ms more on the ERM from 3 s to 7 s.
SHORT = """\
name: console-short
title: A short run for the console's tests
stack: {services: [bpjs, erm, patient-app], seed: 3}
load: {users: {FrontDeskStaff: 4}, spawn_rate: 4, duration: 12s}
timeline:
  - {at: 3s, for: 4s, target: erm, fault: {kind: latency, latency: 300}}
steady_state:
  before: {duration: 2s, min_served_rate: 0.5}
  after: {duration: 2s, min_served_rate: 0.5}
drain: 1s
checks: {client_alive: true}
"""


@dataclass
class Console:
    url: str
    token: str
    process: subprocess.Popen[str]
    report_dir: Path

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)


def _console_url(lines: Iterable[str], *, prefix: str = "") -> tuple[str, str]:
    """The console's URL and token from the first line of `lines` that prints them."""
    pattern = re.compile(re.escape(prefix) + r"console: (http://127\.0\.0\.1:\d+)/\?token=(\S+)")
    for line in lines:
        if found := pattern.match(line):
            return found.group(1), found.group(2)
    raise AssertionError("no console URL printed")


def _start_console(state_dir: Path, tmp_path: Path, *extra: str) -> Console:
    port = free_port()
    report_dir = tmp_path / "console-reports"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "harness.cli", "console", "--port", str(port),
            "--report-dir", str(report_dir), *extra,
        ],
        cwd=ROOT,
        env=os.environ | {"HARNESS_STATE_DIR": str(state_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.match(r"console: (http://127\.0\.0\.1:\d+)/\?token=(\S+)", line)
    assert found, line
    return Console(found.group(1), found.group(2), process, report_dir)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    started = _start_console(tmp_path / "state", tmp_path)
    yield started
    _stop(started)


def _stop(console: Console) -> str:
    if console.process.poll() is None:
        console.process.send_signal(signal.SIGTERM)
    out, _ = console.process.communicate(timeout=STEP_S * 2)
    return out


@pytest.mark.integration
def test_every_call_needs_the_token_and_a_change_needs_the_consoles_origin(
    console: Console,
) -> None:
    assert httpx.get(console.url + "/api/catalogue").status_code == 401
    assert httpx.get(console.url + "/?token=wrong").status_code == 401
    refused = httpx.get(console.url + "/api/stack", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401
    assert "token" in refused.json()["error"]
    catalogue = console.api("GET", "/api/catalogue").json()
    latency = {f["name"]: f for f in catalogue["kinds"]["latency"]["fields"]}
    assert latency["latency"]["required"] is True
    assert latency["toxicity"]["maximum"] == 1.0
    assert catalogue["kinds"]["clock_skew"]["only"] == "bpjs"
    other = console.api(
        "POST", "/api/faults", json={}, headers={"Origin": "http://attacker.example"}
    )
    assert other.status_code == 403
    rebound = console.api("GET", "/api/catalogue", headers={"Host": "attacker.example"})
    assert rebound.status_code == 403
    port = console.url.rsplit(":", 1)[1]
    as_localhost = console.api(  # the page opened as localhost: its own origin, not refused
        "POST",
        "/api/faults",
        json={"target": "erm", "kind": "down"},
        headers={"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"},
    )
    assert as_localhost.status_code == 409  # no stack here, but not refused as another origin
    odd = httpx.get(console.url + "/api/catalogue", params={"token": "é"})
    assert odd.status_code == 401
    assert console.api("GET", "/api/stack").status_code == 409  # no `harness up` stack here
    page = httpx.get(f"{console.url}/?token={console.token}")
    assert page.status_code == 200
    assert not re.search(r"(src|href)=\"https?://", page.text)  # every asset is the console's


@pytest.mark.e2e
def test_a_fault_injected_through_the_api_is_the_stacks_for_the_cli_too(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    with Supervisor(log_dir=tmp_path / "logs") as supervisor:
        stack = start_stack(supervisor, state_dir, ("erm",))
        console = _start_console(state_dir, tmp_path)
        try:
            shown = console.api("GET", "/api/stack").json()
            assert [s["name"] for s in shown["services"]] == ["erm"]
            bad = console.api(
                "POST",
                "/api/faults",
                json={"target": "erm", "kind": "latency", "attributes": {"latency": "-5"}},
            )
            cli = stack.harness("inject", "erm", "latency", "latency=-5")
            assert bad.status_code == 400
            assert cli.stderr.strip() == f"harness: error: {bad.json()['error']}"
            assert bad.json()["field"] == "latency"
            done = console.api(
                "POST",
                "/api/faults",
                json={"target": "erm", "kind": "latency", "attributes": {"latency": "700"}},
            )
            assert done.status_code == 201, done.text
            (toxic,) = stack.proxy_status("erm")["toxics"]  # what `harness status` shows
            assert toxic["attributes"]["latency"] == 700
            began = time.monotonic()
            httpx.get(stack.proxy_url("erm") + "/health", timeout=10)
            assert time.monotonic() - began >= 0.7
            listed = console.api("GET", "/api/faults").json()["active"]
            assert any("latency" in line for line in listed)
            assert console.api("DELETE", "/api/faults/erm").status_code == 200
            assert stack.proxy_status("erm")["toxics"] == []
            timed = console.api(
                "POST",
                "/api/faults",
                json={"target": "erm", "kind": "down", "attributes": {}, "for": "1s"},
            )
            assert timed.status_code == 201
            wait_until(lambda: stack.proxy_status("erm")["enabled"], timeout=10, what="down to end")
        finally:
            _stop(console)


@pytest.mark.e2e
@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill-9"])
def test_stopping_the_console_stops_the_runs_it_started(
    tmp_path: Path, stop_with: signal.Signals
) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "short.yaml").write_text(SHORT.replace("12s", "40s"))
    state_dir = tmp_path / "state"
    console = _start_console(state_dir, tmp_path, "--scenario-dir", str(tmp_path / "mine"))
    try:
        names = [s["name"] for s in console.api("GET", "/api/scenarios").json()["scenarios"]]
        assert "console-short" in names
        assert "incident-2-erm-down" in names  # the built-in library too
        run = console.api(
            "POST",
            "/api/runs",
            json={"scenario": str(tmp_path / "mine" / "short.yaml"), "client": str(RESILIENT)},
        ).json()
        events = console.report_dir / run["id"] / "events.jsonl"

        def applied() -> bool:
            return events.exists() and '"FaultApplied"' in events.read_text()

        wait_until(applied, timeout=120, what="the run's fault")
        watched: list[str] = []  # a page watching the run: its stream must not hold the stop

        def watch() -> None:
            try:
                with httpx.stream(
                    "GET",
                    f"{console.url}/api/runs/{run['id']}/events",
                    params={"token": console.token},
                    timeout=STEP_S,
                ) as stream:
                    for line in stream.iter_lines():
                        watched.append(line)
            except httpx.HTTPError:  # kill -9: the connection is cut, not ended
                watched.append("cut")

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        wait_until(lambda: any("FaultApplied" in w for w in watched), timeout=30, what="stream")
        pids_files = list(state_dir.glob("run-*.pids.json"))
        assert pids_files
        pids_files += list(state_dir.glob("console-*.pids.json"))  # the run's own process
        pids = [int(r["pid"]) for f in pids_files for r in json.loads(f.read_text())]
        assert len(pids) >= 6  # harness run, toxiproxy, 3 mocks, client, locust
        console.process.send_signal(stop_with)
    finally:
        out = _stop(console)
    wait_until(lambda: not any(running(p) for p in pids), timeout=15, what="the run's processes")
    watcher.join(timeout=STEP_S)
    assert not watcher.is_alive()  # the console ended the stream as it stopped
    if stop_with == signal.SIGKILL:
        assert console.process.returncode == -signal.SIGKILL
        return  # the watchdogs ended the run's processes; it wrote no last event
    assert console.process.returncode == 0, out
    last = json.loads(events.read_text().splitlines()[-1])
    assert last["event"] == "RunAborted"
    assert last["exit_code"] == 130


def _evaluate(devtools: DevTools, expression: str) -> Any:
    result = devtools.call(
        "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
    )
    return result.get("result", {}).get("value")


def _wait_for(devtools: DevTools, expression: str, *, timeout: float, what: str) -> None:
    wait_until(lambda: bool(_evaluate(devtools, expression)), timeout=timeout, what=what)


@pytest.mark.e2e
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_page_injects_heals_and_watches_a_run_in_a_real_browser(
    devtools: DevTools, tmp_path: Path
) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "short.yaml").write_text(SHORT)
    state_dir = tmp_path / "state"
    with Supervisor(log_dir=tmp_path / "logs") as supervisor:
        stack = start_stack(supervisor, state_dir, ("erm",))
        console = _start_console(state_dir, tmp_path, "--scenario-dir", str(tmp_path / "mine"))
        try:
            seen = devtools.load(f"{console.url}/?token={console.token}")
            _wait_for(devtools, "document.body.dataset.ready === '1'", timeout=30, what="page")
            assert seen.errors == []
            assert all(r.startswith(console.url) for r in seen.requests), seen.requests

            # a latency fault through the form, as a person fills it in
            _evaluate(
                devtools,
                """(() => {
                  document.getElementById('f-target').value = 'erm';
                  const kind = document.getElementById('f-kind');
                  kind.value = 'latency'; kind.dispatchEvent(new Event('change'));
                  document.querySelector('#f-fields [name=latency]').value = '-5';
                  document.getElementById('f-submit').click();
                })()""",
            )
            _wait_for(
                devtools,
                "document.querySelector('.err[data-for=latency]').textContent"
                ".includes('greater than or equal to 0')",
                timeout=10,
                what="the CLI's message next to the field",
            )
            _evaluate(
                devtools,
                """(() => {
                  document.querySelector('#f-fields [name=latency]').value = '800';
                  document.getElementById('f-submit').click();
                })()""",
            )
            _wait_for(
                devtools,
                "(document.getElementById('fault-rows') || {textContent: ''})"
                ".textContent.includes('latency')",
                timeout=15,
                what="the fault listed",
            )
            began = time.monotonic()
            httpx.get(stack.proxy_url("erm") + "/health", timeout=10)
            assert time.monotonic() - began >= 0.8  # applied: the proxy is slower
            shot = tmp_path / "console-fault.png"
            _screenshot(devtools, shot)
            _evaluate(devtools, "document.querySelector('[data-heal=erm]').click()")
            _wait_for(devtools, "!!document.getElementById('no-faults')", timeout=15, what="healed")
            assert stack.proxy_status("erm")["toxics"] == []

            # a run from the page: the chart updates each second, then the verdict
            _evaluate(
                devtools,
                f"""(() => {{
                  document.getElementById('r-client').value = {json.dumps(str(RESILIENT))};
                  document.querySelector('[data-name="console-short"]').click();
                }})()""",
            )
            _wait_for(
                devtools,
                "parseInt((document.getElementById('tick-count') || {textContent: '0'})"
                ".textContent) >= 5",
                timeout=120,
                what="five chart updates",
            )
            assert _evaluate(devtools, "document.querySelectorAll('.fault-window').length") >= 1
            _screenshot(devtools, tmp_path / "console-run.png")
            _wait_for(devtools, "!!document.getElementById('verdict')", timeout=120, what="verdict")
            verdict = _evaluate(devtools, "document.getElementById('verdict').textContent")
            assert verdict == "PASS"
            href = _evaluate(devtools, "document.getElementById('report-link').href")
            assert httpx.get(href, timeout=10).status_code == 200
            assert httpx.get(href.split("?")[0], timeout=10).status_code == 401
            _screenshot(devtools, tmp_path / "console-verdict.png")
        finally:
            _stop(console)


def _screenshot(devtools: DevTools, path: Path) -> None:
    shot = devtools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    _keep(path)  # REPORT_ARTIFACTS: a folder of the CI's choice
    kept = ROOT / "reports" / "test-artifacts"  # and always here (reports/ is not in git)
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, kept / path.name)


@pytest.mark.e2e
def test_up_with_ui_serves_the_console_on_its_stack_and_stops_it_with_the_stack(
    tmp_path: Path,
) -> None:
    up = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "up", "--services", "erm", "--ui",
         "--toxiproxy-port", str(free_port())],
        cwd=tmp_path,
        env=os.environ | {"HARNESS_STATE_DIR": str(tmp_path / "state")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        assert up.stdout is not None
        url, token = _console_url(up.stdout, prefix="harness: ")
        stack = httpx.get(f"{url}/api/stack", params={"token": token}, timeout=30).json()
        assert [s["name"] for s in stack["services"]] == ["erm"]
        up.send_signal(signal.SIGINT)
        out, _ = up.communicate(timeout=STEP_S * 2)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait(timeout=10)
    assert up.returncode == 0, out
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/stack", params={"token": token}, timeout=5)


@pytest.mark.e2e
def test_run_with_ui_shows_the_run_live_on_a_console_of_its_own(tmp_path: Path) -> None:
    scenario = tmp_path / "short.yaml"
    scenario.write_text(SHORT)
    run = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", str(scenario), "--client", str(RESILIENT),
         "--ui", "--report-dir", str(tmp_path / "reports")],
        cwd=ROOT,
        env=os.environ | {"HARNESS_STATE_DIR": str(tmp_path / "state")},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert run.stderr is not None
        url, token = _console_url(run.stderr)
        shown: list[dict[str, Any]] = []

        def listed() -> bool:
            runs = httpx.get(f"{url}/api/runs", params={"token": token}, timeout=10).json()
            shown[:] = runs["runs"]
            return bool(shown) and shown[0]["scenario"] == "console-short"

        wait_until(listed, timeout=120, what="the run on its console")
        assert shown[0]["state"] == "running"
        out, _ = run.communicate(timeout=STEP_S * 3)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=10)
    assert run.returncode == 0, out
    assert "verdict: PASS" in out
    with pytest.raises(httpx.ConnectError):  # not at a terminal: it ends with the run
        httpx.get(f"{url}/api/runs", params={"token": token}, timeout=5)
