"""Who may use the machine while drills run: everyone at once, or one drill alone.

Why: the SLO drill drives 1200 msg/s through NATS and measures latency percentiles; on 2 cores
another stack starting or another fault running beside it would be measured too. Every local
drill, of every worker and every run on the machine, shares it through two flock(2) locks in a
machine-wide directory: a drill (or a stack start-up) holds the *share* lock shared; a drill
that needs the machine to itself holds it exclusively. The *gate* lock is taken first by both,
and kept by the exclusive holder until it is done, so a waiting exclusive drill is not starved
by the stream of shared ones: the others finish the drill they are in, then wait at the gate.
The kernel drops both locks when a process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

GATE, SHARE = "machine.gate.lock", "machine.share.lock"


class MachineShare:
    """Shared use by default, exclusive use on request; across processes, on one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _open(self, name: str) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        return _open_lock(self.directory / name)

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """Held while a drill runs or a stack starts: waits only while an exclusive drill runs."""
        gate, share = self._open(GATE), self._open(SHARE)
        try:
            fcntl.flock(gate, fcntl.LOCK_EX)
            try:
                fcntl.flock(share, fcntl.LOCK_SH)
            finally:
                fcntl.flock(gate, fcntl.LOCK_UN)
            yield
        finally:
            _close(share, gate)

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        """Held while a drill needs the machine to itself: waits for the running drills to end."""
        gate, share = self._open(GATE), self._open(SHARE)
        try:
            fcntl.flock(gate, fcntl.LOCK_EX)
            fcntl.flock(share, fcntl.LOCK_EX)
            yield
        finally:
            _close(share, gate)


def _open_lock(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


def _close(*fds: int) -> None:
    """Closing a descriptor releases its flock (each open() is its own lock owner)."""
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
