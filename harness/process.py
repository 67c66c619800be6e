"""Process supervision: every external process the harness starts is owned by a Supervisor.

A Supervisor starts processes in their own session (so a whole process group can be signalled),
sends their output to log files, waits for readiness on a condition with a deadline, and stops
everything it started, newest first, when its `with` block ends, whatever ended it.

If the process that owns the Supervisor dies without unwinding (`kill -9`, the OOM killer), its
processes stop by themselves: a watchdog process (harness/watchdog.py) that the Supervisor tells
about every process group it starts sends them SIGTERM, and SIGKILL after `orphan_grace` seconds
(1 s), as soon as its owner is gone. With a state file the Supervisor also records the pids it
owns, so a later run stops whatever the watchdog could not (the second line of defence; see
docs/decisions/0010-children-die-with-the-harness.md).

    with Supervisor(log_dir=tmp, state_file=state) as sup:
        erm = sup.start(ProcessSpec("erm", [sys.executable, "-m", "mock_services", "erm"],
                                    ready=http_ready("http://127.0.0.1:9001/__admin/health")))
        ...
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from harness import watchdog
from harness.errors import ProcessStartError

ReadyCheck = Callable[[], bool]

ORPHAN_GRACE_S = 1.0  # once the owner is dead: SIGTERM, and SIGKILL this much later


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.05,
    what: str = "condition",
) -> None:
    """Poll `condition` until it is true; raise TimeoutError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def http_ready(
    url: str, *, timeout: float = 1.0, verify: ssl.SSLContext | bool = True
) -> ReadyCheck:
    """A readiness check that passes once `url` answers with any status below 500; an https
    URL's certificate is verified with `verify` (e.g. the stack's CA: harness/stack/tls.py)."""

    def check() -> bool:
        try:
            return httpx.get(url, timeout=timeout, verify=verify).status_code < 500
        except httpx.HTTPError:
            return False

    return check


@dataclass(frozen=True, kw_only=True)
class ProcessSpec:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    ready: ReadyCheck | None = None
    ready_timeout: float = 30.0
    stop_timeout: float = 5.0


class ManagedProcess:
    """One started process: its Popen, its log file and how to stop it."""

    def __init__(self, spec: ProcessSpec, popen: subprocess.Popen[bytes], log_path: Path) -> None:
        self.spec = spec
        self.popen = popen
        self.log_path = log_path

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self) -> None:
        ready = self.spec.ready
        if ready is None:
            return

        def up() -> bool:
            if not self.alive():
                raise ProcessStartError(
                    f"{self.name} exited with code {self.popen.returncode} before it was ready; "
                    f"its last output:\n{self.output_tail()}"
                )
            return ready()

        try:
            wait_until(up, timeout=self.spec.ready_timeout, what=f"{self.name} to become ready")
        except TimeoutError as exc:
            raise ProcessStartError(
                f"{self.name} did not become ready within {self.spec.ready_timeout:g}s; "
                f"its last output:\n{self.output_tail()}"
            ) from exc

    def signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """kill -9 the process group, as a crash would; the Supervisor still reaps it."""
        self.signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after the stop timeout."""
        if self.alive():
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=self.spec.stop_timeout)
        # The leader may be gone while children in its group live on; clear the group either way.
        self.signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=self.spec.stop_timeout)


class _Watchdog:
    """The watchdog process of one Supervisor (harness/watchdog.py), and the pipe to it."""

    def __init__(self, *, grace: float, log_path: Path) -> None:
        argv = [sys.executable, "-I", "-S", watchdog.__file__, str(os.getpid()), f"{grace:g}"]
        try:
            self._popen = subprocess.Popen(
                [*argv, str(log_path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a kill of our process group must not take it with us
                bufsize=0,  # one write per line: lines from two threads never interleave
            )
        except OSError as exc:
            raise ProcessStartError(f"could not start the watchdog ({argv[0]}): {exc}") from exc

    def alive(self) -> bool:
        return self._popen.poll() is None

    def watch(self, proc: ManagedProcess) -> bool:
        """Tell it about `proc`'s process group; False if it is no longer there to listen."""
        assert self._popen.stdin is not None
        line = f"watch {proc.pid} {' '.join(proc.name.split())}\n"
        try:
            self._popen.stdin.write(line.encode())
        except OSError:  # BrokenPipeError: it died (someone killed it)
            return False
        return True

    def close(self) -> None:
        """Once our processes are stopped: it has nothing left to do, so SIGKILL, and reap it."""
        self._popen.kill()
        self._popen.wait()
        assert self._popen.stdin is not None
        self._popen.stdin.close()


