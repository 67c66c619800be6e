"""`harness toxiproxy install`: provide the pinned toxiproxy server (harness.toxiproxy.install)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.toxiproxy.install import PINNED_VERSION, install


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    toxiproxy = subcommands.add_parser("toxiproxy", help="the toxiproxy server the harness uses")
    actions = toxiproxy.add_subparsers(dest="toxiproxy_command", metavar="ACTION", required=True)
    install_parser = actions.add_parser(
        "install",
        help=f"provide toxiproxy-server {PINNED_VERSION} (idempotent)",
        description=(
            "Use TOXIPROXY_URL (a running server) or TOXIPROXY_SERVER / PATH (a binary) as is; "
            f"otherwise build {PINNED_VERSION} with `go install` into the harness's bin folder "
            "($HARNESS_BIN_DIR; a checkout's .bin/; else ~/.cache/health-resilience-harness/bin), "
            "or "
            "download the release binary and check it against the release's checksums."
        ),
    )
    install_parser.add_argument(
        "--bin-dir",
        type=Path,
        default=None,
        help="where to install (default: $HARNESS_BIN_DIR, a checkout's .bin/, else the per-user "
        "cache folder, $XDG_CACHE_HOME/health-resilience-harness/bin)",
    )
    install_parser.set_defaults(handler=_install)


def _install(args: argparse.Namespace) -> int:
    provision = install(bin_dir=args.bin_dir)
    print(f"harness: {provision.describe()}")
    return 0
