"""Building the patient-app ASGI app from the common options and its own flags."""

from __future__ import annotations

import argparse

from fastapi import FastAPI

from mock_services.common.app import create_app
from mock_services.common.dataset import generate
from mock_services.common.service import CommonOptions
from mock_services.patient_app import (
    auth,
    bookings,
    catalog,
    certificates,
    declarations,
    lab,
    ledger,
)
from mock_services.patient_app.certificates_signing import CertificateSigner
from mock_services.patient_app.context import Context
from mock_services.patient_app.envelope import render_error
from mock_services.patient_app.options import PatientAppOptions, dev_secret
from mock_services.patient_app.store import Store
from mock_services.patient_app.tokens import TokenSigner
from service_contract.services import ServiceName

DESCRIPTION = """\
Patient-app backend mock (a hospital group's app / Mobile JKN flavour).

Every response under /api/v1 is the envelope
`{"success": bool, "code": "OK" | <error code>, "message": str, "data": ... | null}`.
Authenticate with `POST /api/v1/auth/login` and send `Authorization: Bearer <accessToken>`.
Write endpoints honour the `Idempotency-Key` header. Faults: see /__admin.
"""


def build(common: CommonOptions, options: PatientAppOptions) -> FastAPI:
    ctx = Context(
        dataset=generate(common.seed),
        store=Store(common.db),
        options=options,
        tokens=TokenSigner(options.token_secret),
        certificates=CertificateSigner(dev_secret("certificate", common.seed)),
        seed=common.seed,
    )
    current_patient = auth.bearer_dependency(ctx)
    app = create_app(
        name=ServiceName.PATIENT_APP,
        seed=common.seed,
        render_error=render_error,
        routers=[
            auth.router(ctx, current_patient),
            catalog.router(ctx, current_patient),
            bookings.router(ctx, current_patient),
            lab.router(ctx, current_patient),
            certificates.router(ctx, current_patient),
            declarations.router(ctx, current_patient),
        ],
        admin_routers=[ledger.router(ctx)],
        description=DESCRIPTION,
    )
    # The schedule GET goes first: see mock_services.patient_app.catalog.
    app.router.routes[:0] = catalog.fast_routes(ctx)
    return app


def build_app(common: CommonOptions, args: argparse.Namespace) -> FastAPI:
    return build(common, PatientAppOptions.from_args(args, seed=common.seed))