class Supervisor:
    """Owns started processes; stops all of them on exit from its `with` block, or through its
    watchdog within `orphan_grace` seconds (plus a moment) of the death of the process it is in."""

    def __init__(
        self,
        *,
        log_dir: Path,
        state_file: Path | None = None,
        orphan_grace: float = ORPHAN_GRACE_S,
    ) -> None:
        self.log_dir = log_dir
        self.state_file = state_file
        self.orphan_grace = orphan_grace
        self._procs: list[ManagedProcess] = []
        self._watchdog: _Watchdog | None = None

    def __enter__(self) -> Supervisor:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.state_file is not None:
            reap_orphans(self.state_file)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    @property
    def processes(self) -> tuple[ManagedProcess, ...]:
        return tuple(self._procs)

    def start(self, spec: ProcessSpec, *, wait: bool = True) -> ManagedProcess:
        self._live_watchdog()  # before the fork, so that the child is watched once it exists
        log_path = self.log_dir / f"{spec.name}.log"
        log = log_path.open("ab")
        try:
            popen = subprocess.Popen(
                list(spec.argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=spec.cwd,
                env={**os.environ, **spec.env},
                start_new_session=True,
            )
        except OSError as exc:
            raise ProcessStartError(f"could not start {spec.name} ({spec.argv[0]}): {exc}") from exc
        finally:
            log.close()
        proc = ManagedProcess(spec, popen, log_path)
        self._procs.append(proc)
        if not self._live_watchdog().watch(proc):
            self._live_watchdog(replace=True)  # it died: a new one, told about every process
        self._write_state()
        if wait:
            proc.wait_ready()
        return proc

    def restart(self, proc: ManagedProcess, *, wait: bool = True) -> ManagedProcess:
        """Stop (if still running) and start again with the same spec."""
        proc.stop()
        self._procs.remove(proc)
        return self.start(proc.spec, wait=wait)

    def stop_all(self) -> None:
        while self._procs:
            self._procs.pop().stop()
        self._write_state()
        if self._watchdog is not None:
            self._watchdog.close()
            self._watchdog = None

    def _live_watchdog(self, *, replace: bool = False) -> _Watchdog:
        """The watchdog; a new one, told about every process, if there is none or it died."""
        if self._watchdog is not None and self._watchdog.alive() and not replace:
            return self._watchdog
        if self._watchdog is not None:
            self._watchdog.close()  # reaps what is left of it
        self._watchdog = _Watchdog(grace=self.orphan_grace, log_path=self.log_dir / "watchdog.log")
        for proc in self._procs:
            self._watchdog.watch(proc)
        return self._watchdog

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        records = [{"pid": p.pid, "name": p.name, "argv": list(p.spec.argv)} for p in self._procs]
        if records:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            self.state_file.write_text(json.dumps(records, indent=2))
        else:
            self.state_file.unlink(missing_ok=True)


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def reap_orphans(state_file: Path) -> list[str]:
    """Stop processes recorded in `state_file` by a run that died without cleaning up.

    A pid is only signalled if its command line still matches what was recorded, so a recycled
    pid belonging to something else is left alone. Returns the names of the processes stopped.
    """
    try:
        records = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return []
    stopped = []
    for record in records:
        pid, argv = int(record["pid"]), list(record["argv"])
        if _cmdline(pid) == argv:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            stopped.append(str(record["name"]))
    state_file.unlink(missing_ok=True)
    return stopped


def owner_state_file(state_dir: Path, prefix: str, *suffix: str) -> Path:
    """`<state_dir>/<prefix>-<our pid>[-<suffix>...].pids.json`: a state file that names its owner,
    so `reap_abandoned` can tell a live owner's file from one a `kill -9` left behind."""
    name = "-".join((prefix, str(os.getpid()), *suffix))
    return state_dir / f"{name}.pids.json"


def reap_abandoned(state_dir: Path, prefix: str) -> list[str]:
    """Stop the processes of every `owner_state_file` of `prefix` whose owner is no longer alive.

    Runs and test sessions each write their own file, so several can share a state directory;
    only files of dead owners are reaped. Returns the names of the processes stopped.
    """
    stopped: list[str] = []
    for path in sorted(state_dir.glob(f"{prefix}-*.pids.json")):
        owner = path.name.removeprefix(f"{prefix}-").split("-", 1)[0].split(".", 1)[0]
        if owner.isdigit() and not _alive(int(owner)):
            stopped += reap_orphans(path)
    return stopped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
