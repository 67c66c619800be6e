"""What the throughput benchmarks share: a baseline app, CPU pinning and the `wrk` runner.

- The baseline is a bare Starlette "hello" app served exactly as the mocks are (the same
  `mock_services.common.serve.serve`: uvicorn, httptools, uvloop, access log off, one worker), as a
  real process: `python benchmarks/_common.py baseline --port N`. Ratios against it, measured in the
  same run with the same load tool, say what a mock costs on top of the framework and server.
- `wrk` (C, epoll) is the load generator, so the load tool is not the bottleneck. Server and load
  generator are pinned to different cores with `taskset` so they do not fight for one.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: make `harness` and `mock_services` importable
    sys.path.insert(0, str(REPO))

from harness.net import LOOPBACK_HOST, free_port  # noqa: E402
from harness.process import ManagedProcess, ProcessSpec, Supervisor, http_ready  # noqa: E402

EXIT_TARGET_MISSED = 1
EXIT_INFRASTRUCTURE = 3


class BenchmarkError(Exception):
    """A missing tool or a failed run: reported as one line with exit code 3."""


# --- the baseline app -----------------------------------------------------------------------------


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


def baseline_app() -> Starlette:
    return Starlette(routes=[Route("/", _hello)])


# --- processes, pinned ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cores:
    """Which CPU the server and the load generator run on (None: not pinned)."""

    server: int | None
    load: int | None

    def describe(self) -> str:
        if self.server is None:
            return "not pinned (one CPU, or no taskset)"
        return f"server on CPU {self.server}, load generator on CPU {self.load}"


def plan_cores() -> Cores:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or shutil.which("taskset") is None:
        return Cores(server=None, load=None)
    return Cores(server=cpus[0], load=cpus[1])


def pinned(argv: Sequence[str], cpu: int | None) -> list[str]:
    return ["taskset", "-c", str(cpu), *argv] if cpu is not None else list(argv)


def start_baseline(supervisor: Supervisor, *, cpu: int | None) -> str:
    port = free_port()
    argv = [sys.executable, str(Path(__file__).resolve()), "baseline", "--port", str(port)]
    url = f"http://{LOOPBACK_HOST}:{port}"
    supervisor.start(
        ProcessSpec(name=f"baseline-{port}", argv=pinned(argv, cpu), ready=http_ready(f"{url}/"))
    )
    return url


def start_mock(
    supervisor: Supervisor, service: str, *, cpu: int | None, extra: Sequence[str] = ()
) -> tuple[str, ManagedProcess]:
    port = free_port()
    argv = [sys.executable, "-m", "mock_services", service, "--port", str(port), *extra]
    url = f"http://{LOOPBACK_HOST}:{port}"
    proc = supervisor.start(
        ProcessSpec(
            name=f"{service}-{port}",
            argv=pinned(argv, cpu),
            cwd=REPO,
            ready=http_ready(f"{url}/__admin/health"),
        )
    )
    return url, proc


# --- wrk ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    requests: int
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchmarkError(
            "wrk (the C HTTP load generator) is not installed: install it with "
            "`apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk`, then run again"
        )
    return path


def headers_script(headers: Mapping[str, str], directory: Path, name: str) -> Path:
    """A wrk Lua script that sends these headers with every request."""
    lines = [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    path = directory / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


_DURATION = re.compile(r"([\d.]+)(us|ms|s|m)\b")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = _DURATION.search(text)
    return float(match.group(1)) * _UNIT_MS[match.group(2)] if match else float("nan")


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if rps is None or total is None:
        raise BenchmarkError(f"could not read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
        p50_ms=_ms(p50.group(1)) if p50 else float("nan"),
        p99_ms=_ms(p99.group(1)) if p99 else float("nan"),
    )


def run_wrk(
    url: str,
    *,
    duration_s: float,
    connections: int,
    cpu: int | None,
    threads: int = 1,
    script: Path | None = None,
) -> WrkResult:
    """One closed-loop wrk run against `url` (loopback only), pinned to `cpu`."""
    argv = [require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{duration_s:g}s", "--latency"]
    if script is not None:
        argv += ["-s", str(script)]
    argv.append(url)
    done = subprocess.run(
        pinned(argv, cpu), capture_output=True, text=True, timeout=duration_s + 30, check=False
    )
    if done.returncode != 0:
        raise BenchmarkError(f"wrk failed (exit {done.returncode}): {done.stderr.strip()}")
    return parse_wrk(done.stdout)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# --- `python benchmarks/_common.py baseline --port N` ---------------------------------------------


def throughput_main(
    argv: Sequence[str] | None,
    *,
    name: str,
    doc: str | None,
    run: Callable[..., int],
    extra_connections: Sequence[tuple[str, int]] = (),
) -> int:
    """The command line every wrk throughput benchmark shares: rounds, duration, connections
    (plus named extra connection counts), a one-line error and exit 3 on infrastructure trouble."""
    parser = argparse.ArgumentParser(prog=name, description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    for flag, default in extra_connections:
        parser.add_argument(f"--{flag}", type=int, default=default)
    options = vars(parser.parse_args(argv))
    counts = [v for k, v in options.items() if k != "duration"]
    if min(counts) < 1 or options["duration"] <= 0:
        parser.error("--rounds, --duration and the connection counts must be positive")
    try:
        return run(**options)
    except BenchmarkError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return EXIT_INFRASTRUCTURE


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="serve the bare Starlette baseline app")
    sub = parser.add_subparsers(dest="command", required=True)
    base = sub.add_parser("baseline")
    base.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    from mock_services.common.serve import serve

    serve(
        baseline_app(), host=LOOPBACK_HOST, port=args.port, allow_remote=False, log_level="warning"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
