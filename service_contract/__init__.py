"""The contract between the harness and the mock services: pure data, nothing that runs.

    services      ServiceName: bpjs, erm, patient-app
    faults        app fault kinds with their params models; toxiproxy's toxics with their
                  attributes
    admin         the bodies of every mock's admin API under /__admin (faults, stats, health)
    ledger        what each mock recorded (GET /__admin/ledger), typed record by record
    credentials   the mocks' development credentials

Both sides import it; it imports neither (only pydantic and the standard library), so the harness
still reaches the mocks over HTTP alone. A mock validates its admin API with these models and
answers with them; the harness builds its admin calls and reads the answers with the same models.

    from service_contract import ADMIN_PREFIX, AppFaultKind, AppFaultRequest
    body = AppFaultRequest(kind=AppFaultKind.MAINTENANCE, route="/vclaim-rest/Peserta/*")
    httpx.post(f"{url}{ADMIN_PREFIX}/faults", json=body.model_dump(mode="json"))
"""

from service_contract.admin import (
    ADMIN_PREFIX,
    ActiveAppFault,
    AdminError,
    AppFaultRequest,
    Cleared,
    FaultList,
    FaultStats,
    Health,
    Removed,
    Stats,
    StatsReset,
)
from service_contract.faults import (
    PARAMS_BY_KIND,
    TOXIC_ATTRIBUTES,
    AppFaultKind,
    AttributeSpec,
    DriftMode,
    FaultParams,
    ToxicType,
)
from service_contract.ledger import BpjsLedger, ErmLedger, MockLedger, PatientAppLedger
from service_contract.services import ServiceName

__all__ = [
    "ADMIN_PREFIX",
    "PARAMS_BY_KIND",
    "TOXIC_ATTRIBUTES",
    "ActiveAppFault",
    "AdminError",
    "AppFaultKind",
    "AppFaultRequest",
    "AttributeSpec",
    "BpjsLedger",
    "Cleared",
    "DriftMode",
    "ErmLedger",
    "FaultList",
    "FaultParams",
    "FaultStats",
    "Health",
    "MockLedger",
    "PatientAppLedger",
    "Removed",
    "ServiceName",
    "Stats",
    "StatsReset",
    "ToxicType",
]
