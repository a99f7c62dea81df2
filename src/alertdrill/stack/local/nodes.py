"""Virtual nodes: node-exporter figures that come from real consumption on this machine.

Each node runs the real prometheus-node-exporter, reading a meminfo file and a textfile that an
agent thread rewrites every 250 ms: memory used is the RSS of the processes placed on the node
(pods and memory hogs) against a configured capacity; disk used is the bytes really written
below the node's data directory against its capacity. A memory fault really allocates, a disk
fault really writes, and stopping the node stops its exporter and its pods.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alertdrill.runtime.process import ManagedProcess
from alertdrill.runtime.timeouts import TIMEOUTS

log = logging.getLogger(__name__)

REFRESH_S = 0.25
ROOT_DEVICE = "/dev/vda1"
#: A small tmpfs that is always nearly full: rules must exclude it (fstype!="tmpfs").
TMPFS_SIZE = 64 * 2**20
TMPFS_AVAIL = 3 * 2**20


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def disk_used_bytes(path: Path) -> int:
    """Allocated bytes below `path` (what `du` counts)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                continue
    return total


@dataclass
class VirtualNode:
    name: str
    memory_bytes: int
    disk_bytes: int
    root: Path
    exporter: ManagedProcess | None = None
    metrics: str = ""
    up: bool = True
    extra_pids: set[int] = field(default_factory=set)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def proc_dir(self) -> Path:
        return self.root / "proc"

    @property
    def textfile_dir(self) -> Path:
        return self.root / "textfile"

    def make_dirs(self) -> None:
        for d in (self.data_dir, self.proc_dir, self.textfile_dir):
            d.mkdir(parents=True, exist_ok=True)

    def exporter_argv(self, binary: Path, port: int) -> list[str]:
        return [
            str(binary),
            f"--web.listen-address=127.0.0.1:{port}",
            f"--path.procfs={self.proc_dir}",
            "--collector.disable-defaults",
            "--collector.meminfo",
            "--collector.textfile",
            f"--collector.textfile.directory={self.textfile_dir}",
        ]

    def write_figures(self, memory_used: int) -> None:
        """meminfo and filesystem figures for the exporter, written atomically."""
        mem_avail = max(self.memory_bytes - memory_used, 0)
        disk_avail = max(self.disk_bytes - disk_used_bytes(self.data_dir), 0)
        kib = 1024
        _atomic(
            self.proc_dir / "meminfo",
            f"MemTotal:       {self.memory_bytes // kib} kB\n"
            f"MemFree:        {mem_avail // kib} kB\n"
            f"MemAvailable:   {mem_avail // kib} kB\n",
        )
        lines = []
        for metric, root_value, tmpfs_value in (
            ("node_filesystem_size_bytes", self.disk_bytes, TMPFS_SIZE),
            ("node_filesystem_avail_bytes", disk_avail, TMPFS_AVAIL),
            ("node_filesystem_free_bytes", disk_avail, TMPFS_AVAIL),
        ):
            lines += [
                f"# TYPE {metric} gauge",
                f'{metric}{{device="{ROOT_DEVICE}",fstype="ext4",mountpoint="/"}} {root_value}',
                f'{metric}{{device="tmpfs",fstype="tmpfs",mountpoint="/run"}} {tmpfs_value}',
            ]
        _atomic(self.textfile_dir / "filesystem.prom", "\n".join(lines) + "\n")

    def memory_used(self, pids: list[int]) -> int:
        return sum(rss_bytes(pid) for pid in [*pids, *self.extra_pids])


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


class NodeAgent(threading.Thread):
    """Rewrites every up node's figures every 250 ms."""

    def __init__(self, nodes: list[VirtualNode], pids_on: Callable[[str], list[int]], lock: threading.RLock) -> None:
        super().__init__(name="node-agent", daemon=True)
        self.nodes = nodes
        self._pids_on = pids_on
        self._lock = lock
        self._stopping = threading.Event()

    def refresh(self) -> None:
        for node in self.nodes:
            if node.up:
                with self._lock:
                    pids = self._pids_on(node.name)
                node.write_figures(node.memory_used(pids))

    def run(self) -> None:
        while not self._stopping.wait(REFRESH_S):
            try:
                self.refresh()
            except OSError as exc:  # a figure missed is one stale sample, not a dead agent
                log.warning("node agent: %s", exc)

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=TIMEOUTS.thread_join)
