"""Starting locust from the harness, without importing it: it runs in its own processes.

    plan = LoadPlan(locustfile=BUILTIN_LOCUSTFILE, host=client_url, user_counts={...},
                    spawn_rate=4, run_time_s=90, config=LoadConfig(...))
    load = start_load(supervisor, plan, run_dir=run_dir)
    t0 = load.wait_started(timeout=30)    # the users started: the run's clock
    while not load.finished(): print(load.progress().line())
    log_paths = load.request_logs()

Standalone by default; with `workers=N`, one master and N local workers (locust's own
distributed mode); with `remote_workers=N`, a master on `master_bind` that waits for N workers the
user starts on other machines (`worker_argv` is their command line; they need the project
installed and receive the load config from the master). Workers ship what they record to the
master, which writes one request log for all of them, with each worker's flush marks: anything
judged while the load runs waits for the marks of the seconds it judges (`records_through`).
locust's own count of the run's requests is kept in `locust-stats.json` beside the request logs,
for the journal to compare with what was recorded (`locust_requests`).

Every locust process also loads RECORDING_LOCUSTFILE beside the plan's locustfile, so a
locustfile that knows nothing of the harness (plain `HttpUser` classes) runs unchanged and its
requests are recorded like those of users on `harness.load.users.HarnessUser`.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from harness.errors import InfrastructureError, ProcessStartError, UsageError
from harness.load.config import CONFIG_OPTION, LoadConfig
from harness.net import LOOPBACK_HOST, free_port
from harness.process import ManagedProcess, ProcessSpec, Supervisor, wait_until
from harness.results.histogram import LatencyHistogram
from harness.results.timeline import Header

BUILTIN_LOCUSTFILE: Final = Path(__file__).with_name("locustfile.py")
RECORDING_LOCUSTFILE: Final = Path(__file__).with_name("harness_recording.py")
BUILTIN_USERS: Final = ("FrontDeskStaff", "RetryingFrontDeskStaff", "AppPatient", "EhacTraveller")
STOP_TIMEOUT_S: Final = 5.0
LOCUST_STATS: Final = "locust-stats"  # locust adds .json


@dataclass(frozen=True, kw_only=True)
class LoadPlan:
    locustfile: Path
    host: str
    user_counts: Mapping[str, int]
    spawn_rate: float
    run_time_s: float
    config: LoadConfig
    workers: int = 0
    remote_workers: int = 0
    master_bind: str = LOOPBACK_HOST
    master_port: int | None = None

    @property
    def expected_workers(self) -> int:
        return self.workers + self.remote_workers

    @property
    def total_users(self) -> int:
        return sum(self.user_counts.values())


def _locust(plan: LoadPlan) -> list[str]:
    # The recording is loaded beside any locustfile: a plain HttpUser's requests count too.
    files = f"{plan.locustfile},{RECORDING_LOCUSTFILE}"
    return [sys.executable, "-m", "locust", "-f", files]


def _common(_plan: LoadPlan) -> list[str]:
    return ["--loglevel", "WARNING", "--exit-code-on-error", "0"]


def _master_argv(plan: LoadPlan, port: int) -> list[str]:
    argv = [*_locust(plan), "--headless", "--only-summary", "--host", plan.host]
    argv += ["-u", str(plan.total_users), "-r", f"{plan.spawn_rate:g}"]
    argv += ["-t", f"{max(1, round(plan.run_time_s))}s", "--stop-timeout", f"{STOP_TIMEOUT_S:g}"]
    argv += [CONFIG_OPTION, plan.config.model_dump_json()]
    argv += ["--json-file", str(plan.config.out_dir / LOCUST_STATS)]
    if plan.expected_workers:
        argv += ["--master", "--expect-workers", str(plan.expected_workers)]
        argv += ["--master-bind-host", plan.master_bind, "--master-bind-port", str(port)]
    argv += _common(plan)
    return argv + [name for name, count in plan.user_counts.items() if count > 0]


def worker_argv(plan: LoadPlan, *, master_host: str, master_port: int) -> list[str]:
    argv = [*_locust(plan), "--worker", "--master-host", master_host]
    argv += ["--master-port", str(master_port)]
    return argv + _common(plan)


@dataclass(frozen=True, kw_only=True)
class SecondCounts:
    """The requests that started in one second of the run (seconds since t0), by outcome."""

    second: int
    served: int
    degraded: int
    failed: int
    wrong: int = 0
    p50_ms: float | None = None
    """The median latency of that second's requests, every outcome (None: no request)."""
    p95_ms: float | None = None


