"""Scenario engine benchmarks (issue 5): fault timing, chain throughput, recording cost, cold start.

    .venv/bin/python benchmarks/scenario_engine.py                 # all four
    .venv/bin/python benchmarks/scenario_engine.py --timing --cold-start

- Fault timing (--timing): `harness run benchmarks/scenarios/flapping-link.yaml` (30 half-second
  network and app fault windows, 60 events, light load) against the resilient reference client;
  from each journal's fault windows, actual minus scheduled time of applying (start) and removing
  (end) every fault. Target: p99 <= 50 ms for both.
- Chain throughput (--chain): `harness run benchmarks/scenarios/chain-throughput.yaml` with
  benchmarks/clients/resilient-saturate.yaml (the built-in users without think time) at a few user
  counts; requests/s, error rate and latency from the run's request log, over the seconds after
  the ramp-up. Reported, no target.
- Recording cost (--recording): locust headless, the same zero-wait user on plain `HttpUser`
  (benchmarks/locustfiles/plain_hello.py) and on `HarnessUser`
  (benchmarks/locustfiles/recorded_hello.py), against GET / of the bare Starlette app, in each
  load mode of --recording-workers (0: one process; N: a master and N local workers, the records
  shipped to the master); same users and duration, alternating rounds, median requests/s. The
  app and locust are pinned to different CPUs; locust (one core) is the bottleneck, which is what
  makes the recording cost visible. Also, for every recorded run, the requests in the request log
  against locust's own count. Targets: recording costs at most 10% of the requests/s in each mode,
  and the log holds exactly what locust counted.
- Cold start (--cold-start): `harness.stack.running.running_stack` (toxiproxy, three mocks, three
  proxies) on free ports, from the call until it returns with every part ready, several rounds,
  median and max; alternating with a sequential reference (each mock started and waited for before
  the next, the order the stack used before it started the mocks together). Target: <= 3 s.

Locust is never imported here: it runs in its own processes (`harness run`, or `python -m locust`).
Every process started is stopped (a Supervisor, or `subprocess.run` with a timeout). Exit code 0
when every target measured was met, 1 when one was missed, 3 when a run failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict
from ruamel.yaml import YAML

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    EXIT_INFRASTRUCTURE,
    EXIT_TARGET_MISSED,
    REPO,
    BenchmarkError,
    Cores,
    median,
    pinned,
    plan_cores,
    start_baseline,
)

from harness import paths
from harness.load.config import CONFIG_OPTION, LoadConfig
from harness.net import LOOPBACK_HOST, free_ports
from harness.process import ProcessSpec, Supervisor, wait_until
from harness.results.histogram import LatencyHistogram
from harness.results.journal import FaultTiming
from harness.results.run import FaultWindow
from harness.results.timeline import read_request_log
from harness.scenario.types import ServiceName
from harness.stack.running import running_stack
from harness.stack.topology import ServicePorts, Topology, mock_spec
from harness.toxiproxy.adapter import ToxiproxyClient
from harness.toxiproxy.install import Provision, require
from harness.toxiproxy.server import start_or_connect
from mock_services.common import clock

HERE: Final = Path(__file__).resolve().parent
FLAPPING_SCENARIO: Final = HERE / "scenarios" / "flapping-link.yaml"
CHAIN_SCENARIO: Final = HERE / "scenarios" / "chain-throughput.yaml"
RESILIENT_CLIENT: Final = REPO / "examples" / "clients" / "resilient.yaml"
SATURATE_CLIENT: Final = HERE / "clients" / "resilient-saturate.yaml"
PLAIN_LOCUSTFILE: Final = HERE / "locustfiles" / "plain_hello.py"
RECORDED_LOCUSTFILE: Final = HERE / "locustfiles" / "recorded_hello.py"

TIMING_TARGET_MS: Final = 50.0
RECORDING_TARGET: Final = 0.90  # recorded requests/s at least this share of plain
COLD_START_TARGET_S: Final = 3.0
RUN_TIMEOUT_S: Final = 240.0
RAMP_S: Final = 2  # seconds after the first request before the chain is counted as saturated


def rel(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: with 60 events p99 is the largest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# --- harness run ----------------------------------------------------------------------------------


def harness_command() -> list[str]:
    script = Path(sys.executable).with_name("harness")
    if not script.exists():
        raise BenchmarkError(
            f"the `harness` console script is not next to {sys.executable}; install the project "
            "with `make install` (pip install -e '.[dev]') and run this with .venv/bin/python"
        )
    return [str(script)]


class RunRecord(BaseModel):
    """The parts of a run's journal.json these benchmarks read.

    Not `read_journal`: a journal whose scenario leaves checks out does not validate back into
    the Journal model (its dump writes `null` for them), so only these parts are read.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    run_id: str
    duration_s: float
    verdict: str
    faults: tuple[FaultWindow, ...]
    fault_timing: FaultTiming


