"""Local pods: the processes of one workload replica, placed on a node, started and killed together."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from alertdrill.runtime.process import ManagedProcess
from alertdrill.runtime.timeouts import TIMEOUTS

ContainerState = Literal["running", "waiting", "terminated"]


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    argv: list[str]
    ready: Callable[[], bool] | None = None


@dataclass
class ContainerStatus:
    """What kube-state-metrics would report for one container."""

    restarts: int = 0
    state: ContainerState = "running"
    reason: str = ""
    restart_at: float = 0.0  # monotonic time the back-off ends
    running_since: float = 0.0
    restarts_in_row: int = 0  # drives the back-off; reset after a long enough run


@dataclass
class Pod:
    """One replica of a workload, like a Kubernetes pod: its containers live and die together.

    `metrics` is the `host:port` Prometheus scrapes (None for pods nobody scrapes); `desired`
    is False while the pod is deleted or scaled away, so the supervisor leaves it down.
    """

    name: str
    workload: str
    containers: list[ContainerSpec]
    metrics: str | None
    run_dir: Path
    run_id: str
    node: str = ""
    desired: bool = True
    processes: list[ManagedProcess] = field(default_factory=list)
    status: list[ContainerStatus] = field(default_factory=list)

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
                    list(c.argv),
                    run_dir=self.run_dir,
                    run_id=self.run_id,
                    ready=c.ready,
                    ready_timeout=TIMEOUTS.pod_ready,
                )
                for c in self.containers
            ]
            self.status = [ContainerStatus() for _ in self.containers]
        self.desired = True
        try:
            for proc, status in zip(self.processes, self.status, strict=True):
                proc.start()
                status.state, status.reason = "running", ""
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
        """SIGKILL every container and keep the pod down (deleted, not replaced) until started."""
        self.desired = False
        for proc, status in zip(self.processes, self.status, strict=True):
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGKILL)
            status.state, status.reason = "terminated", "Error"

    def signal_all(self, sig: signal.Signals) -> None:
        for proc in self.processes:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None and p.is_running()]

    def log_tails(self, lines: int = 10) -> dict[str, str]:
        return {p.name: p.log_tail(lines) for p in self.processes}


def all_pods(pods: Mapping[str, list[Pod]]) -> list[Pod]:
    """Every pod of every workload."""
    return [pod for replicas in pods.values() for pod in replicas]


def pids_on(pods: Mapping[str, list[Pod]], node: str) -> list[int]:
    """Live pids of the pods placed on `node` (what its memory figures count)."""
    return [pid for pod in all_pods(pods) if pod.node == node for pid in pod.pids]
