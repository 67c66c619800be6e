"""Runs started from the console: each a `harness run --events FILE` process of its own.

    runs = ConsoleRuns(report_dir=Path("reports"), supervisor=sup)
    run = runs.start("block-latency-spike", "resilient")
    runs.events(run.id, start=0)      # the JSON lines written so far, from line `start`
    runs.stop(run.id)                 # SIGTERM: the run unwinds (faults healed, processes stopped)

A run is a child process under the console's Supervisor, so it stops with the console: Ctrl-C
and SIGTERM stop it through its own teardown, and a `kill -9` of the console through the
watchdog every supervised process has (docs/decisions/0010). Its stack is its own, on free ports,
as for `harness run`; what the page shows of it comes from its events file.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from harness.errors import UsageError
from harness.library import resolve_client, resolve_scenario
from harness.process import ManagedProcess, ProcessSpec, Supervisor

RUN_STOP_S: Final = 60.0  # a run's own teardown after SIGTERM
EVENTS_FILE: Final = "events.jsonl"


@dataclass
class ConsoleRun:
    id: str
    scenario: str
    client: str
    events_path: Path
    process: ManagedProcess | None
    """None: a run the console follows (`harness run --ui`), another process's."""
    started: float
    report_dir: Path
    _events: list[dict[str, Any]] = field(default_factory=list, init=False, repr=False)
    """Every complete line read so far, parsed: the file is append-only."""
    _read_to: int = field(default=0, init=False, repr=False)
    _reading: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def alive(self, events: list[dict[str, Any]] | None = None) -> bool:
        """Its process runs; a followed run: its events (read if not given) have no last one."""
        if self.process is not None:
            return self.process.alive()
        lines = self.lines() if events is None else events
        return not any(e["event"] in ("RunFinished", "RunAborted") for e in lines)

    def report_href(self, run_dir: str | None) -> str | None:
        """The console's URL path of a run directory's report.html, if it is under its root."""
        if run_dir is None:
            return None
        path = Path(run_dir).resolve()
        root = self.report_dir.resolve()
        if not path.is_relative_to(root):
            return None
        return f"/reports/{path.relative_to(root).as_posix()}/report.html"

    def lines(self, start: int = 0) -> list[dict[str, Any]]:
        """The events written so far, from the `start`-th; a line still being written waits.
        Only what was appended since the last call is read and parsed (each page's stream
        and the list of runs ask several times a second)."""
        with self._reading:
            try:
                with self.events_path.open("rb") as handle:
                    handle.seek(self._read_to)
                    new = handle.read()
            except FileNotFoundError:
                new = b""
            complete = new.rfind(b"\n") + 1
            self._events.extend(json.loads(line) for line in new[:complete].splitlines())
            self._read_to += complete
            return self._events[start:]

    def summary(self) -> dict[str, Any]:
        """What the list of runs shows: state, verdict, report."""
        verdict = exit_code = report = error = None
        scenario = self.scenario
        events = self.lines()
        for event in events:
            if event["event"] == "RunFinished":
                verdict, exit_code = event["verdict"], event["exit_code"]
                report = event["run_dir"]
            elif event["event"] == "RunAborted":
                exit_code, error = event["exit_code"], event["error"]
            elif event["event"] == "RunStarted":
                report, scenario = event["run_dir"], event["scenario"]
        alive = self.alive(events)
        if not alive and exit_code is None and self.process is not None:
            exit_code = self.process.popen.returncode
            error = error or f"the run exited with code {exit_code}; see {self.process.log_path}"
        return {
            "id": self.id,
            "scenario": scenario,
            "client": self.client,
            "state": "running" if alive else "finished" if verdict else "stopped",
            "verdict": verdict,
            "exit_code": exit_code,
            "error": error,
            "run_dir": report,
            "stoppable": self.process is not None and alive,
            "report": self.report_href(report) if verdict else None,
            "started_s_ago": round(time.monotonic() - self.started, 1),
        }


class ConsoleRuns:
    def __init__(
        self, *, report_dir: Path, supervisor: Supervisor, allowed_hosts: tuple[str, ...] = ()
    ) -> None:
        self.report_dir = report_dir
        self.supervisor = supervisor
        self.allowed_hosts = allowed_hosts
        self._runs: dict[str, ConsoleRun] = {}
        self._lock = threading.Lock()

    def start(self, scenario: str, client: str) -> ConsoleRun:
        """Start `harness run` on a scenario and a client, each a file or a built-in name."""
        if not scenario or not client:
            raise UsageError("give a scenario and a client file (or a built-in client's name)")
        scenario_path = resolve_scenario(scenario).resolve()
        client_path = resolve_client(client).resolve()
        run_id = f"console-{secrets.token_hex(3)}"
        folder = self.report_dir / run_id
        folder.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable, "-m", "harness.cli", "run", str(scenario_path),
            "--client", str(client_path), "--report-dir", str(folder.resolve()),
            "--events", str((folder / EVENTS_FILE).resolve()),
        ]  # fmt: skip
        for host in self.allowed_hosts:
            argv += ["--allow-host", host]
        spec = ProcessSpec(
            name=f"run-{run_id}", argv=argv, env={"PYTHONUNBUFFERED": "1"}, stop_timeout=RUN_STOP_S
        )
        with self._lock:
            process = self.supervisor.start(spec, wait=False)
            run = ConsoleRun(
                id=run_id,
                scenario=scenario_path.stem,
                client=client_path.stem,
                events_path=folder / EVENTS_FILE,
                process=process,
                started=time.monotonic(),
                report_dir=self.report_dir,
            )
            self._runs[run_id] = run
        return run

    def follow(self, events_path: Path, *, client: str = "") -> ConsoleRun:
        """Show a run another process writes the events of (`harness run --ui`)."""
        run = ConsoleRun(
            id=f"followed-{secrets.token_hex(3)}",
            scenario="",
            client=client,
            events_path=events_path,
            process=None,
            started=time.monotonic(),
            report_dir=self.report_dir,
        )
        with self._lock:
            self._runs[run.id] = run
        return run

    def get(self, run_id: str) -> ConsoleRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def all(self) -> list[ConsoleRun]:
        with self._lock:
            return sorted(self._runs.values(), key=lambda r: r.started, reverse=True)

    def stop(self, run_id: str) -> bool:
        """SIGTERM the run, which unwinds as on Ctrl-C; False if there is no such run."""
        run = self.get(run_id)
        if run is None or run.process is None:  # a followed run is its own process's to stop
            return False
        if run.process.alive():
            threading.Thread(target=run.process.stop, daemon=True).start()
        return True

    def stop_all(self) -> None:
        for run in self.all():
            if run.process is not None and run.process.alive():
                run.process.stop()


__all__ = ["EVENTS_FILE", "ConsoleRun", "ConsoleRuns"]
