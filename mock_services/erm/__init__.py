"""The ERM mock: a SATUSEHAT-like FHIR R4 API plus the facility's own visit registration.

    python -m mock_services erm --port 9001 --seed 1 --db erm.sqlite3 \\
        [--client-id ID] [--client-secret SECRET] [--token-ttl SECONDS]

- `auth`: OAuth2 client credentials at `/oauth2/v1/accesstoken` (Apigee-style answer); every
  FHIR and visit route needs the bearer token. Development credentials: `erm-dev-client` /
  `erm-dev-secret`.
- `fhir`: FHIR R4 under `/fhir-r4/v1`: Patient search by NIK and read, Encounter create / read /
  status update / search, Observation (vital signs), CapabilityStatement at `metadata`.
- `visits`: front-desk registration with queue numbers and `Idempotency-Key`, under
  `/api/v1/visits`.
- `ledger`: `GET /__admin/ledger` and `POST /__admin/ledger/verify`, for "nothing lost, nothing
  entered twice".
- `store`: SQLite (WAL, synchronous=NORMAL) at `--db`; without `--db`, in memory.
- `errors`: every error, on every path, is a FHIR OperationOutcome.

Patients are the shared dataset's (the same people as in BPJS and the patient app): Patient id is
the dataset's `ihs_number`, with the NIK and IHS-number identifiers.
"""

from __future__ import annotations

import argparse

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from mock_services.common import dataset as dataset_module
from mock_services.common.app import create_app
from mock_services.common.service import CommonOptions, ServiceDefinition
from mock_services.common.storage import MEMORY
from mock_services.erm.auth import (
    DEFAULT_TOKEN_TTL,
    Credentials,
    TokenService,
    token_router,
)
from mock_services.erm.context import ERMContext
from mock_services.erm.errors import FHIRError, render_operation_outcome
from mock_services.erm.fhir import fhir_router
from mock_services.erm.ledger import ledger_router
from mock_services.erm.patients import fast_routes
from mock_services.erm.responses import error_response
from mock_services.erm.store import Store
from mock_services.erm.visits import visits_router
from service_contract import credentials
from service_contract.services import ServiceName

DEFAULT_PORT = 9001


def _positive_seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds >= 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--client-id",
        default=credentials.ERM_CLIENT_ID,
        help="OAuth2 client id accepted by the token endpoint (default %(default)s)",
    )
    parser.add_argument(
        "--client-secret",
        default=credentials.ERM_CLIENT_SECRET,
        help="OAuth2 client secret (default %(default)s; development only)",
    )
    parser.add_argument(
        "--token-ttl",
        type=_positive_seconds,
        default=DEFAULT_TOKEN_TTL,
        metavar="SECONDS",
        help=f"access-token lifetime, also sent as expires_in (default {DEFAULT_TOKEN_TTL})",
    )


def build_app(options: CommonOptions, args: argparse.Namespace) -> ASGIApp:
    return create_erm_app(
        seed=options.seed,
        db=str(options.db) if options.db is not None else MEMORY,
        credentials=Credentials(
            client_id=args.client_id, client_secret=args.client_secret, token_ttl=args.token_ttl
        ),
    )


def create_erm_app(*, seed: int, db: str, credentials: Credentials) -> FastAPI:
    """The ERM app for `seed`, storing in the SQLite file `db` (or `:memory:`)."""
    store = Store(db)
    app = create_app(
        name=ServiceName.ERM,
        seed=seed,
        render_error=render_operation_outcome,
        routers=[token_router(), fhir_router(), visits_router()],
        admin_routers=[ledger_router()],
        description=__doc__ or "",
    )
    # The Patient routes go first: see mock_services.erm.patients.
    app.router.routes[:0] = fast_routes()
    app.state.erm = ERMContext.build(dataset=dataset_module.generate(seed), store=store)
    app.state.tokens = TokenService(credentials=credentials, store=store)

    async def on_fhir_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FHIRError)
        return error_response(exc)

    app.add_exception_handler(FHIRError, on_fhir_error)
    return app


SERVICE = ServiceDefinition(
    name=ServiceName.ERM,
    summary="SATUSEHAT-like FHIR R4 ERM with visit registration, queue and ledger",
    default_port=DEFAULT_PORT,
    add_arguments=add_arguments,
    build_app=build_app,
)
