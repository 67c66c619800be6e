"""The state of a stack started by `harness up`, so that other commands can find and stop it.

.state/stack.json        this model: the owner process, toxiproxy URL, each service's URLs
.state/stack.pids.json   the Supervisor's pid records, reaped if the owner died by kill -9
.state/logs/             each process's output
.state/db/               the mocks' SQLite files (kept across restarts)
.state/tls/              with `harness up --tls`: the stack's CA (ca.pem) and the mocks' certificate
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from harness.errors import InfrastructureError, UsageError
from harness.process import reap_orphans
from harness.scenario.types import ServiceName
from harness.stack.tls import TlsFiles
from harness.stack.topology import ServicePorts, Topology, service_name

STACK_FILE = "stack.json"
PIDS_FILE = "stack.pids.json"


class ServiceEndpoints(BaseModel):
    """Where a client reaches a service (through its proxy) and where the harness reaches it."""

    model_config = ConfigDict(frozen=True)

    name: ServiceName
    proxy_url: str
    direct_url: str


class ClientEndpoint(BaseModel):
    """The client under test that `harness up --client` started."""

    model_config = ConfigDict(frozen=True)

    name: str
    base_url: str
    command: str


class StackInfo(BaseModel):
    """What `harness up` writes once everything is ready."""

    model_config = ConfigDict(frozen=True)

    owner_pid: int
    owner_argv: tuple[str, ...]
    started_at: float
    seed: int
    toxiproxy_url: str
    services: tuple[ServiceEndpoints, ...]
    log_dir: str
    client: ClientEndpoint | None = None
    ca_bundle: str | None = None
    """With TLS: the CA certificate (PEM) clients must trust, and the harness verifies with."""

    @classmethod
    def of(
        cls,
        topology: Topology,
        *,
        toxiproxy_url: str,
        log_dir: Path,
        client: ClientEndpoint | None = None,
    ) -> StackInfo:
        return cls(
            owner_pid=os.getpid(),
            owner_argv=tuple(_cmdline(os.getpid()) or ()),
            started_at=time.time(),
            seed=topology.seed,
            toxiproxy_url=toxiproxy_url,
            services=tuple(
                ServiceEndpoints(name=s.service, proxy_url=s.proxy_url, direct_url=s.direct_url)
                for s in topology.services
            ),
            log_dir=str(log_dir),
            client=client,
            ca_bundle=None if topology.tls is None else str(topology.tls.ca_bundle),
        )

    def topology(self) -> Topology:
        """The topology this stack was started with, read back from its URLs."""
        return Topology(
            toxiproxy_port=_port(self.toxiproxy_url),
            services=tuple(
                ServicePorts(
                    service=s.name, mock_port=_port(s.direct_url), proxy_port=_port(s.proxy_url)
                )
                for s in self.services
            ),
            seed=self.seed,
            tls=None if self.ca_bundle is None else TlsFiles.of_ca_bundle(self.ca_bundle),
        )

    def service(self, raw: str) -> ServiceEndpoints:
        """The running service called `raw`; a usage error if there is none."""
        name = service_name(raw)
        for endpoints in self.services:
            if endpoints.name == name:
                return endpoints
        running = ", ".join(s.name.value for s in self.services)
        raise UsageError(f"{name} is not part of the running stack (it runs: {running})")

    def owner_alive(self) -> bool:
        """True while the `harness up` process that wrote this is still running."""
        return _cmdline(self.owner_pid) == list(self.owner_argv)


def write(state_dir: Path, info: StackInfo) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / STACK_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(info.model_dump_json(indent=2))
    tmp.replace(path)  # readers never see half a file
    return path


def read(state_dir: Path) -> StackInfo | None:
    try:
        return StackInfo.model_validate_json((state_dir / STACK_FILE).read_text())
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise InfrastructureError(
            f"{state_dir / STACK_FILE} is unreadable ({exc}); run `harness down` to clean up"
        ) from exc


def require_running(state_dir: Path) -> StackInfo:
    """The running stack, or an infrastructure error that says how to start one."""
    info = read(state_dir)
    if info is None:
        raise InfrastructureError(
            f"no stack is up (no {state_dir / STACK_FILE}); start one with `harness up`"
        )
    if not info.owner_alive():
        raise InfrastructureError(
            f"the stack's `harness up` process ({info.owner_pid}) is gone; run `harness down` to "
            "clean up, then `harness up`"
        )
    return info


def remove(state_dir: Path) -> None:
    (state_dir / STACK_FILE).unlink(missing_ok=True)


def reap_leftovers(state_dir: Path) -> list[str]:
    """Stop processes a stack whose owner died left behind, and forget that stack."""
    stopped = reap_orphans(state_dir / PIDS_FILE)
    remove(state_dir)
    return stopped


def _port(url: str) -> int:
    port = urlsplit(url).port
    if port is None:
        raise InfrastructureError(f"{url} in {STACK_FILE} has no port; run `harness down`")
    return port


def _cmdline(pid: int) -> list[str] | None:
    with contextlib.suppress(OSError):
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        return [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    return None
