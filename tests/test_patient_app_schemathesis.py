"""Property-based run of schemathesis over the patient-app's OpenAPI schema, against the real
process: no generated request, valid or not, may get a 5xx."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import StartMock
from tests.patient_app_support import active_patients, login

pytestmark = pytest.mark.integration


def _schemathesis() -> str:
    found = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    assert Path(found).exists(), "schemathesis is not installed: pip install -e '.[dev]'"
    return found


def test_openapi_schema_lists_every_endpoint(start_mock: StartMock) -> None:
    app = start_mock("patient-app")
    schema = httpx.get(f"{app.url}/openapi.json", timeout=15).json()
    paths = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    expected = {
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/refresh"),
        ("GET", "/api/v1/profile"),
        ("GET", "/api/v1/facility"),
        ("GET", "/api/v1/polyclinics"),
        ("GET", "/api/v1/schedules"),
        ("POST", "/api/v1/bookings"),
        ("GET", "/api/v1/bookings"),
        ("GET", "/api/v1/bookings/{kodebooking}"),
        ("POST", "/api/v1/bookings/{kodebooking}/cancel"),
        ("GET", "/api/v1/bookings/{kodebooking}/queue"),
        ("GET", "/api/v1/lab-results"),
        ("GET", "/api/v1/lab-results/{result_id}/pdf"),
        ("GET", "/api/v1/certificates/vaccination"),
        ("GET", "/api/v1/certificates/keys"),
        ("POST", "/api/v1/health-declarations"),
        ("GET", "/api/v1/health-declarations/{nomor_resi}"),
        ("GET", "/__admin/ledger"),
    }
    assert expected <= paths
    booking = schema["paths"]["/api/v1/bookings"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in booking["parameters"])


def test_schemathesis_finds_no_server_error(start_mock: StartMock, tmp_path: Path) -> None:
    app = start_mock("patient-app")
    with httpx.Client(base_url=app.url, timeout=15) as client:
        token = login(client, active_patients()[0])["accessToken"]
    result = subprocess.run(
        [
            _schemathesis(),
            "run",
            f"{app.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "15",
            "--phases",
            "examples,coverage,fuzzing",
            "--exclude-path-regex",
            "^/__admin",  # the fault admin API would fault the run itself
            "--header",
            f"Authorization: Bearer {token}",
            "--request-timeout",
            "10",
            "--workers",
            "1",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=280,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    log = app.process.output_tail(200)
    assert "Traceback" not in log, log