@dataclass(frozen=True)
class Progress:
    """The last complete seconds of the request logs, for the live progress line."""

    requests_per_s: float = 0.0
    error_rate: float = 0.0
    degraded_rate: float = 0.0
    seconds: int = 0
    last_second: SecondCounts | None = None
    wrong_rate: float = 0.0

    def line(self) -> str:
        """Wrong answers are shown once there are any (a share apart from the errors)."""
        wrong = f"  wrong {self.wrong_rate:6.1%}" if self.wrong_rate else ""
        return (
            f"{self.requests_per_s:6.1f} req/s  errors {self.error_rate:6.1%}{wrong}  "
            f"degraded {self.degraded_rate:6.1%}"
        )


@dataclass
class _Tail:
    """Reads new lines of the request logs as they grow (offsets kept per file): the counts per
    second, and how far each source's records are complete (its flush marks)."""

    offsets: dict[Path, int] = field(default_factory=dict)
    per_second: dict[int, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0])
    )  # served, degraded, failed, wrong
    latency: dict[int, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    """Latency histogram bins (harness.results.histogram) per second, every outcome."""
    through: dict[str, float] = field(default_factory=dict)
    lost: set[str] = field(default_factory=set)  # workers the master recorded lost

    def read(self, paths: Sequence[Path]) -> None:
        for path in paths:
            try:
                with path.open("rb") as handle:
                    handle.seek(self.offsets.get(path, 0))
                    chunk = handle.read()
            except OSError:
                continue
            complete = chunk.rfind(b"\n") + 1
            self.offsets[path] = self.offsets.get(path, 0) + complete
            for raw in chunk[:complete].splitlines():
                self._take(raw)

    def _take(self, raw: bytes) -> None:
        try:
            record = json.loads(raw)
        except ValueError:
            return
        if not isinstance(record, dict):
            return
        kind = record.get("record")
        if kind == "bucket":
            counts = self.per_second[int(record.get("second", 0))]
            counts[0] += int(record.get("served", 0))
            counts[1] += int(record.get("degraded", 0))
            counts[2] += int(record.get("failed", 0))
            counts[3] += int(record.get("wrong", 0))
            latency = record.get("latency_ms")
            if isinstance(latency, dict):
                bins = self.latency[int(record.get("second", 0))]
                for histogram in latency.values():
                    if isinstance(histogram, dict):
                        bins.update({int(k): int(v) for k, v in histogram.items()})
        elif kind == "flush":
            source = str(record.get("source", ""))
            mark = math.inf if record.get("final") else float(record.get("through", 0))
            self.through[source] = max(self.through.get(source, 0.0), mark)
        elif kind == "worker" and record.get("event") == "lost":
            self.lost.add(str(record.get("source", "")))


class LoadRun:
    """The locust processes of one run."""

    def __init__(
        self,
        plan: LoadPlan,
        processes: Sequence[ManagedProcess],
        out_dir: Path,
        *,
        master_port: int = 0,
        window: int = 3,
    ) -> None:
        self.plan = plan
        self.master_port = master_port
        self.processes = tuple(processes)
        self.out_dir = out_dir
        self.window = window
        self._tail = _Tail()

    @property
    def master(self) -> ManagedProcess:
        return self.processes[0]

    def finished(self) -> bool:
        return not self.master.alive()

    def wait(self, *, timeout: float) -> None:
        try:
            wait_until(self.finished, timeout=timeout, interval=0.2, what="the load to finish")
        except TimeoutError as exc:
            raise ProcessStartError(
                f"locust did not finish within {timeout:g}s; its last output:\n"
                f"{self.master.output_tail()}"
            ) from exc

    def wait_started(self, *, timeout: float) -> float:
        """Wait until the users start (with workers: once all have joined); returns t0.

        The run's clock starts then, in the load process, which writes it in its log's header.
        """
        headers: list[Header] = []

        def started() -> bool:
            if not self.master.alive():
                tail = self.master.output_tail()
                raise ProcessStartError(
                    f"locust exited before the load started: {locust_error(tail)}; its last "
                    f"output ({self.master.log_path}):\n{tail}"
                )
            headers[:] = [h for path in self.request_logs() if (h := _header(path)) is not None]
            return bool(headers)

        try:
            wait_until(started, timeout=timeout, interval=0.05, what="the load to start")
        except TimeoutError:
            waiting = (
                f"the locust master is still waiting for its {self.plan.expected_workers} "
                "worker(s) to join; start the remote ones with the command printed above"
                if self.plan.expected_workers
                else "see the locust log in the run directory"
            )
            raise InfrastructureError(
                f"the load did not start within {timeout:g}s: {waiting}"
            ) from None
        return headers[0].t0

    def request_logs(self) -> list[Path]:
        return sorted(self.out_dir.glob("requests-*.jsonl"))

    def records_through(self) -> float:
        """The records of every second before this one have arrived from every load process.

        Standalone, the process writes its own log; with workers, each worker's lines reach the
        master about a second late, and until all the expected workers have shipped a mark
        nothing is complete (0).
        """
        self._tail.read(self.request_logs())
        tail = self._tail
        expected = (self.plan.expected_workers or 1) - len(tail.lost)  # a lost one sends no more
        marks = sorted(t for source, t in tail.through.items() if source not in tail.lost)
        if not marks:
            return 0.0
        return marks[0] if len(marks) >= expected else 0.0

    def late_sources(self, second: float) -> list[str]:
        """The load processes whose records of the seconds before `second` have not all arrived."""
        late = [s for s, through in sorted(self._tail.through.items()) if through < second]
        missing = (self.plan.expected_workers or 1) - len(self._tail.through)
        return late + ([f"{missing} worker(s) not heard from"] if missing > 0 else [])

    def locust_requests(self) -> int | None:
        """locust's own count of the run's requests (its --json-file), None if it wrote none."""
        path = self.out_dir / f"{LOCUST_STATS}.json"
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entries, list):
            return None
        return sum(int(e.get("num_requests", 0)) for e in entries if isinstance(e, dict))

    def served_rate(self, start_s: int, end_s: int) -> tuple[float, int]:
        """(served + degraded) / all requests that started in seconds [start_s, end_s), and all."""
        self._tail.read(self.request_logs())
        counts = [
            self._tail.per_second[s] for s in range(start_s, end_s) if s in self._tail.per_second
        ]
        total = sum(sum(c) for c in counts)
        good = sum(c[0] + c[1] for c in counts)
        return (good / total if total else 0.0), total

    def progress(self) -> Progress:
        through = self.records_through()  # reads the logs
        seconds = sorted(s for s in self._tail.per_second if s < through)
        if not seconds:
            return Progress()
        # Only seconds whose records have all arrived: a worker's come about a second late.
        recent = seconds[-self.window :]
        served = sum(self._tail.per_second[s][0] for s in recent)
        degraded = sum(self._tail.per_second[s][1] for s in recent)
        failed = sum(self._tail.per_second[s][2] for s in recent)
        wrong = sum(self._tail.per_second[s][3] for s in recent)
        total = served + degraded + failed + wrong
        # The last complete second, with no request in it too (a second nobody was served in).
        last = seconds[-1] if math.isinf(through) else math.ceil(through) - 1
        last_served, last_degraded, last_failed, last_wrong = self._tail.per_second.get(
            last, (0, 0, 0, 0)
        )
        latency = LatencyHistogram.from_counts(self._tail.latency.get(last, Counter()))
        return Progress(
            requests_per_s=total / len(recent),
            error_rate=failed / total if total else 0.0,
            degraded_rate=degraded / total if total else 0.0,
            wrong_rate=wrong / total if total else 0.0,
            seconds=len(seconds),
            last_second=SecondCounts(
                second=last,
                served=last_served,
                degraded=last_degraded,
                failed=last_failed,
                wrong=last_wrong,
                p50_ms=latency.percentile(0.5),
                p95_ms=latency.percentile(0.95),
            ),
        )


