"""By-hand commands to reproduce an incident on a laptop: up, status, inject, heal, down.

    harness up                                  # toxiproxy + 3 mocks + 3 proxies; Ctrl-C stops
    harness up --client examples/clients/resilient.yaml   # ... and the client under test
    harness up --tls                            # every mock over HTTPS (a CA of its own)
    harness status [--json]
    harness inject bpjs down --for 30s          # network fault (toxiproxy)
    harness inject erm http_error status=503    # app fault (the mock's admin API)
    harness inject erm kill --for 10s           # process fault (kill -9, started again after)
    harness inject client pause --for 5s        # the client `up --client` started, frozen
    harness heal [service]
    harness down

Exit codes: 0 ok, 2 usage (unknown service, fault or attribute), 3 infrastructure (no stack,
a busy port, a process that died), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import FrameType

from pydantic import BaseModel, ConfigDict

from harness import paths
from harness.client import load_client
from harness.console.child import start_console
from harness.durations import format_duration, parse_duration
from harness.errors import ExitCode, ProcessStartError, UsageError
from harness.faults import RestartFault
from harness.process import Supervisor, wait_until
from harness.runner.client import start_client_file
from harness.scenario.cli import add_allow_host
from harness.scenario.types import CLIENT, ServiceName, Target
from harness.stack import control, state, tls
from harness.stack.admin import describe_app_fault
from harness.stack.control import OwnerClient, OwnerMocks, serve_pending
from harness.stack.running import (
    RunningStack,
    SupervisedMocks,
    SupervisedProcess,
    running_stack,
)
from harness.stack.topology import (
    DEFAULT_MOCK_PORTS,
    DEFAULT_PROXY_PORTS,
    DEFAULT_SEED,
    ServicePorts,
    Topology,
    service_name,
)
from harness.stack.words import fault_names, parse_fault
from harness.toxiproxy.adapter import DEFAULT_API_PORT, ProxyState, ToxiproxyClient
from harness.toxiproxy.install import install, locate
from service_contract.admin import ActiveAppFault

TICK_S = 0.1  # how often `harness up` checks its processes and serves kill/restart requests


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ports = ", ".join(f"{s}={DEFAULT_MOCK_PORTS[s]}:{DEFAULT_PROXY_PORTS[s]}" for s in ServiceName)
    up = subcommands.add_parser(
        "up",
        help="start toxiproxy, the mocks and one proxy per mock; runs until Ctrl-C or `down`",
        description=(
            f"Start toxiproxy (API on 127.0.0.1:{DEFAULT_API_PORT}), the mocks and one proxy "
            f"per mock (default ports SERVICE=MOCK:PROXY: {ports}). Clients use the proxy URLs."
        ),
    )
    up.add_argument("--seed", type=int, default=DEFAULT_SEED, help="dataset seed (default 1)")
    up.add_argument("--toxiproxy-port", type=int, default=DEFAULT_API_PORT, metavar="PORT")
    up.add_argument(
        "--port",
        action="append",
        default=[],
        metavar="SERVICE=MOCK:PROXY",
        help="ports of one service, e.g. bpjs=19101:19201 (repeatable)",
    )
    up.add_argument(
        "--services",
        default=",".join(ServiceName),
        help="comma list of the mocks to start (default: all)",
    )
    up.add_argument("--db-dir", type=Path, default=None, help="SQLite files (default .state/db)")
    up.add_argument("--for", dest="duration", default=None, help="stop by itself after e.g. 10m")
    up.add_argument(
        "--client",
        type=Path,
        default=None,
        metavar="FILE",
        help="also start the client under test of this client file, wired to the proxies; "
        "then `harness inject client kill|restart|pause` can hit it",
    )
    add_allow_host(up)
    up.add_argument(
        "--tls",
        action="store_true",
        help="serve every mock over HTTPS with a certificate from a CA made for this stack "
        "(.state/tls/ca.pem: make your client trust it); the URLs become https://",
    )
    up.add_argument(
        "--ui",
        action="store_true",
        help="also serve the console (`harness console`) on this stack, and print its URL",
    )
    up.set_defaults(handler=_up)

    status = subcommands.add_parser("status", help="proxies, network faults and app faults")
    status.add_argument("--json", action="store_true", help="print it as JSON")
    status.set_defaults(handler=_status)

    inject = subcommands.add_parser(
        "inject",
        help="apply a network, app or process fault to a service of the running stack",
        description=f"Faults: {fault_names()}.",
    )
    inject.add_argument(
        "service", help=", ".join(ServiceName) + ", or client (started by `harness up --client`)"
    )
    inject.add_argument("fault", help="a fault kind, e.g. latency, down, http_error")
    inject.add_argument("attributes", nargs="*", metavar="key=value", help="e.g. latency=300")
    inject.add_argument(
        "--for", dest="duration", default=None, help="remove it after e.g. 30s (waits)"
    )
    inject.set_defaults(handler=_inject)

    heal = subcommands.add_parser("heal", help="remove every fault (of one service)")
    heal.add_argument(
        "service", nargs="?", default=None, help=", ".join(ServiceName) + ", or client"
    )
    heal.set_defaults(handler=_heal)

    down = subcommands.add_parser("down", help="stop the stack that `harness up` started")
    down.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")
    down.set_defaults(handler=_down)


# -- up ---------------------------------------------------------------------------------------


def _topology(args: argparse.Namespace, state_dir: Path) -> Topology:
    wanted = [service_name(raw.strip()) for raw in args.services.split(",") if raw.strip()]
    chosen = {s: (DEFAULT_MOCK_PORTS[s], DEFAULT_PROXY_PORTS[s]) for s in wanted}
    for spec in args.port:
        name, sep, pair = spec.partition("=")
        mock, colon, proxy = pair.partition(":")
        if not (sep and colon and mock.isdigit() and proxy.isdigit()):
            raise UsageError(
                f"--port {spec!r}: write SERVICE=MOCK_PORT:PROXY_PORT, e.g. bpjs=19101:19201"
            )
        service = service_name(name)
        if service not in chosen:
            raise UsageError(f"--port {spec!r}: {service} is not among --services")
        chosen[service] = (int(mock), int(proxy))
    return Topology(
        toxiproxy_port=args.toxiproxy_port,
        services=tuple(
            ServicePorts(service=s, mock_port=m, proxy_port=p) for s, (m, p) in chosen.items()
        ),
        seed=args.seed,
        db_dir=args.db_dir or state_dir / "db",
    )


def _with_tls(topology: Topology, state_dir: Path) -> Topology:
    """The topology with a CA and a certificate issued for this stack (replacing older ones)."""
    return replace(topology, tls=tls.issue(state_dir / "tls"))


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP set `stop` instead of killing us, so teardown always runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    wanted = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, handler) for sig in wanted}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _up(args: argparse.Namespace) -> int:
    state_dir = paths.state_dir()
    topology = _topology(args, state_dir)
    duration = _duration(args.duration)
    allowed_hosts = tuple(args.allow_host)
    if args.client is not None:  # checked before anything starts
        client = load_client(args.client, allowed_hosts=allowed_hosts)
        if client.command is None:
            raise UsageError(
                f"--client {args.client}: the client file has no command, so `harness up` "
                "cannot start it; give its command in the file, or start it yourself and point "
                "it at the proxy URLs without --client"
            )
    existing = state.read(state_dir)
    if existing is not None and existing.owner_alive():
        raise ProcessStartError(
            f"a stack is already up (`harness up`, pid {existing.owner_pid}); stop it with "
            "`harness down` first"
        )
    state.remove(state_dir)  # the Supervisor below reaps what a dead owner left running
    control.clear(state_dir)  # requests meant for an earlier stack
    if args.tls:
        topology = _with_tls(topology, state_dir)
    if locate() is None:
        print("harness: providing toxiproxy first (`harness toxiproxy install`)...", flush=True)
    provision = install()
    stop = threading.Event()
    log_dir = state_dir / "logs"
    with (
        _stop_on_signals(stop),
        Supervisor(log_dir=log_dir, state_file=state_dir / state.PIDS_FILE) as supervisor,
        running_stack(supervisor, topology, provision=provision) as stack,
    ):
        endpoint = None
        if args.client is not None:
            endpoint = _start_client(
                supervisor, stack, args.client, state_dir, allowed_hosts=allowed_hosts
            )
        info = state.StackInfo.of(
            topology, toxiproxy_url=stack.toxiproxy.url, log_dir=log_dir, client=endpoint
        )
        _print_urls(info, stack.toxiproxy.version())
        assert isinstance(stack.mocks, SupervisedMocks)  # running_stack's own
        try:
            state.write(state_dir, info)  # last: other commands take it as "the stack is ready"
            ignored: set[str] = set()
            if args.ui:
                url, console = start_console(supervisor)
                ignored.add(console.name)  # its end is not the stack's: it says why in its log
                print(f"harness: console: {url}", flush=True)
            _run_until_stopped(
                supervisor,
                stack.mocks,
                stack.client,
                stop,
                state_dir,
                duration=duration,
                ignored=ignored,
            )
        finally:
            state.remove(state_dir)
            control.clear(state_dir)
    print("harness: stack stopped", flush=True)
    return int(ExitCode.OK)


def _start_client(
    supervisor: Supervisor,
    stack: RunningStack,
    path: Path,
    state_dir: Path,
    *,
    allowed_hosts: tuple[str, ...],
) -> state.ClientEndpoint:
    """Start the client under test on the stack, its files in .state/client (kept across its
    restarts, fresh for each `harness up`)."""
    work_dir = state_dir / "client"
    shutil.rmtree(work_dir, ignore_errors=True)
    definition, running = start_client_file(
        supervisor, stack, path, work_dir=work_dir, allowed_hosts=allowed_hosts
    )
    assert running.process is not None  # _up refuses a client file without a command
    return state.ClientEndpoint(
        name=definition.name,
        base_url=running.base_url,
        command=shlex.join(running.process.spec.argv),
    )


def _print_urls(info: state.StackInfo, version: str) -> None:
    print(f"harness: stack up (seed {info.seed}); point your client at the proxy URLs:")
    for s in info.services:
        print(f"  {s.name:<12} {s.proxy_url}   (direct, never faulted: {s.direct_url})")
    if info.client is not None:
        print(f"  client       {info.client.base_url}   ({info.client.name}, send patients here)")
    if info.ca_bundle is not None:
        print(f"TLS: the mocks serve HTTPS; make your client trust the CA {info.ca_bundle}")
    print(f"toxiproxy {version} API: {info.toxiproxy_url}; logs in {info.log_dir}")
    client_fault = ", `harness inject client kill --for 5s`" if info.client is not None else ""
    print(
        "faults: `harness inject bpjs down --for 30s`, `harness inject erm kill --for 10s`"
        f"{client_fault}, `harness status`, `harness heal`"
    )
    print("stop with Ctrl-C or `harness down`", flush=True)


def _run_until_stopped(
    supervisor: Supervisor,
    mocks: SupervisedMocks,
    client: SupervisedProcess | None,
    stop: threading.Event,
    state_dir: Path,
    *,
    duration: float | None,
    ignored: set[str] | None = None,
) -> None:
    """Serve kill/restart requests of `harness inject` and `heal`; stop the stack when a process
    dies that no fault killed, at `duration`, or on a signal."""
    deadline = None if duration is None else time.monotonic() + duration
    targets = {str(service) for service in mocks.services} | (ignored or set())
    if client is not None:
        targets.add(client.process.name)
    while not stop.wait(TICK_S):
        serve_pending(state_dir, mocks, client)
        dead = mocks.crashed() + [
            p for p in supervisor.processes if p.name not in targets and not p.alive()
        ]
        if client is not None and client.crashed:
            dead.append(client.process)
        if dead:
            proc = dead[0]
            raise ProcessStartError(
                f"{proc.name} exited with code {proc.popen.returncode} while the stack was "
                f"up; stopping the stack. Its last output:\n{proc.output_tail()}"
            )
        if deadline is not None and time.monotonic() >= deadline:
            return


# -- status -----------------------------------------------------------------------------------


class ServiceStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: ServiceName
    proxy_url: str
    direct_url: str
    app_faults: tuple[ActiveAppFault, ...]
    process: str = "running"  # or why the mock is not running, e.g. "killed by a fault"


class ClientStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    base_url: str
    process: str = "running"  # or why it is not, e.g. "paused by a fault"


class StackStatus(BaseModel):
    """What `harness status --json` prints."""

    model_config = ConfigDict(frozen=True)

    owner_pid: int
    seed: int
    toxiproxy_url: str
    toxiproxy_version: str
    proxies: tuple[ProxyState, ...]
    services: tuple[ServiceStatus, ...]
    client: ClientStatus | None = None  # the client under test `harness up --client` started
    ca_bundle: str | None = None  # with TLS: the CA certificate clients must trust


@contextlib.contextmanager
def attach(info: state.StackInfo, state_dir: Path) -> Iterator[RunningStack]:
    """The stack of a running `harness up`, from another process: network and app faults
    directly, process faults asked of that owner."""
    mocks = OwnerMocks(state_dir, owner_alive=info.owner_alive)
    with (
        ToxiproxyClient(info.toxiproxy_url) as toxiproxy,
        RunningStack(info.topology(), toxiproxy, mocks) as stack,
    ):
        if info.client is not None:
            stack.remote_client = OwnerClient(mocks)
        yield stack


def stack_status(info: state.StackInfo, stack: RunningStack) -> StackStatus:
    down = stack.mocks.down()
    services = [
        ServiceStatus(
            name=s.name,
            proxy_url=s.proxy_url,
            direct_url=s.direct_url,
            app_faults=() if s.name in down else stack.app_faults(s.name),
            process=f"not running ({down[s.name]})" if s.name in down else "running",
        )
        for s in info.services
    ]
    client = None
    if info.client is not None and stack.client_target is not None:
        why = stack.client_target.down()
        client = ClientStatus(
            name=info.client.name,
            base_url=info.client.base_url,
            process="running" if why is None else f"not running ({why})",
        )
    return StackStatus(
        client=client,
        owner_pid=info.owner_pid,
        seed=info.seed,
        toxiproxy_url=info.toxiproxy_url,
        toxiproxy_version=stack.toxiproxy.version(),
        proxies=stack.toxiproxy.proxies(),
        services=tuple(services),
        ca_bundle=info.ca_bundle,
    )


def _status(args: argparse.Namespace) -> int:
    state_dir = paths.state_dir()
    info = state.require_running(state_dir)
    with attach(info, state_dir) as stack:
        status = stack_status(info, stack)
    if args.json:
        print(status.model_dump_json(indent=2))
        return int(ExitCode.OK)
    print(
        f"stack of `harness up` pid {status.owner_pid}, seed {status.seed}; toxiproxy "
        f"{status.toxiproxy_version} at {status.toxiproxy_url}"
    )
    if status.ca_bundle is not None:
        print(f"TLS: the mocks serve HTTPS; clients trust the CA {status.ca_bundle}")
    proxies = {p.name: p for p in status.proxies}
    for s in status.services:
        proxy = proxies.get(str(s.name))
        if proxy is None:
            print(f"{s.name:<12} proxy missing in toxiproxy (restart with `harness down` + `up`)")
            continue
        state_word = "up" if proxy.enabled else "DOWN (connections refused)"
        print(f"{s.name:<12} {s.proxy_url} -> {proxy.upstream}  {state_word}")
        for toxic in proxy.toxics:
            attrs = " ".join(f"{k}={v}" for k, v in toxic.attributes.items())
            share = "" if toxic.toxicity == 1.0 else f", toxicity={toxic.toxicity:g}"
            print(f"  network: {toxic.type} {attrs} ({toxic.stream}{share})")
        for fault in s.app_faults:
            print(f"  app:     [{fault.id}] {describe_app_fault(fault)}")
        if s.process != "running":
            print(f"  process: {s.process}")
        if not proxy.toxics and not s.app_faults and proxy.enabled and s.process == "running":
            print("  no faults")
    if status.client is not None:
        print(f"{'client':<12} {status.client.base_url} ({status.client.name})")
        print(f"  process: {status.client.process}")
    return int(ExitCode.OK)


# -- inject, heal, down -----------------------------------------------------------------------


def _duration(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        return parse_duration(raw)
    except ValueError as exc:
        raise UsageError(f"--for {raw!r}: {exc}") from None


def _inject(args: argparse.Namespace) -> int:
    service: Target = CLIENT if args.service == CLIENT else service_name(args.service)
    fault = parse_fault(args.fault, args.attributes)
    duration = _duration(args.duration)
    if isinstance(fault, RestartFault) and duration is not None:
        raise UsageError("restart is instantaneous (stopped and started at once); drop --for")
    state_dir = paths.state_dir()
    info = state.require_running(state_dir)
    if service != CLIENT:
        info.service(service)
    elif info.client is None:
        raise UsageError(
            "no client under test in this stack: start it with the stack, "
            "`harness up --client FILE`"
        )
    with attach(info, state_dir) as stack:
        try:
            applied = stack.apply(service, fault, replace=True)
        except KeyboardInterrupt:
            print(
                f"harness: interrupted while asking for {fault.kind}; it may have happened: "
                f"`harness status` shows it, `harness heal {service}` takes it back",
                file=sys.stderr,
            )
            raise
        if isinstance(fault, RestartFault):
            what = "the client" if service == CLIENT else f"the {service} mock"
            took = applied.back_after_s or 0.0
            print(f"harness: restarted {what} (its data kept), ready after {took:.2f}s", flush=True)
            return int(ExitCode.OK)
        verb = "updated" if applied.replaced else "injected"
        print(f"harness: {verb} {applied.describe()}", flush=True)
        if duration is None:
            print(f"harness: it stays until `harness heal {service}`")
            return int(ExitCode.OK)
        stop = threading.Event()
        with _stop_on_signals(stop):
            print(f"harness: removing it in {format_duration(duration)} (Ctrl-C: now)", flush=True)
            interrupted = stop.wait(duration)
            stack.remove(applied)
        print(f"harness: removed {applied.describe()}")
    return int(ExitCode.INTERRUPTED if interrupted else ExitCode.OK)


def _heal(args: argparse.Namespace) -> int:
    state_dir = paths.state_dir()
    info = state.require_running(state_dir)
    names: list[Target] = [s.name for s in info.services]
    if args.service == CLIENT:
        if info.client is None:
            raise UsageError("no client under test in this stack (`harness up --client FILE`)")
        names = [CLIENT]
    elif args.service:
        names = [info.service(args.service).name]
    elif info.client is not None:
        names.append(CLIENT)
    with attach(info, state_dir) as stack:
        for name in names:
            healed = [what.partition(": ")[2] for what in stack.heal(name)]
            print(f"harness: healed {name}: {'; '.join(healed) if healed else 'no faults'}")
    return int(ExitCode.OK)


def _down(args: argparse.Namespace) -> int:
    state_dir = paths.state_dir()
    info = state.read(state_dir)
    control.clear(state_dir)
    if info is not None and info.owner_alive():
        os.kill(info.owner_pid, signal.SIGTERM)  # its own teardown stops everything it started
        try:
            wait_until(
                lambda: not info.owner_alive(),
                timeout=args.timeout,
                what=f"`harness up` (pid {info.owner_pid}) to stop",
            )
        except TimeoutError:
            os.kill(info.owner_pid, signal.SIGKILL)
            stopped = state.reap_leftovers(state_dir)
            left = ", ".join(stopped) or "nothing else"
            print(f"harness: `harness up` did not stop in {args.timeout:g}s; killed it and {left}")
            return int(ExitCode.OK)
        print(f"harness: stack stopped (`harness up` pid {info.owner_pid})")
        return int(ExitCode.OK)
    stopped = state.reap_leftovers(state_dir)
    if info is None and not stopped:
        print("harness: no stack is up")
    else:
        print(f"harness: the stack's owner was gone; stopped: {', '.join(stopped) or 'nothing'}")
    return int(ExitCode.OK)
