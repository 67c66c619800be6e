"""The patient-app backend mock: login, schedules, booking and queue, lab results, signed
certificates and e-HAC style health declarations, in a hospital group's app / Mobile JKN flavour.

`python -m mock_services patient-app --port N --seed S --db PATH [--token-ttl SECONDS]`.

Where things are: `envelope` (the response envelope, error codes, the ErrorRenderer), `auth` and
`tokens` (login, refresh, bearer check), `catalog` (facility, polyclinics, schedules: the hot
path), `bookings` and `queue` (booking, cancel, queue status), `idempotency` (Idempotency-Key
replay), `lab` and `pdf` (lab results and their PDF), `certificates` and `certificates_signing`
(Ed25519-signed vaccination certificates), `declarations` (e-HAC style forms), `ledger` (the admin
ledger), `store` (SQLite), `options` (flags), `app` (wiring). README "Mock services" documents the
API for client authors.
"""

from mock_services.common.service import ServiceDefinition
from mock_services.patient_app.app import build_app
from mock_services.patient_app.options import add_arguments
from service_contract.services import ServiceName

SERVICE = ServiceDefinition(
    name=ServiceName.PATIENT_APP,
    summary="patient-app backend mock (login, schedules, booking, lab PDFs, certificates, e-HAC)",
    default_port=9103,
    add_arguments=add_arguments,
    build_app=build_app,
)

__all__ = ["SERVICE"]
