"""Requests/s of the BPJS mock against a bare Starlette app, same server settings, same run.

    .venv/bin/python benchmarks/bpjs_throughput.py [--rounds 5] [--duration 5] [--connections 32]

Starts the bare Starlette "hello" baseline (benchmarks/_common.py) and the BPJS mock
(`python -m mock_services bpjs`) as real processes pinned to one CPU, and drives them with `wrk`
pinned to another. Each round measures, in a rotating order so drift hits all alike:

- baseline: GET / on the hello app;
- peserta:  GET /vclaim-rest/Peserta/nokartu/{card}/tglSEP/{date}, signed, answered encrypted
            (AES per request; the LZ-string form comes from the cache after the first request);
- poli:     GET /antreanrs/ref/poli, signed, answered encrypted.

The signed headers are computed once per round (a fixed X-timestamp, well inside the mock's 300 s
skew window for a short run) and sent by a wrk Lua script; one request with the same headers is
checked first to be a real code-200 answer. Reports each target's requests/s and its ratio to the
baseline of the same round, and the median over rounds. Targets: peserta >= 0.5, poli >= 0.6 of
the baseline; exit code 1 if missed, 3 if wrk is missing or a run fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    EXIT_TARGET_MISSED,
    BenchmarkError,
    Cores,
    WrkResult,
    headers_script,
    median,
    plan_cores,
    require_wrk,
    run_wrk,
    start_baseline,
    start_mock,
    throughput_main,
)

from harness.process import Supervisor
from mock_services.common.dataset import generate
from service_contract import credentials

CONS_ID, SECRET, USER_KEY = (
    credentials.BPJS_CONS_ID,
    credentials.BPJS_SECRET,
    credentials.BPJS_USER_KEY,
)
TARGETS = {"peserta": 0.5, "poli": 0.6}


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    signed: bool


def signed_headers() -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"{CONS_ID}&{timestamp}".encode(), hashlib.sha256)
    return {
        "X-cons-id": CONS_ID,
        "X-timestamp": timestamp,
        "X-signature": base64.b64encode(digest.digest()).decode(),
        "user_key": USER_KEY,
    }


def _precheck(target: Target, headers: dict[str, str]) -> None:
    """The measured request must be a real success, not a fast error envelope."""
    response = httpx.get(target.url, headers=headers, timeout=10)
    body = response.json() if target.signed else None
    if target.signed:
        envelope = body if isinstance(body, dict) else {}
        meta = envelope.get("metaData") or envelope.get("metadata")
        ok = isinstance(meta, dict) and str(meta.get("code")) == "200"
        if not ok or not isinstance(envelope.get("response"), str):
            raise BenchmarkError(f"{target.name}: not an encrypted success: {response.text[:200]}")
    elif response.status_code != 200:
        raise BenchmarkError(f"{target.name}: HTTP {response.status_code}")


def _measure(
    target: Target, *, duration: float, connections: int, cores: Cores, workdir: Path
) -> WrkResult:
    script = None
    if target.signed:
        headers = signed_headers()
        _precheck(target, headers)
        script = headers_script(headers, workdir, target.name)
    else:
        _precheck(target, {})
    result = run_wrk(
        target.url, duration_s=duration, connections=connections, cpu=cores.load, script=script
    )
    if result.non_2xx or result.socket_errors:
        raise BenchmarkError(
            f"{target.name}: {result.non_2xx} non-2xx responses and {result.socket_errors} "
            "socket errors during the run; the figures would not be comparable"
        )
    return result


def run(*, rounds: int, duration: float, connections: int) -> int:
    require_wrk()
    cores = plan_cores()
    patient = next(p for p in generate(1).patients if p.aktif)
    with (
        tempfile.TemporaryDirectory(prefix="bench-bpjs-") as tmp,
        Supervisor(log_dir=Path(tmp) / "logs") as supervisor,
    ):
        workdir = Path(tmp)
        baseline_url = start_baseline(supervisor, cpu=cores.server)
        mock_url, _ = start_mock(supervisor, "bpjs", cpu=cores.server)
        targets = [
            Target("baseline", f"{baseline_url}/", signed=False),
            Target(
                "peserta",
                f"{mock_url}/vclaim-rest/Peserta/nokartu/{patient.noKartu}/tglSEP/2025-10-27",
                signed=True,
            ),
            Target("poli", f"{mock_url}/antreanrs/ref/poli", signed=True),
        ]
        print(f"wrk -t1 -c{connections} -d{duration:g}s, {rounds} rounds; {cores.describe()}")
        for target in targets:  # warm-up: caches filled, connections and pages touched
            _measure(target, duration=1, connections=connections, cores=cores, workdir=workdir)
        rps: dict[str, list[float]] = {t.name: [] for t in targets}
        ratios: dict[str, list[float]] = {name: [] for name in TARGETS}
        for index in range(rounds):
            order = targets[index % len(targets) :] + targets[: index % len(targets)]
            results = {
                t.name: _measure(
                    t, duration=duration, connections=connections, cores=cores, workdir=workdir
                )
                for t in order
            }
            base = results["baseline"].requests_per_s
            line = [f"round {index + 1}: baseline {base:8.0f} req/s"]
            for name in TARGETS:
                ratio = results[name].requests_per_s / base
                ratios[name].append(ratio)
                line.append(f"{name} {results[name].requests_per_s:8.0f} ({ratio:.2f}x)")
            for name, result in results.items():
                rps[name].append(result.requests_per_s)
            print("  ".join(line), flush=True)
    print()
    print("| target | median req/s | median ratio to baseline | target ratio | met |")
    print("|---|---|---|---|---|")
    print(f"| baseline (Starlette hello) | {median(rps['baseline']):.0f} | 1.00 | - | - |")
    missed = []
    for name, goal in TARGETS.items():
        value = median(ratios[name])
        met = value >= goal
        if not met:
            missed.append(f"{name} {value:.2f} < {goal}")
        label = {"peserta": "encrypted Peserta lookup", "poli": "Antrean ref/poli"}[name]
        print(
            f"| {label} | {median(rps[name]):.0f} | {value:.2f} | >= {goal} | "
            f"{'yes' if met else 'NO'} |"
        )
    if missed:
        print(f"target missed: {', '.join(missed)}")
        return EXIT_TARGET_MISSED
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return throughput_main(argv, name="bpjs_throughput", doc=__doc__, run=run)


if __name__ == "__main__":
    sys.exit(main())
