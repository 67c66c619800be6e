"""Starting the client under test from its definition, wired to the stack's proxies."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.client import ClientDefinition, TemplateName, load_client, render
from harness.errors import UsageError
from harness.net import LOOPBACK_HOST, free_ports, require_loopback
from harness.process import ManagedProcess, ProcessSpec, Supervisor, http_ready
from harness.stack.running import RunningStack
from service_contract import credentials


@dataclass(frozen=True)
class RunningClient:
    definition: ClientDefinition
    base_url: str
    process: ManagedProcess | None  # None: the user runs it

    @property
    def probe_url(self) -> str:
        return self.base_url.rstrip("/") + self.definition.probe_path


def template_values(
    definition: ClientDefinition,
    *,
    port: int,
    proxy_urls: Mapping[str, str],
    work_dir: Path,
    seed: int,
    ca_bundle: Path | None = None,
) -> dict[str, str]:
    """The placeholders' values for one run; `{ca_bundle}` is empty when the mocks serve HTTP."""
    values = {
        TemplateName.BPJS_URL: proxy_urls.get("bpjs", ""),
        TemplateName.ERM_URL: proxy_urls.get("erm", ""),
        TemplateName.PATIENT_APP_URL: proxy_urls.get("patient-app", ""),
        TemplateName.HOST: LOOPBACK_HOST,
        TemplateName.PORT: str(port),
        TemplateName.WORK_DIR: str(work_dir),
        TemplateName.SEED: str(seed),
        TemplateName.CA_BUNDLE: "" if ca_bundle is None else str(ca_bundle),
        # The mocks run with their development credentials; the client gets the same.
        TemplateName.BPJS_CONS_ID: credentials.BPJS_CONS_ID,
        TemplateName.BPJS_SECRET: credentials.BPJS_SECRET,
        TemplateName.BPJS_USER_KEY: credentials.BPJS_USER_KEY,
        TemplateName.ERM_CLIENT_ID: credentials.ERM_CLIENT_ID,
        TemplateName.ERM_CLIENT_SECRET: credentials.ERM_CLIENT_SECRET,
    }
    plain = {name.value: value for name, value in values.items()}
    plain[TemplateName.BASE_URL.value] = render(definition.base_url, plain)
    return plain


def start_client(
    sup: Supervisor,
    definition: ClientDefinition,
    *,
    definition_dir: Path,
    values: Mapping[str, str],
    allowed_hosts: tuple[str, ...] = (),
) -> RunningClient:
    """Start the client (if it has a command) and wait until its readiness path answers."""
    base_url = values[TemplateName.BASE_URL.value]
    require_loopback(base_url, allowed_hosts=allowed_hosts)
    ready = http_ready(base_url.rstrip("/") + definition.readiness.path)
    if definition.command is None:
        if not ready():
            raise UsageError(
                f"client {definition.name} has no command and nothing answers at {base_url}; "
                "start it first or give its command in the client file"
            )
        return RunningClient(definition, base_url, None)
    argv = [render(part, values) for part in definition.command]
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable  # the harness's own interpreter, with the project installed
    cwd = definition_dir / definition.cwd if definition.cwd else definition_dir
    env = {name: render(value, values) for name, value in definition.env.items()}
    Path(values[TemplateName.WORK_DIR.value]).mkdir(parents=True, exist_ok=True)
    spec = ProcessSpec(
        name=f"client-{definition.name}",
        argv=argv,
        env=env,
        cwd=cwd.resolve(),
        ready=ready,
        ready_timeout=definition.readiness.timeout,
    )
    return RunningClient(definition, base_url, sup.start(spec))


def start_on_stack(
    sup: Supervisor,
    stack: RunningStack,
    definition: ClientDefinition,
    *,
    definition_dir: Path,
    port: int,
    work_dir: Path,
    allowed_hosts: tuple[str, ...] = (),
) -> RunningClient:
    """Start the client wired to `stack`'s proxies (see start_client); one the harness started
    becomes the stack's `client` target of kill, restart and pause."""
    values = template_values(
        definition,
        port=definition.port or port,
        proxy_urls={str(s.service): s.proxy_url for s in stack.topology.services},
        work_dir=work_dir,
        seed=stack.topology.seed,
        ca_bundle=stack.ca_bundle,
    )
    running = start_client(
        sup, definition, definition_dir=definition_dir, values=values, allowed_hosts=allowed_hosts
    )
    if running.process is not None:
        stack.attach_client(sup, running.process)
    return running


def start_client_file(
    sup: Supervisor,
    stack: RunningStack,
    path: Path,
    *,
    work_dir: Path,
    allowed_hosts: tuple[str, ...] = (),
) -> tuple[ClientDefinition, RunningClient]:
    """Load the client file at `path` and start it on `stack` on a free port (its relative
    paths from the file's folder): `harness up --client` and the plugin's harness_client."""
    definition = load_client(path, allowed_hosts=allowed_hosts)
    running = start_on_stack(
        sup,
        stack,
        definition,
        definition_dir=path.resolve().parent,
        port=free_ports(1)[0],
        work_dir=work_dir,
        allowed_hosts=allowed_hosts,
    )
    return definition, running


def describe_command(definition: ClientDefinition, values: Mapping[str, str]) -> str:
    if definition.command is None:
        return "(already running)"
    return shlex.join(render(part, values) for part in definition.command)
