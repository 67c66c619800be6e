"""A real third-party VClaim client from PyPI, unchanged, against the mock.

`bpjs-bridging` (import name `bpjs`) signs its requests, sends JSON bodies as
`application/x-www-form-urlencoded`, and decrypts responses with its own code (pycryptodome AES +
lzstring). Only its configuration points it at the mock: host = the mock's URL + prefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bpjs.bpjs import Bridging

from mock_services.common.dataset import generate
from tests.bpjs_protocol import ANTREAN, CONS_ID, SECRET, USER_KEY, VCLAIM, BpjsClient, running_bpjs

pytestmark = pytest.mark.integration

DATA = generate(1)
ACTIVE = next(p for p in DATA.patients if p.aktif)


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BpjsClient]:
    with running_bpjs(tmp_path_factory.mktemp("bpjs-real-client")) as client:
        yield client


def _bridging(mock: BpjsClient, service: str, prefix: str) -> Any:
    config = {
        "consid": CONS_ID,
        "secret": SECRET,
        "user_key": USER_KEY,
        "host": f"{mock.base_url}{prefix}",
    }
    return Bridging(config, service)


def test_library_looks_up_a_participant_and_reads_the_decrypted_response(mock: BpjsClient) -> None:
    vclaim = _bridging(mock, "vclaim", VCLAIM)
    by_card = vclaim.request(f"Peserta/nokartu/{ACTIVE.noKartu}/tglSEP/2025-10-27")
    assert by_card["metaData"] == {"code": "200", "message": "OK"}
    peserta = by_card["response"]["peserta"]
    assert peserta["noKartu"] == ACTIVE.noKartu
    assert peserta["nama"] == ACTIVE.nama
    assert peserta["statusPeserta"]["keterangan"] == ACTIVE.statusPeserta.keterangan
    by_nik = vclaim.request(f"Peserta/nik/{ACTIVE.nik}/tglSEP/2025-10-27")
    assert by_nik["response"] == by_card["response"]


def test_library_sees_not_found_as_code_201(mock: BpjsClient) -> None:
    vclaim = _bridging(mock, "vclaim", VCLAIM)
    reply = vclaim.request("Peserta/nokartu/0000000000001/tglSEP/2025-10-27")
    assert reply["metaData"]["code"] == "201"
    assert reply["response"] is None


def test_library_inserts_and_deletes_a_sep(mock: BpjsClient) -> None:
    vclaim = _bridging(mock, "vclaim", VCLAIM)
    t_sep = {
        "noKartu": ACTIVE.noKartu,
        "tglSep": "2025-10-27",
        "ppkPelayanan": DATA.facility.kode,
        "jnsPelayanan": "2",
        "noMR": ACTIVE.noMR,
        "diagAwal": "I10",
        "poli": {"tujuan": "INT", "eksekutif": "0"},
        "user": "front-desk",
    }
    inserted = vclaim.request(
        "SEP/2.0/insert", method="post", payload={"request": {"t_sep": t_sep}}
    )
    assert inserted["metaData"]["code"] == "200", inserted
    no_sep = inserted["response"]["sep"]["noSep"]
    found = vclaim.request(f"SEP/{no_sep}")
    assert found["response"]["peserta"]["noKartu"] == ACTIVE.noKartu
    body = {"request": {"t_sep": {"noSep": no_sep, "user": "front-desk"}}}
    deleted = vclaim.request("SEP/2.0/delete", method="delete", payload=body)
    assert deleted == {"metaData": {"code": "200", "message": "OK"}, "response": no_sep}


def test_library_reads_antrean_references(mock: BpjsClient) -> None:
    antrean = _bridging(mock, "antrean", ANTREAN)
    poli = antrean.request("ref/poli")
    assert poli["metaData"] == {"code": 200, "message": "Ok"}  # the library renames metadata
    assert {p["kdpoli"] for p in poli["response"]} == {p.kodepoli for p in DATA.polyclinics}


def test_library_reports_an_undecryptable_payload(mock: BpjsClient) -> None:
    mock.add_fault("undecryptable", f"{VCLAIM}/Peserta/*")
    try:
        reply = _bridging(mock, "vclaim", VCLAIM).request(
            f"Peserta/nokartu/{ACTIVE.noKartu}/tglSEP/2025-10-27"
        )
    finally:
        mock.clear_faults()
    assert reply["metaData"]["code"] == 500
    assert "decrypt" in reply["metaData"]["message"]
    assert reply["response"] is None
