"""The harness's error tree and the exit code each branch maps to.

    HarnessError                 exit 3 unless a subclass says otherwise
    +-- UsageError               exit 2: bad command line, scenario or client file
    |   +-- UnsafeTargetError    a non-loopback host that the user did not allow
    +-- InfrastructureError      exit 3: toxiproxy missing, a busy port, a process that failed
        +-- PortBusyError        names the port
        +-- ProcessStartError    names the process and shows the tail of its output
        +-- ToxiproxyError       anything toxiproxy answered that we did not expect

Exit code 1 is reserved for "a check failed" and 0 for "all checks passed"; neither is an error.
Every message is one line that says what is wrong and how to fix it. Any other exception is a bug
in the harness: `harness.cli` exits 3 with one line that says so and where its traceback went
(harness.crash).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    USAGE = 2
    INFRASTRUCTURE = 3
    INCONCLUSIVE = 4  # not enough evidence to pass or fail a check (`--inconclusive` maps it)
    INTERRUPTED = 130


class HarnessError(Exception):
    """Root of every error the harness raises on purpose."""

    exit_code: ExitCode = ExitCode.INFRASTRUCTURE


class UsageError(HarnessError):
    exit_code = ExitCode.USAGE


class UnsafeTargetError(UsageError):
    """A target outside 127.0.0.0/8 that the user did not explicitly allow."""


class InfrastructureError(HarnessError):
    exit_code = ExitCode.INFRASTRUCTURE


class PortBusyError(InfrastructureError):
    def __init__(self, host: str, port: int, what: str = "") -> None:
        self.host = host
        self.port = port
        owner = f" for {what}" if what else ""
        super().__init__(
            f"port {port} on {host}{owner} is already in use; stop whatever listens there "
            f"(`ss -ltnp 'sport = :{port}'` shows it) or choose another port"
        )


class ProcessStartError(InfrastructureError):
    """A process the harness started exited or never became ready."""


class ToxiproxyError(InfrastructureError):
    """Toxiproxy answered something unexpected, or could not be reached."""
