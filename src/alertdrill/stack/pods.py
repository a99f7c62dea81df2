"""Local pods: the processes of one workload replica, started and killed together."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from alertdrill.stack.process import ManagedProcess

READY_TIMEOUT_S = 15.0


def http_ok(url: str) -> Callable[[], bool]:
    """A readiness check: GET `url` answers 2xx."""

    def check() -> bool:
        try:
            return httpx.get(url, timeout=0.5).is_success
        except httpx.HTTPError:
            return False

    return check


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    argv: list[str]
    ready: Callable[[], bool] | None = None


@dataclass
class Pod:
    """One replica of a workload, like a Kubernetes pod: its containers live and die together.

    `metrics` is the `host:port` Prometheus scrapes (None for pods nobody scrapes).
    """

    name: str
    workload: str
    containers: list[ContainerSpec]
    metrics: str | None
    run_dir: Path
    run_id: str
    processes: list[ManagedProcess] = field(default_factory=list)

    def start(self) -> None:
        """Launch the pod and wait until every container is ready (a half-started pod is stopped)."""
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Spawn every container without waiting, so pods start in parallel like on a node."""
        if not self.processes:
            self.processes = [
                ManagedProcess(
                    f"{self.name}.{c.name}",
                    c.argv,
                    run_dir=self.run_dir,
                    run_id=self.run_id,
                    ready=c.ready,
                    ready_timeout=READY_TIMEOUT_S,
                )
                for c in self.containers
            ]
        try:
            for proc in self.processes:
                proc.start()
        except BaseException:
            self.stop()
            raise

    def wait_ready(self) -> None:
        try:
            for proc in self.processes:
                proc.wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for proc in reversed(self.processes):
            proc.stop()

    def kill(self) -> None:
        for proc in self.processes:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGKILL)

    def freeze(self) -> None:
        for proc in self.processes:
            proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        for proc in self.processes:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGCONT)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]

    def log_tails(self, lines: int = 10) -> dict[str, str]:
        return {p.name: p.log_tail(lines) for p in self.processes}
