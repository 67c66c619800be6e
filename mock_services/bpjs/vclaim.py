"""VClaim v2: Peserta, SEP 2.0 and Rujukan, with signed requests and encrypted responses.

Not found is code "201" with HTTP 200 and `"response": null`, as the real service answers.
`DELETE SEP/2.0/delete` answers with the plain SEP number, not encrypted: the public client
libraries skip decryption for exactly that endpoint (and SEP/2.0/update).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mock_services.bpjs.auth import SignedRequest
from mock_services.bpjs.bodies import SepDeleteBody, SepInsertBody, parse_body, parse_date
from mock_services.bpjs.codec import Prepared, prepare
from mock_services.bpjs.context import BpjsContext
from mock_services.bpjs.envelopes import JSON, Flavor, ok
from mock_services.bpjs.peserta import peserta
from mock_services.bpjs.routing import Endpoint, Operation
from mock_services.common.app import ServiceError
from mock_services.common.dataset import HAK_KELAS, Patient

NOT_FOUND = "201"
BAD_INPUT = "400"
FLAVOR = Flavor.VCLAIM
TAG = "VClaim v2"
PESERTA_CACHE_SIZE = 2048
_CARD = re.compile(r"^[0-9]{13}$")
_NIK = re.compile(r"^[0-9]{16}$")
_KELAS = dict(HAK_KELAS)


def _card(value: str) -> str:
    if not _CARD.match(value):
        raise ServiceError(f"invalid noKartu {value[:20]!r}: it has 13 digits", code=BAD_INPUT)
    return value


def _sep_record(ctx: BpjsContext, *, no_sep: str, body: SepInsertBody, patient: Patient) -> Any:
    t_sep = body.request.t_sep
    poli = ctx.dataset.polyclinic(t_sep.poli.tujuan)
    return {
        "catatan": t_sep.catatan,
        "diagnosa": t_sep.diagAwal,
        "informasi": {"dinsos": None, "prolanisPRB": None, "noSKTM": None, "eSEP": None},
        "jnsPelayanan": "Rawat Inap" if t_sep.jnsPelayanan == "1" else "Rawat Jalan",
        "kelasRawat": _KELAS.get(t_sep.klsRawat.klsRawatHak, t_sep.klsRawat.klsRawatHak),
        "noRujukan": t_sep.rujukan.noRujukan,
        "noSep": no_sep,
        "penjamin": "-",
        "peserta": {
            "asuransi": "-",
            "hakKelas": patient.hakKelas.keterangan,
            "jnsPeserta": patient.jenisPeserta.keterangan,
            "kelamin": "Perempuan" if patient.sex == "P" else "Laki-Laki",
            "nama": patient.nama,
            "noKartu": patient.noKartu,
            "noMr": t_sep.noMR,
            "tglLahir": patient.tglLahir,
        },
        "poli": poli.namapoli if poli else t_sep.poli.tujuan,
        "poliEksekutif": t_sep.poli.eksekutif,
        "tglSep": t_sep.tglSep.isoformat(),
    }


def _sep_number(ppk: str, tgl: dt.date, serial: int) -> str:
    """The real form: provider code (8) + MMYY + 'V' + 6-digit serial (0301R0011117V000008)."""
    code = re.sub(r"[^0-9A-Za-z]", "", ppk)[:8].upper().ljust(8, "0")
    return f"{code}{tgl:%m%y}V{serial:06d}"


def operations(ctx: BpjsContext) -> list[Operation]:

    @lru_cache(maxsize=PESERTA_CACHE_SIZE)
    def prepared(no_kartu: str, tgl_sep: dt.date, today: dt.date) -> Prepared:
        patient = ctx.dataset.patient_by_card(no_kartu)
        assert patient is not None  # callers looked it up
        return prepare({"peserta": peserta(patient, tgl_sep=tgl_sep, today=today)})

    def lookup(signed: SignedRequest, patient: Patient | None, what: str, tgl: str) -> Response:
        tgl_sep = parse_date(tgl, name="tglSEP")
        if patient is None:
            raise ServiceError(f"participant not found: no participant with {what}", code=NOT_FOUND)
        return ctx.encrypted(FLAVOR, prepared(patient.noKartu, tgl_sep, ctx.today()), signed)

    async def peserta_by_card(request: Request) -> Response:
        signed = ctx.verify(request)
        noKartu, tglSEP = request.path_params["noKartu"], request.path_params["tglSEP"]
        patient = ctx.dataset.patient_by_card(_card(noKartu))
        return lookup(signed, patient, f"noKartu {noKartu}", tglSEP)

    async def peserta_by_nik(request: Request) -> Response:
        signed = ctx.verify(request)
        nik, tglSEP = request.path_params["nik"], request.path_params["tglSEP"]
        if not _NIK.match(nik):
            raise ServiceError(f"invalid nik {nik[:20]!r}: a NIK has 16 digits", code=BAD_INPUT)
        return lookup(signed, ctx.dataset.patient_by_nik(nik), f"nik {nik}", tglSEP)

    async def sep_insert(request: Request) -> Response:
        signed = ctx.verify(request)
        body = parse_body(await request.body(), SepInsertBody)
        t_sep = body.request.t_sep
        patient = ctx.dataset.patient_by_card(t_sep.noKartu)
        if patient is None:
            raise ServiceError(f"participant not found: noKartu {t_sep.noKartu}", code=NOT_FOUND)
        if not patient.aktif:
            raise ServiceError(
                f"participant {t_sep.noKartu} is not active ({patient.statusPeserta.keterangan}): "
                "a SEP needs an active participant",
                code=NOT_FOUND,
            )
        if ctx.dataset.polyclinic(t_sep.poli.tujuan) is None:
            known = ", ".join(p.kodepoli for p in ctx.dataset.polyclinics)
            raise ServiceError(
                f"unknown poli.tujuan {t_sep.poli.tujuan!r}: use one of {known}", code=NOT_FOUND
            )
        serial = ctx.store.next_sep_serial()
        no_sep = _sep_number(t_sep.ppkPelayanan, t_sep.tglSep, serial)
        record = _sep_record(ctx, no_sep=no_sep, body=body, patient=patient)
        ctx.store.insert_sep(
            serial=serial,
            no_sep=no_sep,
            no_kartu=t_sep.noKartu,
            tgl_sep=t_sep.tglSep.isoformat(),
            record=record,
        )
        return ctx.encrypted(FLAVOR, {"sep": record}, signed)

    async def sep_get(request: Request) -> Response:
        signed = ctx.verify(request)
        noSep = request.path_params["noSep"]
        record = ctx.store.get_sep(noSep)
        if record is None:
            raise ServiceError(f"SEP {noSep[:40]} not found", code=NOT_FOUND)
        return ctx.encrypted(FLAVOR, record, signed)

    async def sep_delete(request: Request) -> Response:
        ctx.verify(request)
        body = parse_body(await request.body(), SepDeleteBody)
        t_sep = body.request.t_sep
        if not ctx.store.delete_sep(t_sep.noSep, user=t_sep.user):
            raise ServiceError(
                f"SEP {t_sep.noSep[:40]} not found or already deleted", code=NOT_FOUND
            )
        return Response(ok(FLAVOR, ctx.codec.plain(t_sep.noSep)), media_type=JSON)

    async def rujukan_by_number(request: Request) -> Response:
        signed = ctx.verify(request)
        noRujukan = request.path_params["noRujukan"]
        found = ctx.referrals.by_number(noRujukan)
        if found is None:
            raise ServiceError(f"referral {noRujukan[:40]} not found", code=NOT_FOUND)
        return ctx.encrypted(FLAVOR, found.payload(today=ctx.today()), signed)

    async def rujukan_by_card(request: Request) -> Response:
        signed = ctx.verify(request)
        noKartu = request.path_params["noKartu"]
        found = ctx.referrals.by_card(_card(noKartu))
        if found is None:
            raise ServiceError(f"no referral for noKartu {noKartu}", code=NOT_FOUND)
        return ctx.encrypted(FLAVOR, found.payload(today=ctx.today()), signed)

    prefix = ctx.config.vclaim_prefix

    def op(method: str, path: str, endpoint: Endpoint, summary: str, **kw: Any) -> Operation:
        return Operation(
            method=method, path=prefix + path, endpoint=endpoint, summary=summary, tag=TAG, **kw
        )

    return [
        op(
            "GET",
            "/Peserta/nokartu/{noKartu}/tglSEP/{tglSEP}",
            peserta_by_card,
            "Participant by card number",
        ),
        op("GET", "/Peserta/nik/{nik}/tglSEP/{tglSEP}", peserta_by_nik, "Participant by NIK"),
        op("POST", "/SEP/2.0/insert", sep_insert, "Create a SEP (2.0)", body=SepInsertBody),
        op("GET", "/SEP/{noSep}", sep_get, "Find a SEP"),
        op(
            "DELETE",
            "/SEP/2.0/delete",
            sep_delete,
            "Delete a SEP (2.0); the answer is not encrypted",
            body=SepDeleteBody,
        ),
        op("GET", "/Rujukan/{noRujukan}", rujukan_by_number, "Referral by number"),
        op(
            "GET", "/Rujukan/Peserta/{noKartu}", rujukan_by_card, "Latest referral of a participant"
        ),
    ]
