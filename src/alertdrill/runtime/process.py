"""A long-lived child process as a context manager: started, awaited, always stopped."""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

from alertdrill.errors import ProcessStartError, WaitTimeout
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import wait_for

log = logging.getLogger(__name__)
#: How often a starting server is asked whether it is ready (its probe is a local HTTP GET).
READY_POLL_S = 0.02

RUN_ID_ENV = "ALERTDRILL_RUN_ID"
_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: signal.Signals = signal.SIGKILL) -> None:
    """Ask the kernel to send this process `sig` when its parent dies, even by SIGKILL (Linux's
    PR_SET_PDEATHSIG; a no-op where prctl is missing)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, sig)


class ManagedProcess:
    """One server or workload process, tagged with the run id and recorded in the run directory.

    Why: a bare Popen leaks on every path that forgets it. This owns the process from spawn to
    reap: `__enter__` waits for readiness and stops a half-started process before re-raising;
    `stop()` is idempotent (SIGTERM, wait, SIGKILL, wait). A pid record lets a later run sweep
    what a crashed run left behind, and PDEATHSIG kills the child if the runner is SIGKILLed.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        run_dir: Path,
        run_id: str,
        ready: Callable[[], bool] | None = None,
        ready_timeout: float = TIMEOUTS.server_ready,
        env: Mapping[str, str] | None = None,
        stop_timeout: float = TIMEOUTS.process_stop,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.run_dir = run_dir
        self.run_id = run_id
        self.ready = ready
        self.ready_timeout = ready_timeout
        self.extra_env = dict(env or {})
        self.stop_timeout = stop_timeout
        self.log_path = run_dir / "logs" / f"{name}.log"
        self.pid_path = run_dir / "pids" / f"{name}.json"
        self._popen: subprocess.Popen[bytes] | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> ManagedProcess:
        try:
            self.start()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Spawn the process (in its own session, so a terminal Ctrl-C reaches only the runner)."""
        if self.is_running():
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.pid_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.extra_env, RUN_ID_ENV: self.run_id}
        with self.log_path.open("ab") as logfile:
            logfile.write(f"--- start {time.strftime('%H:%M:%S')} {' '.join(self.argv)}\n".encode())
            logfile.flush()
            try:
                self._popen = subprocess.Popen(
                    self.argv,
                    stdout=logfile,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    start_new_session=True,
                    preexec_fn=die_with_parent,  # SIGKILL the child when the runner dies
                )
            except OSError as exc:
                raise ProcessStartError(f"{self.name}: cannot run {self.argv[0]}: {exc}") from exc
        self.pid_path.write_text(
            json.dumps(
                {
                    "name": self.name,
                    "pid": self._popen.pid,
                    "argv": self.argv,
                    "run_id": self.run_id,
                    "owner": os.getpid(),
                }
            )
        )
        log.debug("started %s pid %d", self.name, self._popen.pid)

    def wait_ready(self) -> None:
        """Poll the readiness check; fail fast with the log tail if the process exits."""
        if self.ready is None:
            return
        ready = self.ready

        def ready_or_exited() -> bool:
            code = self.returncode()
            if code is not None:
                raise ProcessStartError(
                    f"{self.name} exited with code {code} before it was ready (log {self.log_path}):\n{self.log_tail()}"
                )
            return ready()

        try:
            wait_for(f"{self.name} ready", ready_or_exited, poll_s=READY_POLL_S, timeout_s=self.ready_timeout)
        except WaitTimeout as exc:
            raise ProcessStartError(
                f"{self.name} was not ready after {self.ready_timeout:.1f}s (log {self.log_path}):\n{self.log_tail()}"
            ) from exc

    def stop(self) -> None:
        """Terminate, wait, kill, wait. Safe to call twice, or on a never-started process."""
        popen, self._popen = self._popen, None
        if popen is not None:
            if popen.poll() is None:
                self._signal_group(popen, signal.SIGCONT)  # a frozen process cannot handle TERM
                self._signal_group(popen, signal.SIGTERM)
                try:
                    popen.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    self._signal_group(popen, signal.SIGKILL)
                    popen.wait(timeout=self.stop_timeout)
            log.debug("stopped %s (exit %s)", self.name, popen.returncode)
        with contextlib.suppress(FileNotFoundError):
            self.pid_path.unlink()

    # -- faults and inspection -----------------------------------------------------------------
    def send_signal(self, sig: signal.Signals) -> None:
        if self._popen is None or self._popen.poll() is not None:
            raise ProcessLookupError(f"{self.name} is not running")
        self._popen.send_signal(sig)
        if sig == signal.SIGKILL:
            self._popen.wait(timeout=self.stop_timeout)

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    def is_running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def has_exited(self) -> bool:
        """Started and then ended on its own (or by a signal), and not yet stopped by us."""
        return self._popen is not None and self._popen.poll() is not None

    def returncode(self) -> int | None:
        return None if self._popen is None else self._popen.poll()

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join("    " + line for line in text.splitlines()[-lines:])

    @staticmethod
    def _signal_group(popen: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(popen.pid, sig)
