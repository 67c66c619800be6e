"""Providing the real Shopify toxiproxy server, pinned to v2.12.0, with no manual step.

In this order of preference (`install` stops at the first that works; `locate` does the same
without installing anything):

1. TOXIPROXY_URL: a server that is already running (a container, a shared dev box), used as is;
2. TOXIPROXY_SERVER: a toxiproxy-server binary given by path, used as is;
3. the harness's bin directory (harness.paths.bin_dir: HARNESS_BIN_DIR, a checkout's `.bin/`, else
   the per-user cache folder), if it holds the pinned version already: nothing to do;
4. a `toxiproxy-server` on PATH, used as is;
5. with Go: `go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0` (and cmd/cli), the
   version stamped through -ldflags like the official release build, into a temporary GOBIN and
   then into that bin directory as `toxiproxy-server` and `toxiproxy-cli` (go names them
   `server` and `cli`);
6. without Go: the official release binaries, checked against the release's checksums file
   (harness.toxiproxy.release).

If none works, ToxiproxyMissingError lists every way to provide it (exit code 3).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from harness import paths
from harness.errors import HarnessError
from harness.toxiproxy.adapter import ToxiproxyClient
from harness.toxiproxy.errors import ToxiproxyMissingError
from harness.toxiproxy.release import RELEASE_BASE_URL, download_release

PINNED_VERSION: Final = "2.12.0"
GO_MODULE: Final = "github.com/Shopify/toxiproxy/v2"
# The variable the official release build stamps (.goreleaser.yml: -X <module>.Version=...).
VERSION_VARIABLE: Final = f"{GO_MODULE}.Version"
SERVER_NAME: Final = "toxiproxy-server"
CLI_NAME: Final = "toxiproxy-cli"

_VERSION_LINE = re.compile(r"toxiproxy-(?:server|cli) version (?P<version>\S+)")


class Source(StrEnum):
    """Where the toxiproxy server in use comes from."""

    RUNNING_SERVER = "TOXIPROXY_URL"
    EXPLICIT_BINARY = "TOXIPROXY_SERVER"
    ALREADY_INSTALLED = "already installed"
    PATH = "PATH"
    GO_INSTALL = "go install"
    RELEASE_DOWNLOAD = "release download"


@dataclass(frozen=True, kw_only=True)
class Provision:
    """A usable toxiproxy: either a binary to start (`server`) or a running server (`url`)."""

    source: Source
    version: str
    server: Path | None = None
    cli: Path | None = None
    url: str | None = None

    def describe(self) -> str:
        where = self.url if self.url else str(self.server)
        return f"toxiproxy {self.version} ({self.source}): {where}"


def binary_version(binary: Path | str, *, timeout: float = 10.0) -> str | None:
    """The version a toxiproxy-server or toxiproxy-cli binary reports, or None if it is not one."""
    try:
        done = subprocess.run(
            [str(binary), "-version" if Path(binary).name != CLI_NAME else "--version"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION_LINE.search(done.stdout + done.stderr)
    return match["version"] if match else None


def locate(
    *,
    env: Mapping[str, str] = os.environ,
    bin_dir: Path | None = None,
    version: str = PINNED_VERSION,
) -> Provision | None:
    """The toxiproxy to use, by the order of preference above, without installing anything."""
    url = env.get("TOXIPROXY_URL")
    if url:
        return Provision(source=Source.RUNNING_SERVER, version="unknown", url=url)
    explicit = env.get("TOXIPROXY_SERVER")
    if explicit:
        found = binary_version(explicit)
        if found is None:
            raise ToxiproxyMissingError(
                f"TOXIPROXY_SERVER={explicit} is not a working toxiproxy-server (`{explicit} "
                "-version` failed); fix the path or unset TOXIPROXY_SERVER"
            )
        return Provision(source=Source.EXPLICIT_BINARY, version=found, server=Path(explicit))
    local = _installed(bin_dir or paths.bin_dir(env), version)
    if local is not None:
        return local
    on_path = shutil.which(SERVER_NAME, path=env.get("PATH"))
    if on_path:
        found = binary_version(on_path)
        if found is not None:
            cli = shutil.which(CLI_NAME, path=env.get("PATH"))
            return Provision(
                source=Source.PATH,
                version=found,
                server=Path(on_path),
                cli=Path(cli) if cli else None,
            )
    return None


def require(
    *,
    env: Mapping[str, str] = os.environ,
    bin_dir: Path | None = None,
    version: str = PINNED_VERSION,
) -> Provision:
    """Like `locate`, but a missing toxiproxy is an error that says how to provide it."""
    found = locate(env=env, bin_dir=bin_dir, version=version)
    if found is None:
        raise ToxiproxyMissingError(
            f"toxiproxy-server {version} is not installed; run `harness toxiproxy install` (it "
            "builds it with Go or downloads the release), put it on PATH, set "
            "TOXIPROXY_SERVER=/path/to/toxiproxy-server, or point TOXIPROXY_URL at a running server"
        )
    return found


def install(
    *,
    env: Mapping[str, str] = os.environ,
    bin_dir: Path | None = None,
    version: str = PINNED_VERSION,
    release_base_url: str | None = None,
    go_timeout: float = 900.0,
) -> Provision:
    """Provide toxiproxy by the order of preference above. Idempotent: quick when already there."""
    target = bin_dir or paths.bin_dir(env)
    found = locate(env=env, bin_dir=target, version=version)
    if found is not None and found.url is not None:
        with ToxiproxyClient(found.url) as client:
            return Provision(source=found.source, version=client.version(), url=client.url)
    if found is not None:
        return found

    reasons: list[str] = []
    go = shutil.which("go", path=env.get("PATH"))
    if go is None:
        reasons.append("Go is not on PATH")
    else:
        try:
            return go_install(go=go, version=version, bin_dir=target, env=env, timeout=go_timeout)
        except HarnessError as exc:
            reasons.append(str(exc))
    base_url = release_base_url or env.get("TOXIPROXY_RELEASE_URL") or RELEASE_BASE_URL
    try:
        download_release(
            version=version,
            programs={SERVER_NAME: SERVER_NAME, CLI_NAME: CLI_NAME},
            dest_dir=target,
            base_url=base_url,
        )
        return _verified(target, version, Source.RELEASE_DOWNLOAD)
    except HarnessError as exc:
        reasons.append(str(exc))
    raise ToxiproxyMissingError(
        f"could not provide toxiproxy-server {version} ({'; '.join(reasons)}). Provide it one of "
        "these ways: install Go (https://go.dev/dl/) and run `harness toxiproxy install`; put "
        "toxiproxy-server on PATH or set TOXIPROXY_SERVER=/path/to/toxiproxy-server; set "
        "TOXIPROXY_URL=http://127.0.0.1:8474 to use a server that is already running; or allow "
        "downloads of the release binaries (TOXIPROXY_RELEASE_URL may name a mirror)"
    )


def go_install(
    *,
    go: str,
    version: str,
    bin_dir: Path,
    env: Mapping[str, str],
    timeout: float,
) -> Provision:
    """Build server and cli with `go install`, the version stamped; install them in `bin_dir`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".go-install-", dir=bin_dir) as gobin:
        argv = [
            go,
            "install",
            "-trimpath",
            "-ldflags",
            f"-s -w -X {VERSION_VARIABLE}={version}",
            f"{GO_MODULE}/cmd/server@v{version}",
            f"{GO_MODULE}/cmd/cli@v{version}",
        ]
        # A temporary GOBIN: go names the binaries `server` and `cli`, which we rename.
        go_env = {**env, "GOBIN": gobin, "CGO_ENABLED": "0"}
        try:
            done = subprocess.run(
                argv, env=go_env, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise ToxiproxyMissingError(f"`go install` did not finish in {timeout:g}s") from None
        except OSError as exc:
            raise ToxiproxyMissingError(f"cannot run {go}: {exc}") from exc
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise ToxiproxyMissingError(f"`go install` failed (exit {done.returncode}): {last}")
        os.replace(Path(gobin) / "server", bin_dir / SERVER_NAME)
        os.replace(Path(gobin) / "cli", bin_dir / CLI_NAME)
    return _verified(bin_dir, version, Source.GO_INSTALL)


def _installed(bin_dir: Path, version: str) -> Provision | None:
    server, cli = bin_dir / SERVER_NAME, bin_dir / CLI_NAME
    if not (server.is_file() and cli.is_file()):
        return None
    if binary_version(server) != version or binary_version(cli) != version:
        return None
    return Provision(source=Source.ALREADY_INSTALLED, version=version, server=server, cli=cli)


def _verified(bin_dir: Path, version: str, source: Source) -> Provision:
    server = bin_dir / SERVER_NAME
    found = binary_version(server)
    if found != version:
        raise ToxiproxyMissingError(
            f"{server} reports version {found or 'nothing'} after installing, not {version}"
        )
    return Provision(source=source, version=version, server=server, cli=bin_dir / CLI_NAME)
