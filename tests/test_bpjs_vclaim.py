"""VClaim v2 endpoints of the real mock process: shapes, not-found answers and SEP persistence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.process import Supervisor
from mock_services.common.dataset import Patient, generate
from tests.bpjs_protocol import FORM, VCLAIM, BpjsClient, running_bpjs, signed_headers
from tests.conftest import RunningMock, StartMock

pytestmark = pytest.mark.integration

DATA = generate(1)
ACTIVE = next(p for p in DATA.patients if p.aktif)
INACTIVE = next(p for p in DATA.patients if not p.aktif)
TGL = "2025-10-27"
PESERTA_KEYS = {
    "cob", "hakKelas", "informasi", "jenisPeserta", "mr", "nama", "nik", "noKartu", "pisa",
    "provUmum", "sex", "statusPeserta", "tglCetakKartu", "tglLahir", "tglTAT", "tglTMT", "umur",
}  # fmt: skip


@pytest.fixture(scope="module")
def bpjs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BpjsClient]:
    # Shared by the module: tests only add SEPs, and never count on an empty store.
    with running_bpjs(tmp_path_factory.mktemp("bpjs-vclaim")) as client:
        yield client


def _check_peserta(peserta: dict[str, Any], patient: Patient) -> None:
    assert set(peserta) == PESERTA_KEYS
    assert peserta["nama"] == patient.nama
    assert peserta["nik"] == patient.nik
    assert len(peserta["nik"]) == 16
    assert peserta["noKartu"] == patient.noKartu
    assert len(peserta["noKartu"]) == 13
    assert peserta["sex"] in ("L", "P")
    assert peserta["statusPeserta"] == {
        "kode": patient.statusPeserta.kode,
        "keterangan": patient.statusPeserta.keterangan,
    }
    assert set(peserta["jenisPeserta"]) == {"kode", "keterangan"}
    assert peserta["hakKelas"]["keterangan"].startswith("KELAS ")
    assert set(peserta["provUmum"]) == {"kdProvider", "nmProvider"}
    assert peserta["mr"] == {"noMR": patient.noMR, "noTelepon": patient.noTelepon}
    assert set(peserta["umur"]) == {"umurSaatPelayanan", "umurSekarang"}
    assert " tahun ," in peserta["umur"]["umurSaatPelayanan"]


def test_peserta_by_card_and_by_nik_give_the_documented_shape(bpjs: BpjsClient) -> None:
    by_card = bpjs.get(f"{VCLAIM}/Peserta/nokartu/{ACTIVE.noKartu}/tglSEP/{TGL}")
    by_nik = bpjs.get(f"{VCLAIM}/Peserta/nik/{ACTIVE.nik}/tglSEP/{TGL}")
    for reply in (by_card, by_nik):
        assert reply.status == 200
        assert set(reply.body) == {"metaData", "response"}
        assert reply.meta == {"code": "200", "message": "OK"}
        payload = reply.payload()
        assert set(payload) == {"peserta"}
        _check_peserta(payload["peserta"], ACTIVE)
    assert by_card.payload() == by_nik.payload()


def test_inactive_participant_is_found_with_its_status(bpjs: BpjsClient) -> None:
    reply = bpjs.get(f"{VCLAIM}/Peserta/nokartu/{INACTIVE.noKartu}/tglSEP/{TGL}")
    peserta = reply.payload()["peserta"]
    _check_peserta(peserta, INACTIVE)
    assert peserta["statusPeserta"]["kode"] != "0"


@pytest.mark.parametrize(
    "path",
    [
        f"{VCLAIM}/Peserta/nokartu/0000000000001/tglSEP/{TGL}",
        f"{VCLAIM}/Peserta/nik/1111111111111111/tglSEP/{TGL}",
        f"{VCLAIM}/SEP/0301R0011117V999999",
        f"{VCLAIM}/Rujukan/0301U0011025Y999999",
    ],
)
def test_unknown_things_are_code_201_with_http_200_and_null_response(
    bpjs: BpjsClient, path: str
) -> None:
    reply = bpjs.get(path)
    assert reply.status == 200
    assert reply.code == "201"
    assert reply.body["response"] is None
    assert reply.meta["message"]


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (f"{VCLAIM}/Peserta/nokartu/12345/tglSEP/{TGL}", "noKartu"),
        (f"{VCLAIM}/Peserta/nik/abc/tglSEP/{TGL}", "nik"),
        (f"{VCLAIM}/Peserta/nokartu/{ACTIVE.noKartu}/tglSEP/2025-02-30", "tglSEP"),
        (f"{VCLAIM}/Peserta/nokartu/{ACTIVE.noKartu}/tglSEP/27-10-2025", "yyyy-MM-dd"),
    ],
)
def test_malformed_path_values_get_a_clear_message(bpjs: BpjsClient, path: str, words: str) -> None:
    reply = bpjs.get(path)
    assert reply.status == 200
    assert reply.code == "400"
    assert words in reply.meta["message"]


def test_referral_by_card_and_by_number_agree(bpjs: BpjsClient) -> None:
    by_card = bpjs.get(f"{VCLAIM}/Rujukan/Peserta/{ACTIVE.noKartu}").payload()
    rujukan = by_card["rujukan"]
    assert set(rujukan) == {
        "diagnosa", "keluhan", "noKunjungan", "pelayanan", "peserta", "poliRujukan",
        "provPerujuk", "tglKunjungan",
    }  # fmt: skip
    assert len(rujukan["noKunjungan"]) == 19
    _check_peserta(rujukan["peserta"], ACTIVE)
    assert rujukan["poliRujukan"]["kode"] in {p.kodepoli for p in DATA.polyclinics}
    by_number = bpjs.get(f"{VCLAIM}/Rujukan/{rujukan['noKunjungan']}").payload()
    assert by_number == by_card
    assert bpjs.get(f"{VCLAIM}/Rujukan/Peserta/{INACTIVE.noKartu}").code == "201"


def _sep_body(patient: Patient, *, poli: str = "INT") -> dict[str, Any]:
    return {
        "request": {
            "t_sep": {
                "noKartu": patient.noKartu,
                "tglSep": TGL,
                "ppkPelayanan": DATA.facility.kode,
                "jnsPelayanan": "2",
                "klsRawat": {"klsRawatHak": patient.hakKelas.kode, "klsRawatNaik": "",
                             "pembiayaan": "", "penanggungJawab": ""},
                "noMR": patient.noMR,
                "rujukan": {"asalRujukan": "1", "tglRujukan": TGL, "noRujukan": "X",
                            "ppkRujukan": "0301U001"},
                "catatan": "kontrol",
                "diagAwal": "I10",
                "poli": {"tujuan": poli, "eksekutif": "0"},
                "cob": {"cob": "0"},
                "dpjpLayan": "12345",
                "noTelp": patient.noTelepon,
                "user": "front-desk",
            }
        }
    }  # fmt: skip


def _delete_body(no_sep: str) -> dict[str, Any]:
    return {"request": {"t_sep": {"noSep": no_sep, "user": "front-desk"}}}


def test_sep_insert_get_delete(bpjs: BpjsClient) -> None:
    inserted = bpjs.post(f"{VCLAIM}/SEP/2.0/insert", _sep_body(ACTIVE))
    assert inserted.code == "200", inserted.body
    sep = inserted.payload()["sep"]
    assert sep["tglSep"] == TGL
    assert sep["peserta"]["noKartu"] == ACTIVE.noKartu
    assert sep["peserta"]["nama"] == ACTIVE.nama
    assert sep["noSep"].startswith(DATA.facility.kode.upper()[:8])
    assert len(sep["noSep"]) == 19
    assert sep["noSep"][12] == "V"
    assert sep["poli"] == "PENYAKIT DALAM"

    found = bpjs.get(f"{VCLAIM}/SEP/{sep['noSep']}")
    assert found.payload() == sep

    deleted = bpjs.call("DELETE", f"{VCLAIM}/SEP/2.0/delete", _delete_body(sep["noSep"]))
    assert deleted.meta == {"code": "200", "message": "OK"}
    assert deleted.body["response"] == sep["noSep"]  # plain: clients skip decryption here
    assert bpjs.get(f"{VCLAIM}/SEP/{sep['noSep']}").code == "201"
    again = bpjs.call("DELETE", f"{VCLAIM}/SEP/2.0/delete", _delete_body(sep["noSep"]))
    assert again.code == "201"


def test_sep_body_is_json_whatever_the_content_type(bpjs: BpjsClient) -> None:
    for content_type in ("Application/x-www-form-urlencoded", "application/json", "text/plain"):
        reply = bpjs.post(f"{VCLAIM}/SEP/2.0/insert", _sep_body(ACTIVE), content_type=content_type)
        assert reply.code == "200", (content_type, reply.body)
        sep = reply.payload()["sep"]
        assert sep["noSep"] in {s["noSep"] for s in bpjs.ledger()["sep"]}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty request body"),
        (b"{not json", "not valid JSON"),
        (b'{"request": {"t_sep": {}}}', "request.t_sep.noKartu"),
        (b"[1, 2]", "invalid request body"),
    ],
)
def test_malformed_sep_bodies_get_a_clear_message(
    bpjs: BpjsClient, body: bytes, words: str
) -> None:
    response = bpjs.http.post(
        f"{VCLAIM}/SEP/2.0/insert", content=body, headers={**signed_headers(), "Content-Type": FORM}
    )
    assert response.status_code == 200
    meta = response.json()["metaData"]
    assert meta["code"] == "400"
    assert words in meta["message"]


def test_sep_refused_for_inactive_participant_and_unknown_poli(bpjs: BpjsClient) -> None:
    inactive = bpjs.post(f"{VCLAIM}/SEP/2.0/insert", _sep_body(INACTIVE))
    assert inactive.code == "201"
    assert "not active" in inactive.meta["message"]
    unknown = bpjs.post(f"{VCLAIM}/SEP/2.0/insert", _sep_body(ACTIVE, poli="XYZ"))
    assert unknown.code == "201"
    assert "poli.tujuan" in unknown.meta["message"]


def test_seps_survive_a_restart_with_db(
    start_mock: StartMock, supervisor: Supervisor, tmp_path: Path
) -> None:
    mock: RunningMock = start_mock("bpjs", db=tmp_path / "bpjs.sqlite")
    client = BpjsClient(mock.url)
    kept = client.post(f"{VCLAIM}/SEP/2.0/insert", _sep_body(ACTIVE)).payload()["sep"]
    gone = client.post(f"{VCLAIM}/SEP/2.0/insert", _sep_body(ACTIVE)).payload()["sep"]
    assert client.call("DELETE", f"{VCLAIM}/SEP/2.0/delete", _delete_body(gone["noSep"])).code == (
        "200"
    )
    client.close()

    supervisor.restart(mock.process)
    client = BpjsClient(mock.url)
    assert client.get(f"{VCLAIM}/SEP/{kept['noSep']}").payload() == kept
    assert client.get(f"{VCLAIM}/SEP/{gone['noSep']}").code == "201"
    fresh = client.post(f"{VCLAIM}/SEP/2.0/insert", _sep_body(ACTIVE)).payload()["sep"]
    assert fresh["noSep"] not in (kept["noSep"], gone["noSep"])  # serials continue after restart
    client.close()


def test_umur_uses_the_service_date(bpjs: BpjsClient) -> None:
    patient = next(p for p in DATA.patients if p.tglLahir[5:7] != "02")  # no 29 February
    birth = dt.date.fromisoformat(patient.tglLahir)
    service_date = birth.replace(year=birth.year + 30)
    path = f"{VCLAIM}/Peserta/nokartu/{patient.noKartu}/tglSEP/{service_date.isoformat()}"
    umur = bpjs.get(path).payload()["peserta"]["umur"]
    assert umur["umurSaatPelayanan"] == "30 tahun ,0 bulan ,0 hari"


@pytest.mark.parametrize(
    ("method", "path", "status", "key", "code"),
    [
        ("POST", f"{VCLAIM}/Peserta/nokartu/{ACTIVE.noKartu}/tglSEP/{TGL}", 405, "metaData", "405"),
        ("GET", f"{VCLAIM}/No/Such/Thing", 404, "metaData", "404"),
        ("GET", "/antreanrs/no/such/thing", 404, "metadata", 404),
        ("PUT", "/antreanrs/ref/poli", 405, "metadata", 405),
    ],
)
def test_unknown_routes_and_methods_get_the_prefix_envelope(
    bpjs: BpjsClient, method: str, path: str, status: int, key: str, code: object
) -> None:
    reply = bpjs.call(method, path)
    assert reply.status == status
    assert reply.body[key]["code"] == code
    assert path in reply.body[key]["message"]
