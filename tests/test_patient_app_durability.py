"""Patient-app persistence: what was accepted survives kill -9 and a restart on the same --db."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import StartMock
from tests.patient_app_support import API, active_patients, bearer, ledger, login, slot

pytestmark = pytest.mark.integration


def test_bookings_declarations_and_keys_survive_kill_9(
    start_mock: StartMock, tmp_path: Path
) -> None:
    db = tmp_path / "patient-app.db"
    patient = active_patients()[0]
    first = start_mock("patient-app", db=db)
    booking_key, declaration_key = str(uuid.uuid4()), str(uuid.uuid4())
    declaration = {
        "nik": patient.nik,
        "nama": patient.nama,
        "nomorPenerbangan": "JT34",
        "tanggalPerjalanan": "2030-12-20",
        "bandaraAsal": "CGK",
        "bandaraTujuan": "KNO",
    }
    with httpx.Client(base_url=first.url, timeout=15) as app:
        tokens = login(app, patient)
        headers = bearer(tokens["accessToken"])
        booked = app.post(
            f"{API}/bookings",
            json=slot(0).body(),
            headers={**headers, "Idempotency-Key": booking_key},
        )
        assert booked.status_code == 201
        extra = app.post(f"{API}/bookings", json=slot(1).body(), headers=headers)
        code = extra.json()["data"]["kodebooking"]
        assert app.post(f"{API}/bookings/{code}/cancel", headers=headers).status_code == 200
        receipt = app.post(
            f"{API}/health-declarations",
            json=declaration,
            headers={**headers, "Idempotency-Key": declaration_key},
        )
        assert receipt.status_code == 201
        spent = app.post(f"{API}/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
        assert spent.status_code == 200
        before = ledger(app)

    first.process.kill()  # kill -9: no shutdown hook runs
    assert not first.process.alive()
    second = start_mock("patient-app", db=db)

    with httpx.Client(base_url=second.url, timeout=15) as app:
        assert ledger(app) == before
        # Tokens are stateless and the secret derives from the seed: the session survives too.
        listed = app.get(f"{API}/bookings", headers=headers).json()["data"]
        assert {b["kodebooking"]: b["status"] for b in listed} == {
            booked.json()["data"]["kodebooking"]: "BOOKED",
            code: "CANCELLED",
        }
        replay = app.post(
            f"{API}/bookings",
            json=slot(0).body(),
            headers={**headers, "Idempotency-Key": booking_key},
        )
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == booked.json()
        again = app.post(
            f"{API}/health-declarations",
            json=declaration,
            headers={**headers, "Idempotency-Key": declaration_key},
        )
        assert again.json() == receipt.json()
        # A refresh token spent before the crash stays spent.
        reused = app.post(f"{API}/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
        assert reused.json()["code"] == "INVALID_REFRESH_TOKEN"
        # Queue numbering continues after the restart instead of starting over.
        next_one = app.post(
            f"{API}/bookings",
            json=slot(0).body(),
            headers=bearer(login(app, active_patients()[1])["accessToken"]),
        )
        assert next_one.json()["data"]["angkaantrean"] == booked.json()["data"]["angkaantrean"] + 1
        after = ledger(app)
    assert after["counts"]["bookings"] == before["counts"]["bookings"] + 1
    assert after["counts"]["declarations"] == before["counts"]["declarations"] == 1


def test_bad_flags_exit_2_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_services", "patient-app", "--token-ttl", "-5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--token-ttl" in result.stderr
    assert "give seconds between 0 and one year" in result.stderr
    assert "Traceback" not in result.stderr
