"""A client for one mock's fault admin API (`/__admin`): the harness drives mocks only over HTTP.

    admin = MockAdmin("bpjs", "http://127.0.0.1:18101")
    added = admin.add_fault(MaintenanceFault(kind="maintenance").admin_request())
    admin.faults()            # the active ones
    admin.clear_faults()      # -> how many were removed

Always call it on the mock's direct address, never through its proxy: the admin API must keep
working while the proxy is down or slowed.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, JsonValue

from harness.errors import InfrastructureError, UsageError
from harness.net import require_loopback
from service_contract.admin import ADMIN_PREFIX, AppFaultRequest


class ActiveAppFault(BaseModel):
    """An app fault as the mock reports it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    kind: str
    route: str = "*"
    methods: tuple[str, ...] | None = None
    probability: float = 1.0
    params: dict[str, JsonValue] = {}

    def describe(self) -> str:
        params = " ".join(f"{k}={v}" for k, v in self.params.items())
        where = self.route if self.methods is None else f"{','.join(self.methods)} {self.route}"
        share = "" if self.probability == 1.0 else f" p={self.probability:g}"
        return " ".join(part for part in (self.kind, params, f"on {where}{share}") if part)


class MockAdmin:
    """The admin API of one running mock, with timeouts and one-line errors."""

    def __init__(self, service: str, base_url: str, *, timeout: float = 5.0) -> None:
        require_loopback(base_url)
        self.service = service
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=f"{self.base_url}{ADMIN_PREFIX}", timeout=timeout, trust_env=False
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

    def health(self) -> dict[str, Any]:
        body: dict[str, Any] = self._call("GET", "/health", what="report its health").json()
        return body

    def faults(self) -> tuple[ActiveAppFault, ...]:
        body = self._call("GET", "/faults", what="list its faults").json()
        return tuple(ActiveAppFault.model_validate(raw) for raw in body["faults"])

    def add_fault(self, request: AppFaultRequest) -> ActiveAppFault:
        answer = self._call(
            "POST",
            "/faults",
            json=request.model_dump(mode="json"),
            what=f"add fault {request.kind}",
        )
        return ActiveAppFault.model_validate(answer.json())

    def remove_fault(self, fault_id: str) -> bool:
        """Remove one fault; False if it was not active (already removed)."""
        try:
            self._call("DELETE", f"/faults/{fault_id}", what=f"remove fault {fault_id}")
        except _NotActive:
            return False
        return True

    def clear_faults(self) -> int:
        body = self._call("DELETE", "/faults", what="clear its faults").json()
        return int(body["cleared"])

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
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])
    return response.text.strip()[:200]