def harness_run(scenario: Path, *, client: Path, report_dir: Path) -> RunRecord:
    """`harness run` as a subprocess; the journal of the run (exit 0, 1 or 4 all have one)."""
    argv = [*harness_command(), "run", str(scenario), "--client", str(client)]
    argv += ["--report-dir", str(report_dir)]
    before = set(report_dir.glob("*/journal.json")) if report_dir.exists() else set()
    done = subprocess.run(
        argv, cwd=REPO, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
    )
    if done.returncode not in (0, 1, 4):  # pass, fail, inconclusive: all verdicts
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-10:])
        raise BenchmarkError(f"`harness run {rel(scenario)}` exited {done.returncode}:\n{tail}")
    journals = sorted(set(report_dir.glob("*/journal.json")) - before)
    if len(journals) != 1:
        raise BenchmarkError(f"`harness run {rel(scenario)}` left no journal in {report_dir}")
    return RunRecord.model_validate_json(journals[0].read_text(encoding="utf-8"))


# --- 1. fault timing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lateness:
    """Actual minus scheduled, milliseconds, of one apply or remove."""

    action: str  # "apply" | "remove"
    layer: str
    ms: float


def latenesses(journal: RunRecord) -> list[Lateness]:
    found: list[Lateness] = []
    for w in journal.faults:
        if w.error is not None:
            raise BenchmarkError(f"step {w.step} ({w.description}) failed in the run: {w.error}")
        if w.actual_start is not None:
            ms = (w.actual_start - w.scheduled_start) * 1000
            found.append(Lateness("apply", str(w.layer), ms))
        if w.actual_end is not None and w.scheduled_end is not None:
            ms = (w.actual_end - w.scheduled_end) * 1000
            found.append(Lateness("remove", str(w.layer), ms))
    return found


