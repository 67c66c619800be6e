"""Errors of the toxiproxy layer, each a branch of the harness error tree (harness/errors.py).

InfrastructureError (exit 3)
+-- ToxiproxyError                  toxiproxy answered something we did not expect
|   +-- ToxiproxyUnavailableError   it did not answer at all, or not in time
|   +-- ToxiproxyNotFoundError      no such proxy or toxic
|   +-- ToxiproxyConflictError      a proxy or toxic of that name exists already
+-- ToxiproxyMissingError           no toxiproxy-server could be found or installed
+-- PortBusyError                   (harness.errors) a listen port is taken; names the port
UsageError (exit 2)
+-- InvalidFaultError               a network fault with a bad type or attribute
"""

from __future__ import annotations

from harness.errors import InfrastructureError, ToxiproxyError, UsageError


class ToxiproxyUnavailableError(ToxiproxyError):
    """The toxiproxy API did not answer, or not within the timeout."""


class ToxiproxyNotFoundError(ToxiproxyError):
    """The proxy or toxic named in a request does not exist on the server."""


class ToxiproxyConflictError(ToxiproxyError):
    """A proxy or toxic with that name already exists on the server."""


class ToxiproxyMissingError(InfrastructureError):
    """No toxiproxy-server binary or running server could be found or installed."""


class InvalidFaultError(UsageError):
    """A network fault that toxiproxy would reject (or silently misread): names what is wrong."""
