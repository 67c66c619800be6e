"""report.html in a real headless browser (Debian's chromium), driven over the DevTools protocol.

The page must load with no console error, no uncaught exception and no network request other than
the file itself, and the chart must be laid out (a non-zero bounding box). A screenshot is kept in
tmp_path; with REPORT_ARTIFACTS set it is also copied there (a directory; "1" means reports/).
A control page with a console error and a loopback image proves the detectors work.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websocket

from harness.net import free_port
from harness.process import ProcessSpec, Supervisor, http_ready, wait_until
from harness.report import write_reports
from tests.test_checks import NAIVE
from tests.test_journal import journal_for

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium")
STEP_TIMEOUT = 30.0
# Flags from the machine notes: without the background-networking ones chromium makes (refused)
# connections of its own; --no-sandbox because CI runs as root.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--window-size=1200,1600",
    "--remote-allow-origins=*",
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed "
        "(apt-get install -y chromium; .ci/run installs it)",
    ),
]


@dataclass
class PageLoad:
    """What the browser reported while loading one page."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class DevTools:
    """A minimal DevTools-protocol session on one page target."""

    def __init__(self, ws_url: str) -> None:
        self._ws = websocket.create_connection(ws_url, timeout=STEP_TIMEOUT, suppress_origin=True)
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        self._ws.close()

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        self._ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            message = json.loads(self._ws.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise AssertionError(f"{method} failed: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)
        raise AssertionError(f"no answer to {method} within {STEP_TIMEOUT}s")

    def wait_event(self, method: str) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            if any(e.get("method") == method for e in self.events):
                return
            self.events.append(json.loads(self._ws.recv()))
        raise AssertionError(f"no {method} within {STEP_TIMEOUT}s")

    def load(self, url: str) -> PageLoad:
        """Navigate to `url`, wait for its load event, and gather requests and errors."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        # a round trip after the load event flushes console and log events queued before it
        self.call("Runtime.evaluate", expression="1")
        seen = PageLoad()
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                seen.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
                seen.errors.append(json.dumps(params.get("args")))
            elif method == "Runtime.exceptionThrown":
                seen.errors.append(json.dumps(params.get("exceptionDetails")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                seen.errors.append(params["entry"].get("text", ""))
        return seen


@pytest.fixture
def devtools(tmp_path: Path) -> Iterator[DevTools]:
    assert CHROMIUM is not None
    port = free_port()
    argv = [
        CHROMIUM,
        *FLAGS,
        f"--remote-debugging-port={port}",
        f"--user-data-dir={tmp_path / 'profile'}",
        "about:blank",
    ]
    version_url = f"http://127.0.0.1:{port}/json/version"
    with Supervisor(log_dir=tmp_path / "logs") as supervisor:
        supervisor.start(
            ProcessSpec(name="chromium", argv=argv, ready=http_ready(version_url), ready_timeout=60)
        )
        targets: list[dict[str, Any]] = []

        def page_listed() -> bool:
            targets[:] = [
                t
                for t in httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
                if t.get("type") == "page"
            ]
            return bool(targets)

        wait_until(page_listed, timeout=STEP_TIMEOUT, what="chromium's page target")
        session = DevTools(targets[0]["webSocketDebuggerUrl"])
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                session.call(f"{domain}.enable")
            yield session
        finally:
            session.close()


def _keep(screenshot: Path) -> None:
    target = os.environ.get("REPORT_ARTIFACTS", "")
    if not target:
        return
    folder = ROOT / "reports" if target.lower() in {"1", "true", "yes"} else Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(screenshot, folder / screenshot.name)


def test_the_detectors_catch_a_console_error_and_a_request(
    devtools: DevTools, tmp_path: Path
) -> None:
    image = f"http://127.0.0.1:{free_port()}/nothing-listens-here.png"  # loopback, refused
    control = tmp_path / "control.html"
    control.write_text(
        f'<!DOCTYPE html><img src="{image}"><script>console.error("boom")</script>',
        encoding="utf-8",
    )
    seen = devtools.load(control.as_uri())
    assert image in seen.requests
    assert any("boom" in error for error in seen.errors), seen.errors


def test_report_html_opens_cleanly_with_the_chart_laid_out(
    devtools: DevTools, tmp_path: Path
) -> None:
    files = write_reports(journal_for(NAIVE), tmp_path / "run")
    url = files.html.as_uri()
    seen = devtools.load(url)
    assert seen.errors == [], f"console errors: {seen.errors}"
    assert seen.requests == [url], f"requests other than the page itself: {seen.requests}"

    found = devtools.call(
        "Runtime.evaluate",
        expression="(() => { const r = document.querySelector('svg').getBoundingClientRect();"
        " return {width: r.width, height: r.height,"
        " faults: document.querySelectorAll('svg g.fault').length,"
        " verdict: document.querySelector('header.verdict .word').textContent}; })()",
        returnByValue=True,
    )["result"]["value"]
    assert found["width"] > 400, found
    assert found["height"] > 300, found
    assert found["faults"] == 1
    assert found["verdict"] == "FAIL"

    shot = devtools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    screenshot = tmp_path / "report-screenshot.png"
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert screenshot.stat().st_size > 10_000  # a blank page is a few KB; the chart is not
    _keep(screenshot)
