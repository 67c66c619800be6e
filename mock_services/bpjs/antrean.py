"""Antrean RS: references, doctor schedules and the queue with its task times.

Reference and list answers are encrypted like VClaim's; the queue actions (add, updatewaktu,
batal) answer with `metadata` only, as the real service does. `antrean/add` is idempotent on
`kodebooking`: the same body again gives the same answer and no second booking; another body under
the same kodebooking is refused.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mock_services.bpjs import tasks
from mock_services.bpjs.bodies import (
    AntreanAddBody,
    BatalBody,
    KodeBookingBody,
    UpdateWaktuBody,
    parse_body,
    parse_date,
)
from mock_services.bpjs.codec import prepare
from mock_services.bpjs.context import BpjsContext
from mock_services.bpjs.envelopes import JSON, Flavor, metadata_only
from mock_services.bpjs.routing import Endpoint, Operation
from mock_services.common.app import ServiceError
from mock_services.common.clock import WIB
from service_contract.ledger import AntreanStatus

REFUSED = "201"
BAD_INPUT = "400"
FLAVOR = Flavor.ANTREAN
TAG = "Antrean RS"


def _ok_message() -> Response:
    return Response(metadata_only(FLAVOR, message="Ok"), media_type=JSON)


def _wib(epoch_ms: int) -> str:
    """'16-03-2021 11:32:49 WIB', the way getlisttask shows times."""
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=WIB)
    return f"{moment:%d-%m-%Y %H:%M:%S} WIB"


def operations(ctx: BpjsContext) -> list[Operation]:
    data = ctx.dataset
    poli_list = prepare(
        [
            {
                "nmpoli": p.namapoli,
                "nmsubspesialis": p.namapoli,
                "kdsubspesialis": p.kodepoli,
                "kdpoli": p.kodepoli,
            }
            for p in data.polyclinics
        ]
    )
    dokter_list = prepare(
        [{"namadokter": d.namadokter, "kodedokter": d.kodedokter} for d in data.doctors]
    )
    doctors = {d.kodedokter: d for d in data.doctors}

    async def ref_poli(request: Request) -> Response:
        return ctx.encrypted(FLAVOR, poli_list, ctx.verify(request))

    async def ref_dokter(request: Request) -> Response:
        return ctx.encrypted(FLAVOR, dokter_list, ctx.verify(request))

    async def jadwal(request: Request) -> Response:
        signed = ctx.verify(request)
        kodepoli, tanggal = request.path_params["kodepoli"], request.path_params["tanggal"]
        date = parse_date(tanggal, name="tanggal")
        poli = data.polyclinic(kodepoli)
        if poli is None:
            known = ", ".join(p.kodepoli for p in data.polyclinics)
            raise ServiceError(
                f"unknown kodepoli {kodepoli[:20]!r}: use one of {known}", code=REFUSED
            )
        schedules = data.schedules_on(kodepoli, date)
        if not schedules:
            raise ServiceError(
                f"no doctor practises at {poli.kodepoli} on {date.isoformat()} "
                f"({date:%A}); see ref/dokter and try another date",
                code=REFUSED,
            )
        payload: list[dict[str, Any]] = [
            {
                "kodesubspesialis": poli.kodepoli,
                "hari": s.hari,
                "kapasitaspasien": s.kapasitaspasien,
                "libur": 0,
                "namahari": s.namahari,
                "jadwal": s.jadwal,
                "namasubspesialis": poli.namapoli,
                "namadokter": doctors[s.kodedokter].namadokter,
                "kodepoli": poli.kodepoli,
                "namapoli": poli.namapoli,
                "kodedokter": s.kodedokter,
            }
            for s in schedules
        ]
        return ctx.encrypted(FLAVOR, payload, signed)

    async def antrean_add(request: Request) -> Response:
        ctx.verify(request)
        body = parse_body(await request.body(), AntreanAddBody)
        if data.polyclinic(body.kodepoli) is None:
            raise ServiceError(f"unknown kodepoli {body.kodepoli[:20]!r}", code=REFUSED)
        doctor = doctors.get(body.kodedokter)
        if doctor is None or doctor.kodepoli != body.kodepoli:
            raise ServiceError(
                f"kodedokter {body.kodedokter} does not practise at {body.kodepoli}: "
                "see ref/dokter and jadwaldokter",
                code=REFUSED,
            )
        if body.jenispasien == "JKN":
            if len(body.nomorkartu) != 13 or not body.nomorkartu.isdigit():
                raise ServiceError(
                    "nomorkartu must be the 13-digit card number for a JKN patient", code=BAD_INPUT
                )
            if data.patient_by_card(body.nomorkartu) is None:
                raise ServiceError(f"participant {body.nomorkartu} not found", code=REFUSED)
        canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True)
        stored = ctx.store.add_booking(
            kodebooking=body.kodebooking, request=canonical, pasienbaru=body.pasienbaru == 1
        )
        if stored.request != canonical:
            raise ServiceError(
                f"kodebooking {body.kodebooking[:40]} already exists with different data: send the "
                "same body to retry, or use a new kodebooking",
                code=REFUSED,
            )
        return _ok_message()

    async def update_waktu(request: Request) -> Response:
        ctx.verify(request)
        body = parse_body(await request.body(), UpdateWaktuBody)
        booking = ctx.store.booking(body.kodebooking)
        if booking is None:
            raise ServiceError(f"kodebooking {body.kodebooking[:40]} not found", code=REFUSED)
        done = ctx.store.tasks(body.kodebooking)
        verdict = tasks.judge(
            pasienbaru=booking.pasienbaru, done=done, taskid=body.taskid, waktu=body.waktu
        )
        if verdict is tasks.Verdict.ALREADY_RECORDED:
            return _ok_message()
        if booking.status is AntreanStatus.CANCELLED:
            raise ServiceError(
                f"kodebooking {body.kodebooking[:40]} was cancelled: no task may follow",
                code=REFUSED,
            )
        ctx.store.add_task(body.kodebooking, taskid=body.taskid, waktu=body.waktu)
        if body.taskid == tasks.CANCELLED:
            ctx.store.cancel_booking(body.kodebooking, keterangan="taskid 99")
        return _ok_message()

    async def batal(request: Request) -> Response:
        ctx.verify(request)
        body = parse_body(await request.body(), BatalBody)
        booking = ctx.store.booking(body.kodebooking)
        if booking is None or booking.status is AntreanStatus.CANCELLED:
            raise ServiceError(
                f"kodebooking {body.kodebooking[:40]} not found or already cancelled", code=REFUSED
            )
        tasks.may_cancel(ctx.store.tasks(body.kodebooking))
        ctx.store.cancel_booking(body.kodebooking, keterangan=body.keterangan)
        return _ok_message()

    async def getlisttask(request: Request) -> Response:
        signed = ctx.verify(request)
        body = parse_body(await request.body(), KodeBookingBody)
        if ctx.store.booking(body.kodebooking) is None:
            raise ServiceError(f"kodebooking {body.kodebooking[:40]} not found", code=REFUSED)
        payload = [
            {
                "wakturs": _wib(t.wakturs),
                "waktu": _wib(t.waktu),
                "taskname": tasks.TASK_NAMES[t.taskid],
                "taskid": t.taskid,
                "kodebooking": body.kodebooking,
            }
            for t in ctx.store.tasks(body.kodebooking)
        ]
        return ctx.encrypted(FLAVOR, payload, signed)

    prefix = ctx.config.antrean_prefix

    def op(method: str, path: str, endpoint: Endpoint, summary: str, **kw: Any) -> Operation:
        return Operation(
            method=method, path=prefix + path, endpoint=endpoint, summary=summary, tag=TAG, **kw
        )

    return [
        op("GET", "/ref/poli", ref_poli, "Polyclinics"),
        op("GET", "/ref/dokter", ref_dokter, "Doctors"),
        op(
            "GET", "/jadwaldokter/kodepoli/{kodepoli}/tanggal/{tanggal}", jadwal, "Doctor schedules"
        ),
        op(
            "POST",
            "/antrean/add",
            antrean_add,
            "Add a booking to the queue (idempotent on kodebooking)",
            body=AntreanAddBody,
        ),
        op(
            "POST",
            "/antrean/updatewaktu",
            update_waktu,
            "Record a task time (ordered task ids, increasing times)",
            body=UpdateWaktuBody,
        ),
        op("POST", "/antrean/batal", batal, "Cancel a booking", body=BatalBody),
        op(
            "POST",
            "/antrean/getlisttask",
            getlisttask,
            "Recorded task times of a booking",
            body=KodeBookingBody,
        ),
    ]
