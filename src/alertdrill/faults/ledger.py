"""The revert ledger: every injected fault's undo, run last-in-first-out, also after a crash.

Why a ledger: a fault that is not rolled back outlives the drill (a frozen server, an error
burst that never ends). Each injection returns its revert; the ledger runs them LIFO, attempts
every one even if one fails, then raises them together. Each injection is also written to the
run directory so `alertdrill revert` can undo what a killed runner left behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from alertdrill.errors import RevertError
from alertdrill.stack.rundir import process_run_id

log = logging.getLogger(__name__)

Revert = Callable[[], None]


@dataclass(frozen=True)
class Injection:
    """What a backend did, how to undo it live, and how to undo it from the record alone."""

    revert: Revert
    offline: dict[str, Any]  # {"kind": "signal"|"http_post"|"delete_file"|"none", ...}


@dataclass
class _Entry:
    name: str
    revert: Revert
    record: Path


class FaultLedger:
    """Injections of one run, with their reverts; records live in `<run_dir>/faults/`."""

    def __init__(self, records_dir: Path) -> None:
        self.records_dir = records_dir
        self._entries: list[_Entry] = []
        self._seq = 0

    def inject(self, name: str, apply: Callable[[], Injection]) -> tuple[float, float]:
        """Apply a fault and record it; return when applying started and when it was done.

        Both matter: a fault that ramps up (jobs submitted over seconds) starts counting toward
        the alert when it starts, and its ramp belongs in the bound.
        """
        started_at = time.time()
        injection = apply()
        injected_at = time.time()
        self._seq += 1
        self.records_dir.mkdir(parents=True, exist_ok=True)
        record = self.records_dir / f"{self._seq:03d}.json"
        record.write_text(json.dumps({"name": name, "injected_at": injected_at, "offline": injection.offline}))
        self._entries.append(_Entry(name, injection.revert, record))
        log.info("fault injected: %s", name)
        return started_at, injected_at

    @property
    def outstanding(self) -> list[str]:
        return [e.name for e in self._entries]

    def revert_all(self) -> float | None:
        """Revert everything LIFO; return when the last revert finished, or None if none ran."""
        if not self._entries:
            return None
        failures: list[tuple[str, BaseException]] = []
        while self._entries:
            entry = self._entries.pop()
            try:
                entry.revert()
                entry.record.unlink(missing_ok=True)
                log.info("fault reverted: %s", entry.name)
            except Exception as exc:  # cleanup boundary: attempt every revert, report all
                log.error("revert of %s failed: %s", entry.name, exc)
                failures.append((entry.name, exc))
        if failures:
            raise RevertError(failures)
        return time.time()


def revert_offline(run_dir: Path) -> list[str]:
    """Undo what a dead run's fault records describe; return a line per record handled."""
    done: list[str] = []
    for record in sorted((run_dir / "faults").glob("*.json"), reverse=True):
        try:
            data = json.loads(record.read_text())
        except (OSError, ValueError):
            continue
        offline = data.get("offline", {})
        kind = offline.get("kind", "none")
        if kind == "signal":
            sig = signal.Signals[offline.get("signal", "SIGCONT")]
            for pid in offline.get("pids", []):
                if process_run_id(int(pid)) == offline.get("run_id"):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(int(pid), sig)
        elif kind == "delete_file":
            with contextlib.suppress(FileNotFoundError):
                Path(offline["path"]).unlink()
        elif kind == "http_post":
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(offline["url"], json=offline.get("json", {}), timeout=2.0)
        elif kind == "commands":  # Kubernetes faults: kubectl/docker lines that undo them
            for argv in offline.get("argv", []):
                with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                    subprocess.run([str(a) for a in argv], capture_output=True, timeout=300, check=False)
        done.append(f"{data.get('name')}: {kind}")
        record.unlink()
    return done
