"""BPJS-specific effects of the application faults, seen through the test's own decrypter."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mock_services.common.dataset import generate
from tests.bpjs_protocol import ANTREAN, VCLAIM, BpjsClient, decrypt, running_bpjs

pytestmark = pytest.mark.integration

ACTIVE = next(p for p in generate(1).patients if p.aktif)
PESERTA = f"{VCLAIM}/Peserta/nokartu/{ACTIVE.noKartu}/tglSEP/2025-10-27"
POLI = f"{ANTREAN}/ref/poli"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BpjsClient]:
    with running_bpjs(tmp_path_factory.mktemp("bpjs-faults")) as client:
        yield client


@pytest.fixture
def bpjs(server: BpjsClient) -> Iterator[BpjsClient]:
    server.clear_faults()
    yield server
    server.clear_faults()


@pytest.mark.parametrize("code", ["201", "500"])
def test_service_error_in_the_vclaim_envelope_with_http_200(bpjs: BpjsClient, code: str) -> None:
    bpjs.add_fault("service_error", f"{VCLAIM}/Peserta/*", code=code, message="Sedang gangguan")
    reply = bpjs.get(PESERTA)
    assert reply.status == 200
    assert reply.body == {
        "metaData": {"code": code, "message": "Sedang gangguan"},
        "response": None,
    }
    assert bpjs.get(POLI).payload()  # another route is untouched


@pytest.mark.parametrize("code", ["201", "500"])
def test_service_error_in_the_antrean_envelope_with_integer_code(
    bpjs: BpjsClient, code: str
) -> None:
    bpjs.add_fault("service_error", f"{ANTREAN}/*", code=code, message="Gagal")
    reply = bpjs.get(POLI)
    assert reply.status == 200
    assert reply.body == {"metadata": {"code": int(code), "message": "Gagal"}, "response": None}


def test_service_error_with_an_explicit_status(bpjs: BpjsClient) -> None:
    bpjs.add_fault("service_error", PESERTA, code="500", message="down", status=503)
    reply = bpjs.get(PESERTA)
    assert reply.status == 503
    assert reply.code == "500"


def test_undecryptable_payload_looks_normal_but_does_not_decrypt(bpjs: BpjsClient) -> None:
    bpjs.add_fault("undecryptable", f"{VCLAIM}/*")
    reply = bpjs.get(PESERTA)
    assert reply.status == 200
    assert reply.meta == {"code": "200", "message": "OK"}
    assert isinstance(reply.body["response"], str)
    assert reply.body["response"]  # non-empty base64
    with pytest.raises(ValueError, match="multiple of the block length"):
        decrypt(reply.body["response"], timestamp=reply.timestamp)
    bpjs.clear_faults()
    assert bpjs.get(PESERTA).payload()["peserta"]["noKartu"] == ACTIVE.noKartu


def test_schema_drift_rename_is_inside_the_encrypted_payload(bpjs: BpjsClient) -> None:
    bpjs.add_fault(
        "schema_drift", f"{VCLAIM}/Peserta/*", mode="rename", field="noKartu", to="no_kartu"
    )
    peserta = bpjs.get(PESERTA).payload()["peserta"]
    assert "noKartu" not in peserta
    assert peserta["no_kartu"] == ACTIVE.noKartu
    bpjs.clear_faults()
    # The drifted text was never cached in place of the real one.
    assert bpjs.get(PESERTA).payload()["peserta"]["noKartu"] == ACTIVE.noKartu


def test_schema_drift_missing_and_wrong_type(bpjs: BpjsClient) -> None:
    fault = bpjs.add_fault("schema_drift", f"{VCLAIM}/*", mode="missing", field="statusPeserta")
    assert "statusPeserta" not in bpjs.get(PESERTA).payload()["peserta"]
    bpjs.http.delete(f"/__admin/faults/{fault}").raise_for_status()
    bpjs.add_fault("schema_drift", f"{ANTREAN}/ref/*", mode="wrong_type", field="kdpoli")
    poli = bpjs.get(POLI).payload()
    assert all(isinstance(p["kdpoli"], list) for p in poli)


def test_stale_data_shifts_dates_inside_the_payload(bpjs: BpjsClient) -> None:
    fresh = bpjs.get(PESERTA).payload()["peserta"]
    bpjs.add_fault("stale_data", f"{VCLAIM}/Peserta/*", days=30)
    stale = bpjs.get(PESERTA).payload()["peserta"]
    shift = dt.date.fromisoformat(fresh["tglTMT"]) - dt.date.fromisoformat(stale["tglTMT"])
    assert shift == dt.timedelta(days=30)
    assert stale["noKartu"] == fresh["noKartu"]


def test_http_error_and_maintenance_are_gateway_pages_not_envelopes(bpjs: BpjsClient) -> None:
    bpjs.add_fault("maintenance", f"{VCLAIM}/*", retry_after=120)
    response = bpjs.http.get(PESERTA)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "120"
    assert response.headers["content-type"].startswith("text/html")


# --- clock_skew: the server clock moved, so a correct X-timestamp is judged against the wrong time


def _rejected_for_skew(reply: Any, direction: str) -> int:
    """The skew the BPJS auth error names, after checking it is that error."""
    assert reply.status == 200
    assert reply.code in ("401", 401)
    assert reply.body["response"] is None
    message = reply.meta["message"]
    found = re.fullmatch(
        rf"X-timestamp is (\d+) s {direction} the server clock \(allowed: 300 s\): .+", message
    )
    assert found, message
    return int(found.group(1))


def test_clock_skew_ahead_rejects_a_correct_clock_as_behind(bpjs: BpjsClient) -> None:
    assert bpjs.get(PESERTA).code == "200"
    bpjs.add_fault("clock_skew", f"{VCLAIM}/*", seconds=600)
    # The request's second and the server's may differ by one when a second turns in between.
    assert _rejected_for_skew(bpjs.get(PESERTA), "behind") in (600, 601)


def test_clock_skew_behind_rejects_a_correct_clock_as_ahead(bpjs: BpjsClient) -> None:
    bpjs.add_fault("clock_skew", f"{VCLAIM}/*", seconds=-600)
    assert _rejected_for_skew(bpjs.get(PESERTA), "ahead of") in (599, 600)


def test_a_client_shifted_by_the_same_skew_is_accepted(bpjs: BpjsClient) -> None:
    bpjs.add_fault("clock_skew", f"{VCLAIM}/*", seconds=600)
    shifted = str(int(time.time()) + 600)
    reply = bpjs.get(PESERTA, timestamp=shifted)
    assert reply.meta == {"code": "200", "message": "OK"}
    # The response is encrypted with the timestamp as sent, the shifted one.
    assert reply.payload()["peserta"]["noKartu"] == ACTIVE.noKartu


def test_removing_clock_skew_lets_a_correct_clock_in_again(bpjs: BpjsClient) -> None:
    fault = bpjs.add_fault("clock_skew", f"{VCLAIM}/*", seconds=-900)
    assert _rejected_for_skew(bpjs.get(PESERTA), "ahead of") in (899, 900)
    bpjs.http.delete(f"/__admin/faults/{fault}").raise_for_status()
    assert bpjs.get(PESERTA).payload()["peserta"]["noKartu"] == ACTIVE.noKartu


def test_clock_skew_only_on_the_routes_it_matches(bpjs: BpjsClient) -> None:
    fault = bpjs.add_fault("clock_skew", f"{ANTREAN}/*", seconds=3600)
    assert bpjs.get(PESERTA).payload()["peserta"]["noKartu"] == ACTIVE.noKartu
    assert _rejected_for_skew(bpjs.get(POLI), "behind") in (3600, 3601)  # the fault is on
    stats = bpjs.http.get("/__admin/stats").json()
    assert next(f["fired"] for f in stats["faults"] if f["id"] == fault) == 1


@pytest.mark.parametrize(
    ("seconds", "fragment"),
    [(0, "0 is no skew"), (86_401, "86400"), (-86_401, "-86400"), ("soon", "integer")],
)
def test_clock_skew_rejects_bad_seconds_in_one_line(
    bpjs: BpjsClient, seconds: object, fragment: str
) -> None:
    response = bpjs.http.post(
        "/__admin/faults", json={"kind": "clock_skew", "params": {"seconds": seconds}}
    )
    assert response.status_code == 400
    message = response.json()["error"]
    assert "\n" not in message
    for text in ("clock_skew", "seconds", fragment):
        assert text in message, message
    assert bpjs.http.get("/__admin/faults").json() == {"faults": []}
