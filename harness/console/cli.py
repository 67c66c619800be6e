"""`harness console [--port N] [--scenario-dir DIR] [--report-dir DIR] [--allow-host HOST]`.

Serves the console (harness.console.app) on 127.0.0.1 until Ctrl-C or SIGTERM, and prints its
URL with a random token, as Jupyter does. On its way out it stops every run started from the
page (each through its own teardown: faults healed, processes stopped) and takes back the faults
it injected with a duration that has not ended yet.
"""

from __future__ import annotations

import argparse
import secrets
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import Final

import uvicorn

from harness import paths
from harness.console.app import Console, build_app
from harness.console.runs import ConsoleRuns
from harness.errors import ExitCode, InfrastructureError, UsageError
from harness.library import scenarios_dir
from harness.net import LOOPBACK_HOST, require_loopback
from harness.process import Supervisor, owner_state_file, reap_abandoned
from harness.runner.signals import interruptible

SHUTDOWN_S: Final = 5  # open connections' grace on stopping; event streams end at once


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "console",
        help="a live console in the browser: the stack, faults by hand, runs as they happen",
        description="Serve a web page on 127.0.0.1 that shows the `harness up` stack and its "
        "faults (inject and heal by hand), and runs the library's scenarios with a live chart. "
        "The URL it prints carries a token every request needs. Stops on Ctrl-C or SIGTERM, "
        "stopping the runs it started.",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to serve on (default: a free one)"
    )
    parser.add_argument(
        "--scenario-dir",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also list your own scenarios from DIR (the built-in library is always listed)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        help="where runs started from the page go (default: reports)",
    )
    parser.add_argument(
        "--allow-host",
        default=None,
        metavar="HOST",
        help="serve on this non-loopback address instead of 127.0.0.1 (the token still applies)",
    )
    parser.add_argument(
        "--follow",
        type=Path,
        metavar="EVENTS_FILE",
        help="also show the run writing this events file (`harness run --events`); "
        "`harness run --ui` passes it",
    )
    parser.set_defaults(handler=_console)


class _Server(uvicorn.Server):
    """uvicorn's server, telling the console when a signal asks it to stop: its event streams
    end then, so the graceful shutdown does not wait for the runs they watch."""

    def __init__(self, config: uvicorn.Config, console: Console) -> None:
        super().__init__(config)
        self.console = console

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.console.stopping.set()
        super().handle_exit(sig, frame)


def _listen(host: str, port: int) -> socket.socket:
    if not 0 <= port <= 65_535:
        raise UsageError(f"--port {port}: give a TCP port from 1 to 65535 (0: a free one)")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InfrastructureError(
            f"cannot listen on {host}:{port} ({exc.strerror}); stop what uses it or give "
            "another --port"
        ) from None
    sock.listen(128)
    return sock


def _console(args: argparse.Namespace) -> int:
    host = LOOPBACK_HOST if args.allow_host is None else args.allow_host
    allowed = () if args.allow_host is None else (args.allow_host,)
    require_loopback(host, allowed_hosts=allowed)
    sock = _listen(host, args.port)
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    origin = f"http://{netloc}"
    hosts = {netloc} | ({f"localhost:{port}"} if host == LOOPBACK_HOST else set())
    state_dir = paths.state_dir()
    reap_abandoned(state_dir, "console")  # runs a `kill -9`ed console left
    with Supervisor(
        log_dir=args.report_dir / "console-logs",
        state_file=owner_state_file(state_dir, "console"),
    ) as supervisor:
        console = Console(
            token=token,
            origin=origin,
            runs=ConsoleRuns(report_dir=args.report_dir, supervisor=supervisor),
            scenario_dirs=(scenarios_dir(), *args.scenario_dir),
            hosts=frozenset(hosts),
            state_dir=state_dir,
        )
        if args.follow is not None:
            console.runs.follow(args.follow)
        config = uvicorn.Config(
            build_app(console),
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=SHUTDOWN_S,
        )
        server = _Server(config, console)
        # listening already: the URL printed answers at once
        print(f"console: {origin}/?token={token}", flush=True)
        print("harness: Ctrl-C stops the console and the runs it started", file=sys.stderr)
        try:
            # uvicorn shuts down on SIGINT / SIGTERM, then raises the signal again: as
            # KeyboardInterrupt here (interruptible), so the runs are stopped below.
            with interruptible():
                server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        finally:
            console.stopping.set()
            console.end_timed_faults()  # a timed fault ends now, not after the console
            console.runs.stop_all()
    print("harness: console stopped", file=sys.stderr)
    return int(ExitCode.OK)
