"""Run directories under .alertdrill/runs/, and the sweep of what dead runs left behind."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alertdrill.runtime.process import RUN_ID_ENV

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunDir:
    """One run's directory: configs, data dirs, logs, pid and fault records, results."""

    run_id: str
    path: Path

    @classmethod
    def create(cls, runs_dir: Path, run_id: str | None = None) -> RunDir:
        run_id = run_id or new_run_id()
        path = (runs_dir / run_id).resolve()
        path.mkdir(parents=True)
        (path / "owner").write_text(str(os.getpid()))
        return cls(run_id=run_id, path=path)

    def sub(self, name: str) -> Path:
        p = self.path / name
        p.mkdir(parents=True, exist_ok=True)
        return p


def new_run_id() -> str:
    """A run id that sorts by start time: `YYYYmmdd-HHMMSS-<6 hex>`."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_run_id(pid: int) -> str | None:
    """The ALERTDRILL_RUN_ID a live process was started with, if any (so we never kill strangers)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    for item in raw.split(b"\0"):
        key, _, value = item.partition(b"=")
        if key == RUN_ID_ENV.encode():
            return value.decode(errors="replace")
    return None


def processes_of_runs(run_ids: set[str]) -> list[tuple[int, str, str]]:
    """(pid, state letter, command) of every live process started by one of these runs."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        run_id = process_run_id(int(proc.name))
        if run_id is None or run_id not in run_ids:
            continue
        try:
            state = (proc / "stat").read_text().split()[2]
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        found.append((int(proc.name), state, cmd[:120]))
    return found


def is_run_alive(run_path: Path) -> bool:
    try:
        owner = int((run_path / "owner").read_text())
    except (OSError, ValueError):
        return False
    return pid_alive(owner)


def dead_runs(runs_dir: Path) -> list[Path]:
    """Run directories whose runner is gone."""
    if not runs_dir.is_dir():
        return []
    return [p for p in sorted(runs_dir.iterdir()) if p.is_dir() and not is_run_alive(p)]


def sweep_stale_processes(runs_dir: Path) -> list[str]:
    """Kill processes recorded by runs whose runner is gone; return what was swept."""
    swept: list[str] = []
    if not runs_dir.is_dir():
        return swept
    for run_path in sorted(runs_dir.iterdir()):
        if not run_path.is_dir() or is_run_alive(run_path):
            continue
        for record in sorted((run_path / "pids").glob("*.json")):
            with contextlib.suppress(OSError, ValueError, KeyError):
                data = json.loads(record.read_text())
                pid, run_id = int(data["pid"]), str(data["run_id"])
                if pid_alive(pid) and process_run_id(pid) == run_id:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(pid, signal.SIGCONT)
                        os.killpg(pid, signal.SIGKILL)
                    swept.append(f"{data['name']} (pid {pid}, run {run_id})")
                record.unlink()
    for item in swept:
        log.warning("swept leftover process of a dead run: %s", item)
    return swept


def has_open_faults(run_path: Path) -> bool:
    """A fault record that was never reverted (a revert deletes it)."""
    return any((run_path / "faults").glob("*.json"))


def run_of(run_dir_name: str) -> str:
    """The run a run dir belongs to: a parallel worker's `<run_id>-gwN` is part of `<run_id>`."""
    head, sep, tail = run_dir_name.rpartition("-gw")
    return head if sep and tail.isdigit() else run_dir_name


def prune_runs(runs_dir: Path, keep: int) -> list[Path]:
    """Delete the oldest runs beyond `keep` (a parallel run's worker dirs count as one run);
    never a live run or one with open faults.

    Run ids sort by start time, so the newest `keep` by name stay. Returns what was removed.
    """
    if not runs_dir.is_dir():
        return []
    groups: dict[str, list[Path]] = {}
    for p in sorted(runs_dir.iterdir()):
        if p.is_dir():
            groups.setdefault(run_of(p.name), []).append(p)
    runs = sorted(groups)
    removed = []
    for run in runs[: max(0, len(runs) - keep)]:
        paths = groups[run]
        if any(is_run_alive(path) or has_open_faults(path) for path in paths):
            continue
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    if removed:
        log.info("pruned %d old run dir(s) under %s (keeping the last %d runs)", len(removed), runs_dir, keep)
    return removed


@contextlib.contextmanager
def housekeeping(runs_dir: Path) -> Iterator[None]:
    """One sweep/revert/prune at a time: parallel workers start together, and one worker's prune
    must not delete a run dir under another's check (seen: a worker's stack start failed on a
    directory removed mid-scan)."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(runs_dir / ".housekeeping.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
