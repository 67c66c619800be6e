"""Console figures (issue 17): the page's load time, and how late events reach it.

    .venv/bin/python benchmarks/console.py            # 5 page loads, one CLI fault, one run

Starts `harness up --services erm`, `harness console` and Debian's headless chromium (DevTools
protocol), all on loopback, then measures:

- page load: navigation start to the page's `data-ready` (catalogue, stack, scenarios and runs
  fetched and drawn), from the browser's own clock, 5 loads;
- a fault injected by the CLI (`harness inject erm latency latency=500`) until the page lists it:
  the page polls the stack once a second, so up to a second is expected;
- a run started from the page: for each event, the time its line was written to the run's
  events file (this script polls the file every 10 ms) until the page received it over
  Server-Sent Events (the page records `Date.now()`; same machine, same clock).

Target (issue 17): the chart updates at least once a second, that is, run events reach the page
within a second of being written. Exit 0 when the p95 event delay is under 1 s, 1 otherwise.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websocket

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.net import free_port  # noqa: E402
from harness.process import ProcessSpec, Supervisor, http_ready, wait_until  # noqa: E402

SHORT = """\
name: console-bench
title: Console benchmark run
stack: {services: [bpjs, erm, patient-app], seed: 3}
load: {users: {FrontDeskStaff: 4}, spawn_rate: 4, duration: 20s}
timeline:
  - {at: 5s, for: 8s, target: erm, fault: {kind: latency, latency: 300}}
steady_state:
  before: {duration: 2s, min_served_rate: 0.5}
  after: {duration: 2s, min_served_rate: 0.5}
drain: 1s
checks: {client_alive: true}
"""


class Page:
    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                result: dict[str, Any] = message.get("result", {})
                return result

    def js(self, expression: str) -> Any:
        found = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return found.get("result", {}).get("value")


def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed (apt-get install -y chromium)")
        return 3
    with tempfile.TemporaryDirectory(prefix="console-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = os.environ | {"HARNESS_STATE_DIR": str(tmp / "state")}
        (tmp / "mine").mkdir()
        (tmp / "mine" / "bench.yaml").write_text(SHORT)
        with Supervisor(log_dir=tmp / "logs") as sup:
            sup.start(
                ProcessSpec(
                    name="up",
                    argv=[sys.executable, "-m", "harness.cli", "up", "--services", "erm"],
                    env={"HARNESS_STATE_DIR": str(tmp / "state")},
                    ready=(tmp / "state" / "stack.json").exists,
                    ready_timeout=120,
                    stop_timeout=30,
                )
            )
            port = free_port()
            console = subprocess.Popen(
                [
                    sys.executable, "-m", "harness.cli", "console", "--port", str(port),
                    "--report-dir", str(tmp / "reports"), "--scenario-dir", str(tmp / "mine"),
                ],
                env=env, cwd=REPO, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            try:
                assert console.stdout is not None
                url = re.sub(r"^console: ", "", console.stdout.readline().strip())
                debug = free_port()
                sup.start(
                    ProcessSpec(
                        name="chromium",
                        argv=[
                            chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-background-networking", "--no-first-run",
                            f"--remote-debugging-port={debug}", "--remote-allow-origins=*",
                            f"--user-data-dir={tmp / 'profile'}", "about:blank",
                        ],
                        ready=http_ready(f"http://127.0.0.1:{debug}/json/version"),
                        ready_timeout=60,
                    )
                )  # fmt: skip
                target = next(
                    t
                    for t in httpx.get(f"http://127.0.0.1:{debug}/json/list").json()
                    if t["type"] == "page"
                )
                page = Page(target["webSocketDebuggerUrl"])
                return _measure(page, url, env, tmp)
            finally:
                console.terminate()
                console.wait(timeout=120)


def _measure(page: Page, url: str, env: dict[str, str], tmp: Path) -> int:
    loads = []
    for _ in range(5):
        page.call("Page.navigate", url=url)
        wait_until(
            lambda: page.js("document.body && document.body.dataset.ready === '1'"),
            timeout=30,
            what="the page",
        )
        loads.append(page.js("performance.now()"))
    print(
        f"page load to ready: median {statistics.median(loads):.0f} ms, max {max(loads):.0f} ms "
        f"({', '.join(f'{v:.0f}' for v in loads)})"
    )

    began = time.time()
    subprocess.run(
        [sys.executable, "-m", "harness.cli", "inject", "erm", "latency", "latency=500"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    applied = time.time()
    wait_until(
        lambda: page.js(
            "(document.getElementById('fault-rows')||{textContent:''})"
            ".textContent.includes('latency')"
        ),
        timeout=10,
        interval=0.01,
        what="the fault on the page",
    )
    shown = time.time()
    print(
        f"CLI fault applied -> listed on the page: {1000 * (shown - applied):.0f} ms "
        f"(the inject command itself took {1000 * (applied - began):.0f} ms)"
    )

    page.js("document.getElementById('r-client').value = 'resilient'")
    page.js("document.querySelector('[data-name=\"console-bench\"]').click()")
    events_file: list[Path] = []

    def started() -> bool:
        events_file[:] = sorted(tmp.glob("reports/*/events.jsonl"))
        return bool(events_file)

    wait_until(started, timeout=30, what="the run's events file")
    written: list[float] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        lines = events_file[0].read_text().splitlines()
        written += [time.time()] * (len(lines) - len(written))
        if lines and json.loads(lines[-1])["event"] in ("RunFinished", "RunAborted"):
            break
        time.sleep(0.01)
    wait_until(lambda: page.js("!!document.getElementById('verdict')"), timeout=30, what="verdict")
    received = page.js("JSON.stringify(window.received)")
    arrivals = [r["at"] / 1000 for r in json.loads(received)]
    delays = [1000 * (a - w) for a, w in zip(arrivals, written, strict=False)]
    delays.sort()
    p95 = delays[max(0, int(0.95 * len(delays)) - 1)]
    print(
        f"run events written -> received by the page: {len(delays)} events, median "
        f"{statistics.median(delays):.0f} ms, p95 {p95:.0f} ms, max {max(delays):.0f} ms"
    )
    shot = page.call("Page.captureScreenshot", format="png")
    (REPO / "reports").mkdir(exist_ok=True)
    (REPO / "reports" / "console-benchmark.png").write_bytes(base64.b64decode(shot["data"]))
    met = p95 < 1000
    print("target met" if met else "target NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
