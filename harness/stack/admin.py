"""A client for one mock's fault admin API (`/__admin`): the harness drives mocks only over HTTP.

The bodies are the contract's (service_contract.admin), the same models the mocks validate with.

    admin = MockAdmin("bpjs", "http://127.0.0.1:18101")
    added = admin.add_fault(MaintenanceFault(kind="maintenance").admin_request())
    admin.faults()            # the active ones
    admin.clear_faults()      # -> how many were removed

Always call it on the mock's direct address, never through its proxy: the admin API must keep
working while the proxy is down or slowed. A mock serving HTTPS is verified with `verify`, a
context trusting the stack's CA (Topology.verify).
"""

from __future__ import annotations

import ssl
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from harness.errors import InfrastructureError, UsageError
from harness.net import require_loopback
from service_contract.admin import (
    ADMIN_PREFIX,
    ActiveAppFault,
    AdminError,
    AppFaultRequest,
    Cleared,
    FaultList,
    Health,
    Stats,
)

Body = TypeVar("Body", bound=BaseModel)


def describe_app_fault(fault: ActiveAppFault) -> str:
    """`http_error status=503 on GET /fhir-r4/* p=0.5`: one line for status, heal and reports."""
    params = " ".join(f"{k}={v}" for k, v in fault.params.items())
    where = fault.route if fault.methods is None else f"{','.join(fault.methods)} {fault.route}"
    share = "" if fault.probability == 1.0 else f" p={fault.probability:g}"
    return " ".join(part for part in (fault.kind.value, params, f"on {where}{share}") if part)


class MockAdmin:
    """The admin API of one running mock, with timeouts and one-line errors."""

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        timeout: float = 5.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        require_loopback(base_url)
        self.service = service
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=f"{self.base_url}{ADMIN_PREFIX}",
            timeout=timeout,
            trust_env=False,
            verify=verify,
        )

    def __enter__(self) -> MockAdmin:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def health(self) -> Health:
        return self._read(Health, "GET", "/health", what="report its health")

    def faults(self) -> tuple[ActiveAppFault, ...]:
        return tuple(self._read(FaultList, "GET", "/faults", what="list its faults").faults)

    def stats(self) -> Stats:
        return self._read(Stats, "GET", "/stats", what="report its stats")

    def add_fault(self, request: AppFaultRequest) -> ActiveAppFault:
        return self._read(
            ActiveAppFault,
            "POST",
            "/faults",
            json=request.model_dump(mode="json"),
            what=f"add fault {request.kind}",
        )

    def remove_fault(self, fault_id: str) -> bool:
        """Remove one fault; False if it was not active (already removed)."""
        try:
            self._call("DELETE", f"/faults/{fault_id}", what=f"remove fault {fault_id}")
        except _NotActive:
            return False
        return True

    def clear_faults(self) -> int:
        return self._read(Cleared, "DELETE", "/faults", what="clear its faults").cleared

    def _read(
        self,
        model: type[Body],
        method: str,
        path: str,
        *,
        what: str,
        json: dict[str, Any] | None = None,
    ) -> Body:
        response = self._call(method, path, what=what, json=json)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise InfrastructureError(
                f"the {self.service} mock answered {what} outside the contract: "
                f"{exc.errors()[0]['msg']}"
            ) from None

    def _call(
        self, method: str, path: str, *, what: str, json: dict[str, Any] | None = None
    ) -> httpx.Response:
        try:
            response = self._http.request(method, path, json=json)
        except httpx.HTTPError as exc:
            raise InfrastructureError(
                f"the {self.service} mock at {self.base_url} did not {what} ({exc}); is the "
                "stack up (`harness status`)?"
            ) from exc
        if response.status_code == 404 and method == "DELETE":
            raise _NotActive(path)
        if 400 <= response.status_code < 500:
            raise UsageError(f"the {self.service} mock refused to {what}: {_error(response)}")
        if response.status_code >= 500:
            raise InfrastructureError(
                f"the {self.service} mock failed to {what}: HTTP {response.status_code} "
                f"{_error(response)}"
            )
        return response


class _NotActive(Exception):
    """DELETE of a fault that is not active (any more)."""


def _error(response: httpx.Response) -> str:
    try:
        return AdminError.model_validate_json(response.content).error
    except ValidationError:
        return response.text.strip()[:200]
