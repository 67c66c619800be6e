"""`make demo` (until the scenario engine lands): a real signed, encrypted BPJS round trip.

Starts the BPJS mock as a real uvicorn process on a free loopback port, looks up participants the
way a hospital registration desk does (signed VClaim request, encrypted LZ-string response), reads
the Antrean RS polyclinic list, then injects an application fault through the admin API to show
what an outage looks like to the client. Everything it starts is stopped on exit.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx

from examples.bpjs_client import BpjsClient, BpjsProtocolError, Credentials
from harness.net import free_port
from harness.process import ProcessSpec, Supervisor, http_ready
from mock_services.common import clock
from mock_services.common.dataset import generate

CREDENTIALS = Credentials(cons_id="demo-cons", secret="demo-secret", user_key="demo-user-key")
SEED = 1


def _start_bpjs(sup: Supervisor) -> str:
    port = free_port()
    argv = [sys.executable, "-m", "mock_services", "bpjs", "--port", str(port)]
    argv += ["--seed", str(SEED), "--cons-id", CREDENTIALS.cons_id]
    argv += ["--secret", CREDENTIALS.secret, "--user-key", CREDENTIALS.user_key]
    url = f"http://127.0.0.1:{port}"
    sup.start(ProcessSpec(name="bpjs", argv=argv, ready=http_ready(f"{url}/__admin/health")))
    return url


def main() -> int:
    data = generate(SEED)
    active = next(p for p in data.patients if p.aktif)
    inactive = next(p for p in data.patients if not p.aktif)
    today = clock.today().isoformat()
    with tempfile.TemporaryDirectory() as tmp, Supervisor(log_dir=Path(tmp)) as sup:
        url = _start_bpjs(sup)
        print(f"BPJS mock up at {url} (VClaim {url}/vclaim-rest, Antrean RS {url}/antreanrs)\n")
        vclaim = BpjsClient(base_url=f"{url}/vclaim-rest", credentials=CREDENTIALS)
        antrean = BpjsClient(base_url=f"{url}/antreanrs", credentials=CREDENTIALS)
        try:
            for patient in (active, inactive):
                answer = vclaim.get(f"Peserta/nokartu/{patient.noKartu}/tglSEP/{today}")
                peserta = answer.response["peserta"]
                print(
                    f"Peserta {patient.noKartu}: metaData {answer.code} {answer.message}; "
                    f"decrypted: {peserta['nama']}, NIK {peserta['nik']}, "
                    f"status {peserta['statusPeserta']['keterangan']}, "
                    f"kelas {peserta['hakKelas']['keterangan']}"
                )
            poli = antrean.get("ref/poli")
            names = ", ".join(p["nmpoli"] if "nmpoli" in p else str(p) for p in poli.response[:4])
            print(
                f"Antrean RS ref/poli: metadata {poli.code}; {len(poli.response)} polyclinics: "
                f"{names}, ...\n"
            )

            fault = {
                "kind": "maintenance",
                "route": "/vclaim-rest/Peserta/*",
                "params": {"retry_after": 1800},
            }
            httpx.post(f"{url}/__admin/faults", json=fault, timeout=5).raise_for_status()
            print("Injected: BPJS membership lookup under maintenance (incident 5, 25 Mar 2019)")
            try:
                vclaim.get(f"Peserta/nokartu/{active.noKartu}/tglSEP/{today}")
            except BpjsProtocolError as exc:
                print(f"  the registration desk now sees: {exc}")
            httpx.delete(f"{url}/__admin/faults", timeout=5).raise_for_status()
            healed = vclaim.get(f"Peserta/nokartu/{active.noKartu}/tglSEP/{today}")
            print(f"Healed: lookup answers again with metaData {healed.code} {healed.message}")
        finally:
            vclaim.close()
            antrean.close()
    print("\nAll processes stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
