"""`make demo-bpjs`: the signed, encrypted BPJS round trip runs and cleans up after itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mock_services.common.dataset import generate

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]


def test_bpjs_round_trip_demo_decrypts_real_participants() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "examples.demo_bpjs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    active = next(p for p in generate(1).patients if p.aktif)
    assert f"decrypted: {active.nama}, NIK {active.nik}, status AKTIF" in done.stdout
    assert "the registration desk now sees: HTTP 503" in done.stdout
    assert "Healed: lookup answers again with metaData 200 OK" in done.stdout
