"""Requests/s of the ERM mock against a bare Starlette app, same server settings, same run.

    .venv/bin/python benchmarks/erm_throughput.py [--rounds 5] [--duration 5] [--connections 32]
        [--register-connections 4]

Starts the bare Starlette "hello" baseline (benchmarks/_common.py) and the ERM mock
(`python -m mock_services erm --db <tmp file>`, SQLite in WAL mode with synchronous=FULL) as real
processes pinned to one CPU, and drives them with `wrk` pinned to another. Each round measures, in
a rotating order so drift hits all alike:

- baseline: GET / on the hello app;
- patient:  GET /fhir-r4/v1/Patient?identifier=https://fhir.kemkes.go.id/id/nik|{NIK} with a
            bearer token (token check, Bundle searchset built and encoded per request);
- register: POST /api/v1/visits, every request a new registration (a wrk Lua script varies the NIK
            and sends a unique Idempotency-Key), each one committed to SQLite before its 201.
            Fewer connections (default 4, a few front desks): every commit waits for fsync, and
            32 queued writers push some requests past wrk's 2 s timeout on a slow disk.

One request of each kind is checked first to be a real success. Reports each target's requests/s
and its ratio to the baseline of the same round, and the median over rounds; afterwards the
ledger's visit count is compared with the registrations wrk counted (it can only be larger: wrk
does not count requests still in flight when it stops). Target: patient search >= 0.4 of the
baseline (exit code 1 if missed); the registration figure is reported, not judged. Exit code 3 if
wrk is missing or a run fails.
"""

from __future__ import annotations

import json
import sys
import tempfile
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

CLIENT_ID, CLIENT_SECRET = credentials.ERM_CLIENT_ID, credentials.ERM_CLIENT_SECRET
NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"
VISITS = "/api/v1/visits"
TARGET_PATIENT = 0.4

REGISTER_LUA = """\
local niks = {%(niks)s}
local counter = 0
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "%(prefix)s-" .. counter
  local body = '{"nik":"' .. niks[(counter %% #niks) + 1] ..
    '","tanggal":"2025-10-27","kodepoli":"INT"}'
  return wrk.format("POST", "%(path)s", nil, body)
end
"""


@dataclass(frozen=True)
class Target:
    name: str
    url: str


def get_token(mock_url: str) -> str:
    response = httpx.post(
        f"{mock_url}/oauth2/v1/accesstoken",
        params={"grant_type": "client_credentials"},
        data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=10,
    )
    if response.status_code != 200:
        raise BenchmarkError(f"no token from the ERM mock: {response.text[:200]}")
    token: str = response.json()["access_token"]
    return token


def _precheck(target: Target, token: str, nik: str) -> None:
    """The measured request must be a real success, not a fast OperationOutcome."""
    auth = {"Authorization": f"Bearer {token}"}
    if target.name == "baseline":
        ok = httpx.get(target.url, timeout=10).status_code == 200
    elif target.name == "patient":
        response = httpx.get(target.url, headers=auth, timeout=10)
        ok = response.status_code == 200 and response.json().get("total") == 1
    else:
        body = {"nik": nik, "tanggal": "2025-10-27", "kodepoli": "INT"}
        response = httpx.post(target.url, headers=auth, json=body, timeout=10)
        ok = response.status_code == 201
    if not ok:
        raise BenchmarkError(f"{target.name}: the request to measure does not succeed")


def _script(target: Target, *, token: str, niks: list[str], workdir: Path, prefix: str) -> Path:
    if target.name == "patient":
        return headers_script({"Authorization": f"Bearer {token}"}, workdir, target.name)
    path = workdir / f"register-{prefix}.lua"
    path.write_text(
        REGISTER_LUA
        % {
            "niks": ", ".join(json.dumps(n) for n in niks),
            "token": token,
            "prefix": prefix,
            "path": VISITS,
        }
    )
    return path


def _measure(
    target: Target,
    *,
    duration: float,
    connections: int,
    cores: Cores,
    workdir: Path,
    token: str,
    niks: list[str],
    prefix: str,
) -> WrkResult:
    _precheck(target, token, niks[0])
    script = None
    if target.name != "baseline":
        script = _script(target, token=token, niks=niks, workdir=workdir, prefix=prefix)
    result = run_wrk(
        target.url, duration_s=duration, connections=connections, cpu=cores.load, script=script
    )
    if result.non_2xx or result.socket_errors:
        raise BenchmarkError(
            f"{target.name}: {result.non_2xx} non-2xx responses and {result.socket_errors} "
            "socket errors during the run; the figures would not be comparable"
        )
    return result