def locust_error(output: str) -> str:
    """locust's own error line in its output: the last line that names an error, else the last."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if "error" in line.lower() or "exception" in line.lower():
            return line
    return lines[-1] if lines else "it printed nothing"


def _header(path: Path) -> Header | None:
    """A request log's header, once its first line is complete."""
    try:
        with path.open("rb") as handle:
            first = handle.readline()
    except OSError:
        return None
    if not first.endswith(b"\n"):
        return None
    try:
        return Header.model_validate_json(first)
    except ValueError:
        return None


def start_load(sup: Supervisor, plan: LoadPlan, *, run_dir: Path) -> LoadRun:
    """Start locust with the plan's config; returns at once (no readiness to wait for)."""
    if plan.total_users <= 0:
        raise UsageError("the load has no users: give load.users counts above zero")
    if not plan.locustfile.is_file():
        raise UsageError(f"locustfile {plan.locustfile} does not exist; fix the path")
    if "," in str(plan.locustfile):
        raise UsageError(
            f"locustfile {plan.locustfile}: locust's -f splits paths at commas; rename the file "
            "or a folder on its path"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    plan.config.write(run_dir / "load-config.json")  # for the record; locust gets it as an option
    env = {"PYTHONUNBUFFERED": "1"}
    port = plan.master_port or (free_port() if plan.expected_workers else 0)
    master = sup.start(
        ProcessSpec(
            name="locust-master" if plan.expected_workers else "locust",
            argv=_master_argv(plan, port),
            env=env,
            stop_timeout=STOP_TIMEOUT_S + 5,
        ),
        wait=False,
    )
    processes = [master]
    for index in range(1, plan.workers + 1):
        processes.append(
            sup.start(
                ProcessSpec(
                    name=f"locust-worker-{index}",
                    argv=worker_argv(plan, master_host=LOOPBACK_HOST, master_port=port),
                    env=env,
                    stop_timeout=STOP_TIMEOUT_S + 5,
                ),
                wait=False,
            )
        )
    return LoadRun(plan, processes, plan.config.out_dir, master_port=port)
