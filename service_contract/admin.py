"""The bodies of every mock's admin API under `/__admin` (never faulted, no token):

    GET    /__admin/health            -> Health
    GET    /__admin/faults            -> FaultList
    POST   /__admin/faults            AppFaultRequest -> ActiveAppFault (201)
    DELETE /__admin/faults            -> Cleared
    DELETE /__admin/faults/{id}       -> Removed, or AdminError (404) when it is not active
    GET    /__admin/stats             -> Stats
    POST   /__admin/stats/reset       -> StatsReset

A request the admin API refuses is answered with AdminError (400). The ledgers are in
`service_contract.ledger`.

    AppFaultRequest(kind=AppFaultKind.DELAY, route="/api/*", params={"ms": 500})
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from service_contract.faults import PARAMS_BY_KIND, AppFaultKind, FaultParams, Probability
from service_contract.services import ServiceName

ADMIN_PREFIX: Final = "/__admin"


def check_faultable(route: str) -> str:
    """`route` unchanged; ValueError if it is the admin API, which is never faulted."""
    if route.startswith(ADMIN_PREFIX):
        raise ValueError(f"route {route!r} is the admin API, which is never faulted")
    return route


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppFaultRequest(_Body):
    """The body of `POST /__admin/faults`: a kind, the requests it hits (an fnmatch glob on the
    path, optional methods), a per-request probability and the kind's params."""

    kind: AppFaultKind
    route: str = "*"
    methods: tuple[str, ...] | None = None
    probability: Probability = 1.0
    params: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("methods")
    @classmethod
    def _upper_methods(cls, methods: tuple[str, ...] | None) -> tuple[str, ...] | None:
        # Request methods arrive upper-case; a lower-case "get" would otherwise never match.
        return None if methods is None else tuple(m.upper() for m in methods)

    @model_validator(mode="after")
    def _check(self) -> AppFaultRequest:
        try:
            PARAMS_BY_KIND[self.kind].model_validate(self.params)
        except ValidationError as exc:
            # One line naming the kind and the param, not pydantic's multi-line report.
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "params"
            raise PydanticCustomError(
                "fault_params",
                "params of {kind}: {where}: {msg}",
                {"kind": self.kind.value, "where": where, "msg": first["msg"]},
            ) from None
        check_faultable(self.route)
        return self

    def typed_params(self) -> FaultParams:
        """The params as the kind's model, defaults filled in."""
        return PARAMS_BY_KIND[self.kind].model_validate(self.params)


class _Identified(_Body):
    id: str


class ActiveAppFault(AppFaultRequest, _Identified):
    """An app fault the mock holds: the request it was added with, and the id it was given."""


class FaultList(_Body):
    faults: list[ActiveAppFault]


class Cleared(_Body):
    cleared: int = Field(description="how many active faults were removed")


class Removed(_Body):
    removed: Literal[True] = True


class AdminError(_Body):
    """What the admin API answers a request it refuses."""

    error: str


class FaultStats(_Body):
    """One fault added since the last reset: how often it fired, and whether it still holds."""

    id: str
    kind: AppFaultKind
    route: str
    fired: int
    active: bool


class Stats(_Body):
    requests: dict[str, int] = Field(
        description='requests per "METHOD /route/template", those a fault answered included'
    )
    faults: list[FaultStats]


class StatsReset(_Body):
    reset: Literal[True] = True


class Health(_Body):
    service: ServiceName
    status: Literal["ok"] = "ok"
    seed: int
