"""Liveness probes of the client under test, in a background thread, during the run.

When a process fault of the timeline took the client down (kill, restart, pause), its exit is
not a crash: the prober follows the process started again, and records an exit only when no
fault explains it. Probes in those windows fail as they would for patients; the `client_alive`
check leaves them out (harness/results/checks.py).
"""

from __future__ import annotations

import threading
import time

import httpx

from harness.results.run import ClientExit, ProbeResult
from harness.stack.running import SupervisedProcess


class LivenessProber:
    """GETs the client's liveness path every `interval` s until stopped; notes if it exited."""

    def __init__(
        self,
        url: str,
        *,
        t0: float,
        client: SupervisedProcess | None,
        interval: float = 1.0,
        timeout: float = 2.0,
    ) -> None:
        self.url = url
        self.t0 = t0
        self.client = client  # None: the user runs it
        self.interval = interval
        self.timeout = timeout
        self.results: list[ProbeResult] = []
        self.exit: ClientExit | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="liveness-prober", daemon=True)

    def __enter__(self) -> LivenessProber:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.timeout + self.interval + 1)

    def _loop(self) -> None:
        with httpx.Client(timeout=self.timeout) as http:
            while not self._stop.is_set():
                self.results.append(self._probe(http))
                client = self.client
                if self.exit is None and client is not None and client.crashed:
                    code = client.process.popen.returncode
                    self.exit = ClientExit(t=max(0.0, time.time() - self.t0), returncode=code)
                self._stop.wait(self.interval)

    def _probe(self, http: httpx.Client) -> ProbeResult:
        started = time.time()
        t = max(0.0, started - self.t0)
        try:
            response = http.get(self.url)
        except httpx.HTTPError as exc:
            return ProbeResult(t=t, ok=False, error=type(exc).__name__)
        latency_ms = (time.time() - started) * 1000
        return ProbeResult(
            t=t, ok=response.status_code < 500, status=response.status_code, latency_ms=latency_ms
        )