def bench_timing(*, runs: int, report_dir: Path) -> bool:
    print(
        f"## fault timing: {runs} run(s) of harness run {rel(FLAPPING_SCENARIO)} "
        f"--client {rel(RESILIENT_CLIENT)}"
    )
    all_events: list[Lateness] = []
    for index in range(1, runs + 1):
        load = load_average()
        journal = harness_run(FLAPPING_SCENARIO, client=RESILIENT_CLIENT, report_dir=report_dir)
        events = latenesses(journal)
        all_events += events
        ms = [e.ms for e in events]
        print(
            f"run {index}: {len(journal.faults)} windows, {len(events)} events, "
            f"p50 {percentile(ms, 0.5):.1f} ms, max {max(ms):.1f} ms, verdict "
            f"{journal.verdict}; journal fault_timing p99 {journal.fault_timing.p99_ms} ms; "
            f"load average {load}"
        )
    print()
    print("| events | action | layer | n | p50 ms | p99 ms | max ms | min ms |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    met = True
    groups: list[tuple[str, str]] = [
        ("apply", "all"),
        ("remove", "all"),
        ("apply", "network"),
        ("apply", "app"),
        ("remove", "network"),
        ("remove", "app"),
    ]
    for action, layer in groups:
        ms = [e.ms for e in all_events if e.action == action and layer in ("all", e.layer)]
        if not ms:
            continue
        p99 = percentile(ms, 0.99)
        if layer == "all":
            met = met and p99 <= TIMING_TARGET_MS
        print(
            f"| {len(all_events)} | {action} | {layer} | {len(ms)} | {percentile(ms, 0.5):.1f} "
            f"| {p99:.1f} | {max(ms):.1f} | {min(ms):.1f} |"
        )
    print(f"\ntarget p99 <= {TIMING_TARGET_MS:g} ms (apply and remove): {verdict(met)}\n")
    return met


# --- 2. chain throughput --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainResult:
    users: dict[str, int]
    seconds: int
    requests_per_s: float
    error_rate: float
    degraded_rate: float
    p50_ms: float | None
    p95_ms: float | None


def chain_scenario(directory: Path, *, users: int) -> tuple[Path, dict[str, int]]:
    """A copy of the chain scenario with `users` users, a quarter of them at the front desk."""
    yaml = YAML()  # round trip: the copy keeps the file's comments and order
    data = yaml.load(CHAIN_SCENARIO.read_text())
    front = max(1, users // 4)
    counts = {"BusyFrontDesk": front, "BusyAppPatient": users - front}
    data["load"]["users"] = counts
    data["load"]["spawn_rate"] = max(users, 1)
    path = directory / f"chain-{users}.yaml"
    with path.open("w") as handle:
        yaml.dump(data, handle)
    return path, counts


def chain_figures(journal: RunRecord, run_dir: Path, users: dict[str, int]) -> ChainResult:
    log = read_request_log(sorted((run_dir / "load").glob("requests-*.jsonl")))
    per_second = log.per_second()
    busy = [s for s, t in per_second.items() if t.total > 0]
    if not busy:
        raise BenchmarkError(f"the chain run {journal.run_id} recorded no request")
    # From RAMP_S after the first request until the last complete second of the load.
    last = min(max(busy), int(journal.duration_s)) - 1
    window = [per_second[s] for s in range(min(busy) + RAMP_S, last) if s in per_second]
    if not window:
        raise BenchmarkError(f"the chain run {journal.run_id} was too short to measure")
    total = sum(s.total for s in window)
    latency = LatencyHistogram.merge(h for s in window for h in s.latency_ms.values())
    return ChainResult(
        users=users,
        seconds=len(window),
        requests_per_s=total / len(window),
        error_rate=sum(s.failed for s in window) / total,
        degraded_rate=sum(s.degraded for s in window) / total,
        p50_ms=latency.percentile(0.5),
        p95_ms=latency.percentile(0.95),
    )


def bench_chain(*, user_levels: Sequence[int], report_dir: Path) -> bool:
    print(
        f"## chain throughput: harness run {rel(CHAIN_SCENARIO)} (users set per level) "
        f"--client {rel(SATURATE_CLIENT)}"
    )
    print(
        "| users (front desk + app) | seconds measured | requests/s | errors | degraded "
        "| p50 ms | p95 ms | load average before |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory(prefix="bench-chain-") as tmp:
        for users in user_levels:
            scenario, counts = chain_scenario(Path(tmp), users=users)
            load = load_average()
            journal = harness_run(scenario, client=SATURATE_CLIENT, report_dir=report_dir)
            run_dir = report_dir / journal.run_id
            r = chain_figures(journal, run_dir, counts)
            who = f"{sum(counts.values())} ({counts['BusyFrontDesk']} + {counts['BusyAppPatient']})"
            print(
                f"| {who} | {r.seconds} | {r.requests_per_s:.0f} | {r.error_rate:.2%} "
                f"| {r.degraded_rate:.2%} | {fmt(r.p50_ms)} | {fmt(r.p95_ms)} | {load} |"
            )
    print()
    return True


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


# --- 3. recording cost ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LocustRun:
    requests_per_s: float  # locust's own: requests / (last request - first), every name
    requests: int
    failures: int


def locust_rps(
    locustfile: Path,
    *,
    host: str,
    users: int,
    duration_s: int,
    cpu: int | None,
    work: Path,
    extra: Sequence[str] = (),
    workers: int = 0,
) -> LocustRun:
    """One headless locust run (with `workers`: a master and local workers), from its JSON stats."""
    stats_file = work / f"{locustfile.stem}-{time.monotonic_ns()}.json"
    locust = [sys.executable, "-m", "locust", "-f", str(locustfile)]
    common = ["--loglevel", "WARNING", "--exit-code-on-error", "0"]
    argv = [*locust, "--headless", "--only-summary"]
    argv += ["--host", host, "-u", str(users), "-r", str(users), "-t", f"{duration_s}s"]
    argv += ["--json-file", str(stats_file.with_suffix("")), *common, *extra]
    port = free_ports(1)[0]
    if workers:
        argv += ["--master", "--expect-workers", str(workers)]
        argv += ["--master-bind-host", LOOPBACK_HOST, "--master-bind-port", str(port)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with Supervisor(log_dir=work / "locust-logs") as sup:
        master = sup.start(
            ProcessSpec(name="locust-master", argv=pinned(argv, cpu), cwd=REPO, env=env), wait=False
        )
        for index in range(1, workers + 1):
            worker = [*locust, "--worker", "--master-host", LOOPBACK_HOST]
            worker += ["--master-port", str(port), *common]
            spec = ProcessSpec(name=f"worker-{index}", argv=pinned(worker, cpu), cwd=REPO, env=env)
            sup.start(spec, wait=False)
        try:
            wait_until(
                lambda: not master.alive(), timeout=duration_s + 90, interval=0.2, what="locust"
            )
        except TimeoutError as exc:
            raise BenchmarkError(f"locust ({locustfile.name}) did not finish") from exc
        code = master.popen.returncode
        if code != 0 or not stats_file.is_file():
            raise BenchmarkError(
                f"locust ({locustfile.name}) exited {code}:\n{master.output_tail()}"
            )
    entries = json.loads(stats_file.read_text())
    if not entries:
        raise BenchmarkError(f"locust ({locustfile.name}) made no request; see {stats_file}")
    requests = sum(int(e["num_requests"]) for e in entries)
    failures = sum(int(e["num_failures"]) for e in entries)
    began = min(float(e["start_time"]) for e in entries)
    last = max(float(e["last_request_timestamp"]) for e in entries)
    return LocustRun(requests / (last - began), requests, failures)


@dataclass(frozen=True)
class ModeResult:
    workers: int
    ratio: float
    plain_rps: float
    recorded_rps: float
    matched: bool  # every recorded run's log held exactly what locust counted


def mode_name(workers: int) -> str:
    return "one process" if workers == 0 else f"{workers} local worker(s)"


def bench_recording(
    *, rounds: int, users: int, duration_s: int, modes: Sequence[int], cores: Cores
) -> bool:
    print(
        f"## recording cost: locust -u {users} -t {duration_s}s, {rounds} alternating rounds per "
        f"mode, GET / of the bare Starlette app; {cores.describe()}"
    )
    results: list[ModeResult] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-recording-") as tmp,
        Supervisor(log_dir=Path(tmp) / "logs") as sup,
    ):
        work = Path(tmp)
        url = start_baseline(sup, cpu=cores.server)
        for workers in modes:
            print(f"### {mode_name(workers)}")
            results.append(
                _recording_mode(
                    url,
                    work,
                    workers=workers,
                    rounds=rounds,
                    users=users,
                    duration_s=duration_s,
                    cpu=cores.load,
                )
            )
    print("\n| load mode | plain req/s | recorded req/s | median ratio | recorded = counted |")
    print("| --- | ---: | ---: | ---: | --- |")
    for r in results:
        print(
            f"| {mode_name(r.workers)} | {r.plain_rps:.1f} | {r.recorded_rps:.1f} | "
            f"{r.ratio:.3f} | {'yes, every run' if r.matched else '**no**'} |"
        )
    met = all(r.ratio >= RECORDING_TARGET and r.matched for r in results)
    print(
        f"\ntarget: at most {1 - RECORDING_TARGET:.0%} fewer requests/s with recording in each "
        f"mode, and every request locust counted in the log: {verdict(met)}\n"
    )
    return met


def _recording_mode(
    url: str, work: Path, *, workers: int, rounds: int, users: int, duration_s: int, cpu: int | None
) -> ModeResult:
    plain_rps: list[float] = []
    recorded_rps: list[float] = []
    matched = True
    for index in range(1, rounds + 1):
        out_dir = work / f"load-{workers}-{index}"
        # As harness/load/runner.py passes it: the config as JSON in locust's own options; the
        # clock (t0) starts with the users.
        config = LoadConfig(out_dir=out_dir, visit_date=clock.today().isoformat())
        runs: dict[str, tuple[Path, list[str]]] = {
            "plain": (PLAIN_LOCUSTFILE, []),
            "recorded": (RECORDED_LOCUSTFILE, [CONFIG_OPTION, config.model_dump_json()]),
        }
        order = ["plain", "recorded"] if index % 2 else ["recorded", "plain"]
        figures: dict[str, LocustRun] = {}
        load = load_average()
        for name in order:
            locustfile, extra = runs[name]
            figures[name] = locust_rps(
                locustfile,
                host=url,
                users=users,
                duration_s=duration_s,
                cpu=cpu,
                work=work,
                extra=extra,
                workers=workers,
            )
        logged = read_request_log(sorted(out_dir.glob("requests-*.jsonl"))).requests
        plain, recorded = figures["plain"], figures["recorded"]
        matched &= logged == recorded.requests
        plain_rps.append(plain.requests_per_s)
        recorded_rps.append(recorded.requests_per_s)
        print(
            f"round {index} ({' then '.join(order)}): plain {plain.requests_per_s:7.1f} req/s "
            f"({plain.failures} failures)  recorded {recorded.requests_per_s:7.1f} req/s "
            f"({recorded.failures} failures, {recorded.requests} counted by locust, "
            f"{logged} in the request log)  ratio "
            f"{recorded.requests_per_s / plain.requests_per_s:.3f}  load average {load}"
        )
    ratio = median([r / p for r, p in zip(recorded_rps, plain_rps, strict=True)])
    return ModeResult(workers, ratio, median(plain_rps), median(recorded_rps), matched)


# --- 4. cold start --------------------------------------------------------------------------------


def free_topology(db_dir: Path) -> Topology:
    """Free ports for everything, chosen in one batch, as a scenario run does (engine.py)."""
    services = tuple(ServiceName)
    ports = free_ports(1 + 2 * len(services))
    return Topology(
        toxiproxy_port=ports[0],
        services=tuple(
            ServicePorts(service=s, mock_port=ports[1 + 2 * i], proxy_port=ports[2 + 2 * i])
            for i, s in enumerate(services)
        ),
        db_dir=db_dir,
    )


def start_sequential(
    sup: Supervisor, topology: Topology, *, provision: Provision
) -> ToxiproxyClient:
    """The reference: toxiproxy, then each mock started and waited for before the next."""
    if topology.db_dir is not None:
        topology.db_dir.mkdir(parents=True, exist_ok=True)
    toxiproxy = start_or_connect(sup, port=topology.toxiproxy_port, provision=provision)
    for ports in topology.services:
        sup.start(mock_spec(ports, seed=topology.seed, db_dir=topology.db_dir))
    for ports in topology.services:
        toxiproxy.create_proxy(
            str(ports.service),
            listen=f"{LOOPBACK_HOST}:{ports.proxy_port}",
            upstream=f"{LOOPBACK_HOST}:{ports.mock_port}",
        )
    return toxiproxy


@contextlib.contextmanager
def timed_stack(work: Path, name: str, *, sequential: bool) -> Iterator[float]:
    provision = require()
    state = paths.state_dir() / f"bench-cold-start-{os.getpid()}.pids.json"
    with Supervisor(log_dir=work / name / "logs", state_file=state) as sup:
        topology = free_topology(work / name / "db")
        began = time.perf_counter()
        if not sequential:  # what a run, `harness up` and the plugin start
            with running_stack(sup, topology, provision=provision):
                yield time.perf_counter() - began
            return
        toxiproxy = start_sequential(sup, topology, provision=provision)
        elapsed = time.perf_counter() - began
        try:
            yield elapsed
        finally:
            toxiproxy.close()


def bench_cold_start(*, rounds: int, reference: bool) -> bool:
    what = "running_stack" + (" vs the sequential reference, alternating" if reference else "")
    print(f"## stack cold start: {what}, {rounds} rounds, toxiproxy + 3 mocks + 3 proxies")
    current: list[float] = []
    sequential: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        for index in range(1, rounds + 1):
            kinds = [False, True] if reference else [False]
            if index % 2 == 0:
                kinds.reverse()
            line = [f"round {index}:"]
            load = load_average()
            for seq in kinds:
                with timed_stack(Path(tmp), f"r{index}-{int(seq)}", sequential=seq) as elapsed:
                    (sequential if seq else current).append(elapsed)
                line.append(f"{'sequential' if seq else 'running_stack'} {elapsed:.2f} s")
            print("  ".join([*line, f"load average {load}"]))
    met = median(current) <= COLD_START_TARGET_S
    print(f"\nrunning_stack: median {median(current):.2f} s, max {max(current):.2f} s")
    if sequential:
        print(
            f"sequential reference: median {median(sequential):.2f} s, max {max(sequential):.2f} s"
            f"; running_stack / sequential (median) {median(current) / median(sequential):.2f}"
        )
    print(f"target <= {COLD_START_TARGET_S:g} s (median): {verdict(met)}\n")
    return met


# --- main -----------------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def user_levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give user counts like 8,24") from None
    if not levels or min(levels) < 2:
        raise argparse.ArgumentTypeError(f"{text!r}: every user count must be at least 2")
    return levels


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--timing", action="store_true", help="fault timing only (with others)")
    parser.add_argument("--chain", action="store_true", help="chain throughput")
    parser.add_argument("--recording", action="store_true", help="cost of request recording")
    parser.add_argument("--cold-start", action="store_true", help="stack cold start")
    parser.add_argument("--timing-runs", type=int, default=2, help="flapping-link runs (2)")
    parser.add_argument(
        "--chain-users", type=user_levels, default=[8, 24], help="user counts (8,24)"
    )
    parser.add_argument("--recording-rounds", type=int, default=5, help="rounds (5)")
    parser.add_argument("--recording-users", type=int, default=10, help="locust users (10)")
    parser.add_argument("--recording-duration", type=int, default=10, help="seconds per run (10)")
    parser.add_argument(
        "--recording-workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[0, 1, 2],
        help="load modes: local workers per mode, comma-separated (0,1,2; 0 is one process)",
    )
    parser.add_argument("--cold-rounds", type=int, default=5, help="cold start rounds (5)")
    parser.add_argument(
        "--no-reference", action="store_true", help="cold start: skip the sequential reference"
    )
    parser.add_argument(
        "--keep-reports", type=Path, help="keep the runs' report directories here (default: temp)"
    )
    args = parser.parse_args(argv)
    for name in ("timing_runs", "recording_rounds", "recording_users", "recording_duration"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.cold_rounds < 1:
        parser.error("--cold-rounds must be at least 1")
    if not (args.timing or args.chain or args.recording or args.cold_start):
        args.timing = args.chain = args.recording = args.cold_start = True
    return args


def run(args: argparse.Namespace) -> bool:
    print(f"scenario engine benchmarks; {os.cpu_count()} CPUs; load average {load_average()}\n")
    met = True
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        report_dir: Path = args.keep_reports or Path(tmp)
        if args.timing:
            met &= bench_timing(runs=args.timing_runs, report_dir=report_dir)
        if args.chain:
            met &= bench_chain(user_levels=args.chain_users, report_dir=report_dir)
        if args.recording:
            met &= bench_recording(
                rounds=args.recording_rounds,
                users=args.recording_users,
                duration_s=args.recording_duration,
                modes=args.recording_workers,
                cores=plan_cores(),
            )
        if args.cold_start:
            met &= bench_cold_start(rounds=args.cold_rounds, reference=not args.no_reference)
    print(f"load average at the end {load_average()}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        met = run(args)
    except (BenchmarkError, TimeoutError, subprocess.TimeoutExpired) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return EXIT_INFRASTRUCTURE
    return 0 if met else EXIT_TARGET_MISSED


if __name__ == "__main__":
    sys.exit(main())
