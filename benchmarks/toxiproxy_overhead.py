"""What toxiproxy costs with no toxic: mock endpoints direct vs through the proxy, same run.

    .venv/bin/python benchmarks/toxiproxy_overhead.py [--requests 2000] [--rounds 5]

Starts the BPJS mock (`python -m mock_services bpjs`) and the real toxiproxy server on free
loopback ports, puts one proxy in front of the mock, and drives three endpoints with the same load
tool for both targets: keep-alive HTTP/1.1 connections from stdlib http.client, closed loop, at
concurrency 1 (latency) and 4 (throughput). Rounds alternate direct and proxied so that drift on a
shared machine hits both alike. The endpoints, from least to most work in the mock:

- GET /__admin/health: next to no work;
- GET /antreanrs/ref/poli: signed like a real client (the mock's development credentials),
  answered encrypted;
- GET /vclaim-rest/Peserta/nokartu/{card}/tglSEP/{today}: signed, a participant of the seeded
  dataset looked up and encrypted with a key derived from the request's timestamp.

Prints p50/p99 latency and requests/s per target and the proxied/direct ratios. Target: proxied
p50 <= 1.3x direct at concurrency 1, judged on every endpoint; exit code 1 if any missed it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.net import LOOPBACK_HOST, free_port
from harness.process import ProcessSpec, Supervisor, http_ready
from harness.toxiproxy.install import require
from harness.toxiproxy.server import start_server
from mock_services.common import clock
from service_contract import credentials

TARGET_P50_RATIO = 1.3
SEED = 1
HEALTH_PATH = "/__admin/health"
CONS_ID, SECRET, USER_KEY = (
    credentials.BPJS_CONS_ID,
    credentials.BPJS_SECRET,
    credentials.BPJS_USER_KEY,
)


@dataclass(frozen=True)
class Endpoint:
    path: str
    signed: bool

    def ok(self, status: int, body: bytes) -> bool:
        # BPJS answers its own errors with HTTP 200 and a code in the envelope: check both.
        if status != 200:
            return False
        return not self.signed or b'"code":200' in body or b'"code":"200"' in body


@dataclass(frozen=True)
class Sample:
    latencies: list[float]  # seconds, every request of every round
    elapsed: float  # wall seconds summed over rounds

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98] * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed


def signed_headers() -> dict[str, str]:
    """The four BPJS headers, as a real VClaim / Antrean RS client computes them."""
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"{CONS_ID}&{timestamp}".encode(), hashlib.sha256)
    return {
        "X-cons-id": CONS_ID,
        "X-timestamp": timestamp,
        "X-signature": base64.b64encode(digest.digest()).decode(),
        "user_key": USER_KEY,
    }


def a_card_number() -> str:
    """A BPJS card number of the seeded dataset, from the mocks' own dataset command."""
    done = subprocess.run(
        [sys.executable, "-m", "mock_services", "dataset", "--seed", str(SEED)],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return str(json.loads(done.stdout)["patients"][0]["noKartu"])


def drive(
    port: int, endpoint: Endpoint, *, requests: int, concurrency: int
) -> tuple[list[float], float]:
    """`requests` GETs over `concurrency` keep-alive connections; (latencies, wall seconds)."""
    per_worker = requests // concurrency
    results: list[list[float]] = [[] for _ in range(concurrency)]
    failures: list[BaseException] = []
    headers = signed_headers() if endpoint.signed else {}

    def worker(out: list[float]) -> None:
        conn = http.client.HTTPConnection(LOOPBACK_HOST, port, timeout=10)
        try:
            for _ in range(per_worker):
                started = time.perf_counter()
                conn.request("GET", endpoint.path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                out.append(time.perf_counter() - started)
                if not endpoint.ok(response.status, body):
                    raise RuntimeError(f"GET {endpoint.path} failed: {body[:200]!r}")
        except BaseException as exc:
            failures.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(out,)) for out in results]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise failures[0]
    return [latency for out in results for latency in out], elapsed


