"""The toxiproxy layer: install the real server, run it, and drive it through one adapter.

install      provide toxiproxy-server 2.12.0 (TOXIPROXY_URL, PATH, go install, release)
server       start it on 127.0.0.1 under a Supervisor, reset it, stop it
adapter      ToxiproxyClient: the only code that talks to toxiproxy
faults       network faults as values: Toxic (every built-in toxic) and Down
errors       this layer's branch of the harness error tree

The fault values and errors are imported eagerly; the rest (which pulls in HTTP clients and
toxiproxy-python) on first use, so that `import harness.toxiproxy.faults` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from harness.toxiproxy.errors import (
    InvalidFaultError,
    ToxiproxyConflictError,
    ToxiproxyMissingError,
    ToxiproxyNotFoundError,
    ToxiproxyUnavailableError,
)
from harness.toxiproxy.faults import (
    DOWN,
    NETWORK_FAULT_NAMES,
    Down,
    NetworkFault,
    Stream,
    Toxic,
    ToxicType,
    parse_network_fault,
)

if TYPE_CHECKING:
    from harness.toxiproxy.adapter import (
        DEFAULT_API_PORT,
        AppliedFault,
        ProxyState,
        ToxicState,
        ToxiproxyClient,
    )
    from harness.toxiproxy.install import PINNED_VERSION, Provision, install, locate, require
    from harness.toxiproxy.server import toxiproxy_server

_LAZY = {
    "DEFAULT_API_PORT": "adapter",
    "AppliedFault": "adapter",
    "ProxyState": "adapter",
    "ToxicState": "adapter",
    "ToxiproxyClient": "adapter",
    "PINNED_VERSION": "install",
    "Provision": "install",
    "install": "install",
    "locate": "install",
    "require": "install",
    "toxiproxy_server": "server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "DEFAULT_API_PORT",
    "DOWN",
    "NETWORK_FAULT_NAMES",
    "PINNED_VERSION",
    "AppliedFault",
    "Down",
    "InvalidFaultError",
    "NetworkFault",
    "Provision",
    "ProxyState",
    "Stream",
    "Toxic",
    "ToxicState",
    "ToxicType",
    "ToxiproxyClient",
    "ToxiproxyConflictError",
    "ToxiproxyMissingError",
    "ToxiproxyNotFoundError",
    "ToxiproxyUnavailableError",
    "install",
    "locate",
    "parse_network_fault",
    "require",
    "toxiproxy_server",
]
