"""Official toxiproxy release binaries, each checked against the release's published checksums.

A release (v2.12.0 and later) publishes single binaries named `toxiproxy-server-<os>-<arch>` and
`toxiproxy-cli-<os>-<arch>` next to `checksums.txt` (lines of `<sha256>  <file name>`), under
`<base>/v<version>/`. The only checksums trusted are the ones in that file: a binary with no entry
there, or a different digest, is refused and nothing is installed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import platform
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import httpx

from harness.errors import InfrastructureError

RELEASE_BASE_URL: Final = "https://github.com/Shopify/toxiproxy/releases/download"
CHECKSUMS_FILE: Final = "checksums.txt"

_SYSTEMS: Final = {"Linux": "linux", "Darwin": "darwin", "FreeBSD": "freebsd"}
_MACHINES: Final = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "armv7",
    "armv6l": "armv6",
}


class ReleaseError(InfrastructureError):
    """A release binary could not be downloaded or did not match its published checksum."""


def platform_suffix(*, system: str | None = None, machine: str | None = None) -> str:
    """The `<os>-<arch>` part of release asset names for this machine, e.g. `linux-amd64`."""
    system = system or platform.system()
    machine = machine or platform.machine()
    os_name, arch = _SYSTEMS.get(system), _MACHINES.get(machine.lower())
    if os_name is None or arch is None:
        raise ReleaseError(
            f"toxiproxy publishes no release binary for {system}/{machine}; install Go or point "
            "TOXIPROXY_URL at a running server"
        )
    return f"{os_name}-{arch}"


def parse_checksums(text: str) -> dict[str, str]:
    """Map file name -> lower-case SHA-256 hex digest from a `sha256sum`-style checksums file."""
    digests: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and len(parts[0]) == 64:
            digests[parts[1].lstrip("*")] = parts[0].lower()
    return digests


def download_release(
    *,
    version: str,
    programs: Mapping[str, str],
    dest_dir: Path,
    base_url: str = RELEASE_BASE_URL,
    timeout: float = 120.0,
) -> dict[str, Path]:
    """Download and verify each release binary; install it in `dest_dir` under its new name.

    `programs` maps the release's program name (`toxiproxy-server`) to the installed file name.
    Nothing is written to `dest_dir` unless every binary matched its published checksum.
    """
    suffix = platform_suffix()
    release_url = f"{base_url.rstrip('/')}/v{version}"
    dest_dir.mkdir(parents=True, exist_ok=True)
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        checksums = parse_checksums(_get(client, f"{release_url}/{CHECKSUMS_FILE}").decode())
        if not checksums:
            raise ReleaseError(f"{release_url}/{CHECKSUMS_FILE} lists no SHA-256 checksums")
        verified: dict[str, bytes] = {}
        for program in programs:
            asset = f"{program}-{suffix}"
            expected = checksums.get(asset)
            if expected is None:
                raise ReleaseError(
                    f"{CHECKSUMS_FILE} of toxiproxy v{version} has no entry for {asset}; "
                    "refusing to install an unverified binary"
                )
            content = _get(client, f"{release_url}/{asset}")
            actual = hashlib.sha256(content).hexdigest()
            if not hmac.compare_digest(actual, expected):
                raise ReleaseError(
                    f"{asset} downloaded from {release_url} has SHA-256 {actual}, but the "
                    f"release's {CHECKSUMS_FILE} says {expected}; refusing to install it"
                )
            verified[program] = content
    return {
        program: _install_bytes(content, dest_dir / programs[program])
        for program, content in verified.items()
    }


def _get(client: httpx.Client, url: str) -> bytes:
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise ReleaseError(f"cannot download {url}: {exc}") from exc
    if response.status_code != 200:
        raise ReleaseError(f"cannot download {url}: HTTP {response.status_code}")
    return response.content


def _install_bytes(content: bytes, target: Path) -> Path:
    """Write atomically: a half-written binary is never left under the final name."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(content)
        os.chmod(tmp_name, 0o755)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target