def run(*, rounds: int, duration: float, connections: int, register_connections: int) -> int:
    require_wrk()
    cores = plan_cores()
    patients = generate(1).patients
    niks = [p.nik for p in patients]
    with tempfile.TemporaryDirectory(prefix="bench-erm-") as tmp:
        workdir = Path(tmp)
        with Supervisor(log_dir=workdir / "logs") as supervisor:
            baseline_url = start_baseline(supervisor, cpu=cores.server)
            db = workdir / "erm.sqlite3"
            mock_url, _ = start_mock(supervisor, "erm", cpu=cores.server, extra=["--db", str(db)])
            token = get_token(mock_url)
            identifier = f"{NIK_SYSTEM}|{patients[0].nik}"
            targets = [
                Target("baseline", f"{baseline_url}/"),
                Target("patient", f"{mock_url}/fhir-r4/v1/Patient?identifier={identifier}"),
                Target("register", f"{mock_url}{VISITS}"),
            ]
            print(
                f"wrk -t1 -c{connections} (register: -c{register_connections}) -d{duration:g}s, "
                f"{rounds} rounds; {cores.describe()}"
            )

            def measure(target: Target, seconds: float, prefix: str) -> WrkResult:
                return _measure(
                    target,
                    duration=seconds,
                    connections=register_connections if target.name == "register" else connections,
                    cores=cores,
                    workdir=workdir,
                    token=token,
                    niks=niks,
                    prefix=prefix,
                )

            counted = 0  # registrations answered 2xx: wrk's count + the precheck, per run
            for target in targets:  # warm-up: caches filled, connections and pages touched
                warm = measure(target, 1, "warm")
                if target.name == "register":
                    counted += warm.requests + 1
            rps: dict[str, list[float]] = {t.name: [] for t in targets}
            ratios: dict[str, list[float]] = {"patient": [], "register": []}
            for index in range(rounds):
                order = targets[index % len(targets) :] + targets[: index % len(targets)]
                results = {t.name: measure(t, duration, f"r{index}") for t in order}
                counted += results["register"].requests + 1
                base = results["baseline"].requests_per_s
                line = [f"round {index + 1}: baseline {base:8.0f} req/s"]
                for name in ratios:
                    ratio = results[name].requests_per_s / base
                    ratios[name].append(ratio)
                    line.append(f"{name} {results[name].requests_per_s:8.0f} ({ratio:.2f}x)")
                for name, result in results.items():
                    rps[name].append(result.requests_per_s)
                print("  ".join(line), flush=True)
            ledger = httpx.get(f"{mock_url}/__admin/ledger", timeout=60).json()
    print()
    print("| target | median req/s | median ratio to baseline | target ratio | met |")
    print("|---|---|---|---|---|")
    print(f"| baseline (Starlette hello) | {median(rps['baseline']):.0f} | 1.00 | - | - |")
    patient_ratio = median(ratios["patient"])
    met = patient_ratio >= TARGET_PATIENT
    print(
        f"| FHIR Patient search by NIK | {median(rps['patient']):.0f} | {patient_ratio:.2f} | "
        f">= {TARGET_PATIENT} | {'yes' if met else 'NO'} |"
    )
    print(
        f"| visit registration POST, -c{register_connections} (SQLite WAL, synchronous=NORMAL) | "
        f"{median(rps['register']):.0f} | {median(ratios['register']):.2f} | reported | - |"
    )
    visits = ledger["counts"]["visits"]
    print(f"\nledger: {visits} visits recorded; wrk counted {counted} registrations (<= ledger)")
    if visits < counted:
        print("ledger check failed: fewer visits recorded than registrations answered")
        return EXIT_TARGET_MISSED
    if not met:
        print(f"target missed: patient {patient_ratio:.2f} < {TARGET_PATIENT}")
        return EXIT_TARGET_MISSED
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return throughput_main(
        argv,
        name="erm_throughput",
        doc=__doc__,
        run=run,
        extra_connections=[("register-connections", 4)],
    )


if __name__ == "__main__":
    sys.exit(main())
