"""Requests/s of the patient-app schedule GET against a bare Starlette app, same run.

    .venv/bin/python benchmarks/patient_app_throughput.py [--rounds 5] [--duration 5]
                                                          [--connections 32]

Starts the bare Starlette "hello" baseline (benchmarks/_common.py) and the patient-app mock
(`python -m mock_services patient-app --db <tmp file>`) as real processes pinned to one CPU, and
drives them with `wrk` pinned to another. Each round measures, in a rotating order so drift hits
both alike:

- baseline: GET / on the hello app;
- schedule: GET /api/v1/schedules?kodepoli=..&tanggal=.. with a bearer token (a wrk Lua script
            sets the header): token checked, query validated, the day's quota taken from the
            bookings in SQLite (the encoded answer is cached until a booking changes), served
            through the full app stack with the fault middleware. Five bookings exist for that
            day, and the precheck confirms they show.

The measured request is checked first to be a real success. Reports each round's requests/s and
ratio to the baseline of the same round, and the medians. Target: schedule >= 0.6 of the baseline
(exit code 1 if missed). Exit code 3 if wrk is missing or a run fails.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from collections.abc import Sequence
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

API = "/api/v1"
TARGET_SCHEDULE = 0.6
WIB = dt.timezone(dt.timedelta(hours=7))


def _login(mock_url: str, index: int) -> str:
    patient = generate(1).patients[index]
    response = httpx.post(
        f"{mock_url}{API}/auth/login",
        json={"username": patient.username, "password": patient.password},
        timeout=10,
    )
    if response.status_code != 200:
        raise BenchmarkError(f"no token from the patient-app mock: {response.text[:200]}")
    token: str = response.json()["data"]["accessToken"]
    return token


def _prepare(mock_url: str) -> tuple[str, str]:
    """(schedule URL, token): a practice day a week ahead, with a few bookings on it."""
    schedule = generate(1).schedules[0]
    today = dt.datetime.now(WIB).date()
    day = next(
        today + dt.timedelta(days=k)
        for k in range(1, 8)
        if (today + dt.timedelta(days=k)).isoweekday() == schedule.hari
    )
    body = {
        "kodepoli": schedule.kodepoli,
        "kodedokter": schedule.kodedokter,
        "tanggalperiksa": day.isoformat(),
    }
    for index in range(1, 6):
        booked = httpx.post(
            f"{mock_url}{API}/bookings",
            json=body,
            headers={"Authorization": f"Bearer {_login(mock_url, index)}"},
            timeout=10,
        )
        if booked.status_code != 201:
            raise BenchmarkError(f"could not book for the benchmark: {booked.text[:200]}")
    url = f"{mock_url}{API}/schedules?kodepoli={schedule.kodepoli}&tanggal={day.isoformat()}"
    token = _login(mock_url, 0)
    check = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    if check.status_code != 200 or not any(s["terisi"] == 5 for s in check.json()["data"]):
        raise BenchmarkError(
            f"the schedule request to measure does not succeed: {check.text[:200]}"
        )
    return url, token


def _measure(
    url: str, *, script: Path | None, duration: float, connections: int, cores: Cores
) -> WrkResult:
    result = run_wrk(
        url, duration_s=duration, connections=connections, cpu=cores.load, script=script
    )
    if result.non_2xx or result.socket_errors:
        raise BenchmarkError(
            f"{url}: {result.non_2xx} non-2xx responses and {result.socket_errors} socket errors "
            "during the run; the figures would not be comparable"
        )
    return result


def run(*, rounds: int, duration: float, connections: int) -> int:
    require_wrk()
    cores = plan_cores()
    with tempfile.TemporaryDirectory(prefix="bench-patient-app-") as tmp:
        workdir = Path(tmp)
        with Supervisor(log_dir=workdir / "logs") as supervisor:
            baseline_url = f"{start_baseline(supervisor, cpu=cores.server)}/"
            db = workdir / "patient-app.sqlite3"
            # A long token lifetime: the token must outlive the whole benchmark.
            extra = ["--db", str(db), "--token-ttl", "86400"]
            mock_url, _ = start_mock(supervisor, "patient-app", cpu=cores.server, extra=extra)
            schedule_url, token = _prepare(mock_url)
            script = headers_script({"Authorization": f"Bearer {token}"}, workdir, "schedule")
            targets: list[tuple[str, str, Path | None]] = [
                ("baseline", baseline_url, None),
                ("schedule", schedule_url, script),
            ]
            print(f"wrk -t1 -c{connections} -d{duration:g}s, {rounds} rounds; {cores.describe()}")
            for _, url, lua in targets:  # warm-up
                _measure(url, script=lua, duration=1, connections=connections, cores=cores)
            rps: dict[str, list[float]] = {"baseline": [], "schedule": []}
            ratios: list[float] = []
            for index in range(rounds):
                order = targets[index % 2 :] + targets[: index % 2]
                results = {
                    name: _measure(
                        url, script=lua, duration=duration, connections=connections, cores=cores
                    )
                    for name, url, lua in order
                }
                base = results["baseline"].requests_per_s
                ratio = results["schedule"].requests_per_s / base
                ratios.append(ratio)
                for name, result in results.items():
                    rps[name].append(result.requests_per_s)
                print(
                    f"round {index + 1}: baseline {base:8.0f} req/s  schedule "
                    f"{results['schedule'].requests_per_s:8.0f} ({ratio:.2f}x)  schedule p50 "
                    f"{results['schedule'].p50_ms:.2f} ms p99 {results['schedule'].p99_ms:.2f} ms",
                    flush=True,
                )
    ratio = median(ratios)
    met = ratio >= TARGET_SCHEDULE
    print()
    print("| target | median req/s | median ratio to baseline | target ratio | met |")
    print("|---|---|---|---|---|")
    print(f"| baseline (Starlette hello) | {median(rps['baseline']):.0f} | 1.00 | - | - |")
    print(
        f"| schedule GET (bearer token, quota from bookings) | {median(rps['schedule']):.0f} | "
        f"{ratio:.2f} | >= {TARGET_SCHEDULE} | {'yes' if met else 'NO'} |"
    )
    if not met:
        print(f"target missed: schedule {ratio:.2f} < {TARGET_SCHEDULE}")
        return EXIT_TARGET_MISSED
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return throughput_main(argv, name="patient_app_throughput", doc=__doc__, run=run)


if __name__ == "__main__":
    sys.exit(main())