def measure(
    targets: dict[str, int], endpoint: Endpoint, *, requests: int, rounds: int, concurrency: int
) -> dict[str, Sample]:
    for port in targets.values():  # warm-up: connections, the mock's caches
        drive(port, endpoint, requests=min(500, requests), concurrency=concurrency)
    latencies: dict[str, list[float]] = {name: [] for name in targets}
    elapsed = dict.fromkeys(targets, 0.0)
    for round_no in range(rounds):
        order = list(targets) if round_no % 2 == 0 else list(reversed(targets))
        for name in order:
            got, took = drive(targets[name], endpoint, requests=requests, concurrency=concurrency)
            latencies[name] += got
            elapsed[name] += took
    return {name: Sample(latencies[name], elapsed[name]) for name in targets}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per target")
    args = parser.parse_args()

    binary = require().server
    if binary is None:
        print("unset TOXIPROXY_URL: this benchmark starts its own toxiproxy server")
        return 2
    today = clock.today().isoformat()
    endpoints = (
        Endpoint(HEALTH_PATH, signed=False),
        Endpoint("/antreanrs/ref/poli", signed=True),
        Endpoint(f"/vclaim-rest/Peserta/nokartu/{a_card_number()}/tglSEP/{today}", signed=True),
    )
    mock_port, api_port, proxy_port = free_port(), free_port(), free_port()
    results: dict[tuple[Endpoint, int], dict[str, Sample]] = {}
    with tempfile.TemporaryDirectory() as tmp, Supervisor(log_dir=Path(tmp)) as supervisor:
        argv = [sys.executable, "-m", "mock_services", "bpjs", "--port", str(mock_port)]
        supervisor.start(
            ProcessSpec(
                name="bpjs",
                argv=[*argv, "--seed", str(SEED)],
                ready=http_ready(f"http://{LOOPBACK_HOST}:{mock_port}{HEALTH_PATH}"),
            )
        )
        with start_server(supervisor, binary=binary, port=api_port) as toxiproxy:
            toxiproxy.create_proxy(
                "bpjs",
                listen=f"{LOOPBACK_HOST}:{proxy_port}",
                upstream=f"{LOOPBACK_HOST}:{mock_port}",
            )
            version = toxiproxy.version()
            targets = {"direct": mock_port, "toxiproxy": proxy_port}
            for endpoint in endpoints:
                for concurrency in (1, 4):
                    results[endpoint, concurrency] = measure(
                        targets,
                        endpoint,
                        requests=args.requests,
                        rounds=args.rounds,
                        concurrency=concurrency,
                    )

    print(f"toxiproxy {version} (no toxic) in front of the BPJS mock; load: keep-alive http.client")
    print(f"{args.rounds} alternating rounds x {args.requests} requests per target and concurrency")
    print()
    print("| endpoint | concurrency | target | p50 ms | p99 ms | requests/s |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    for (endpoint, concurrency), samples in results.items():
        for name, sample in samples.items():
            print(
                f"| GET {endpoint.path} | {concurrency} | {name} | {sample.p50_ms:.3f} "
                f"| {sample.p99_ms:.3f} | {sample.rps:.0f} |"
            )
    print()
    missed = []
    for (endpoint, concurrency), samples in results.items():
        direct, proxied = samples["direct"], samples["toxiproxy"]
        p50, p99 = proxied.p50_ms / direct.p50_ms, proxied.p99_ms / direct.p99_ms
        judged = ""
        if concurrency == 1:
            judged = "  target met" if p50 <= TARGET_P50_RATIO else "  target MISSED"
            if p50 > TARGET_P50_RATIO:
                missed.append(endpoint.path)
        print(
            f"GET {endpoint.path}, concurrency {concurrency}: proxied/direct p50 {p50:.2f}x, "
            f"p99 {p99:.2f}x, requests/s {proxied.rps / direct.rps:.2f}x, "
            f"p50 added {proxied.p50_ms - direct.p50_ms:+.3f} ms{judged}"
        )
    print(
        f"target proxied p50 <= {TARGET_P50_RATIO}x direct at concurrency 1: "
        + (f"MISSED on {', '.join(missed)}" if missed else "met on every endpoint")
    )
    return 1 if missed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessError as exc:
        print(f"toxiproxy_overhead: error: {exc}", file=sys.stderr)
        sys.exit(int(exc.exit_code))
