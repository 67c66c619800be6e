"""Building the BPJS mock's ASGI app from the command-line options."""

from __future__ import annotations

import argparse
import datetime as dt

from fastapi import APIRouter

from mock_services.bpjs import antrean, openapi, vclaim
from mock_services.bpjs.auth import SignatureVerifier
from mock_services.bpjs.codec import ResponseCodec
from mock_services.bpjs.config import BpjsConfig, from_args
from mock_services.bpjs.context import BpjsContext
from mock_services.bpjs.envelopes import PrefixRouter, error_renderer
from mock_services.bpjs.routing import BpjsDispatcher
from mock_services.bpjs.rujukan import Referrals
from mock_services.bpjs.store import BpjsStore
from mock_services.common import dataset as dataset_module
from mock_services.common import storage
from mock_services.common.app import create_app
from mock_services.common.service import CommonOptions
from service_contract.ledger import BpjsLedger
from service_contract.services import ServiceName

DESCRIPTION = (
    "BPJS Kesehatan VClaim v2 and Antrean RS mock: signed requests (X-cons-id, X-timestamp, "
    "X-signature, user_key), AES-256-CBC + LZ-string encrypted responses, and application "
    "faults under /__admin."
)


def _examples(data: dataset_module.Dataset, referrals: Referrals) -> dict[str, str]:
    """Path parameter values that exist, so a schema-driven tool reaches the success paths."""
    active = next(p for p in data.patients if p.aktif)
    schedule = data.schedules[0]
    date = dataset_module.REFERENCE_DATE
    date += dt.timedelta(days=(schedule.hari - date.isoweekday()) % 7)
    return {
        "noKartu": active.noKartu,
        "nik": active.nik,
        "tglSEP": dataset_module.REFERENCE_DATE.isoformat(),
        "noRujukan": referrals.all()[0].noKunjungan,
        "kodepoli": schedule.kodepoli,
        "tanggal": date.isoformat(),
    }


def admin_router(store: BpjsStore) -> APIRouter:
    """`GET /__admin/bpjs/ledger`: every stored booking and SEP (never faulted)."""
    router = APIRouter(prefix="/bpjs", tags=["admin"])

    @router.get("/ledger")
    async def ledger() -> BpjsLedger:
        return store.ledger()

    return router


def build(config: BpjsConfig, *, seed: int, db: str) -> BpjsDispatcher:
    data = dataset_module.generate(seed)
    referrals = Referrals(data)
    store = BpjsStore(storage.connect(db, schema=""))
    ctx = BpjsContext(
        config=config,
        verifier=SignatureVerifier(config),
        codec=ResponseCodec(secret=config.secret),
        dataset=data,
        referrals=referrals,
        store=store,
    )
    prefixes = PrefixRouter(
        vclaim_prefix=config.vclaim_prefix, antrean_prefix=config.antrean_prefix
    )
    render_error = error_renderer(prefixes)
    app = create_app(
        name=ServiceName.BPJS,
        seed=seed,
        render_error=render_error,
        routers=[],  # the BPJS operations are dispatched in front of it, see `routing`
        admin_routers=[admin_router(store)],
        description=DESCRIPTION,
    )
    operations = [*vclaim.operations(ctx), *antrean.operations(ctx)]
    examples = _examples(data, referrals)
    openapi.install(app, config=config, operations=operations, examples=examples)
    return BpjsDispatcher(
        operations=operations, fallback=app, board=app.state.faults, render_error=render_error
    )


def build_app(options: CommonOptions, args: argparse.Namespace) -> BpjsDispatcher:
    db = str(options.db) if options.db is not None else storage.MEMORY
    return build(from_args(args), seed=options.seed, db=db)
