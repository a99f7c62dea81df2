"""A small kubelet: restarts crashed containers with back-off, and reports what it sees.

Why: PodCrashLooping is about restarts and back-off, so the local stack needs something that
restarts a crashing container the way a kubelet does (10 s doubling to 5 min, reset after
10 min of running; all divided by the time scale) and exports kube-state-metrics' names.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from alertdrill.runtime.ports import LOOPBACK
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.stack.local.pods import Pod
from alertdrill.workload.resources import limits_of

log = logging.getLogger(__name__)

BACKOFF_INITIAL_S = 10.0
BACKOFF_CAP_S = 300.0
BACKOFF_RESET_S = 600.0
TICK_S = 0.05


def backoff_s(restarts_in_row: int, time_scale: float) -> float:
    """The kubelet's crash back-off after this many restarts in a row, scaled."""
    return float(min(BACKOFF_INITIAL_S * 2 ** max(restarts_in_row - 1, 0), BACKOFF_CAP_S)) / time_scale


class Supervisor(threading.Thread):
    """Watches every desired pod; a container that exits waits out its back-off, then restarts."""

    def __init__(self, pods: Callable[[], list[Pod]], lock: threading.RLock, time_scale: float) -> None:
        super().__init__(name="supervisor", daemon=True)
        self._pods = pods
        self._lock = lock
        self._scale = time_scale
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=TIMEOUTS.thread_join)

    def backoff_s(self, restarts: int) -> float:
        return backoff_s(restarts, self._scale)

    def run(self) -> None:
        while not self._stopping.wait(TICK_S):
            with self._lock:
                for pod in self._pods():
                    if pod.desired:
                        self._tend(pod)

    def _tend(self, pod: Pod) -> None:
        now = time.monotonic()
        for proc, status in zip(pod.processes, pod.status, strict=True):
            if status.state == "running" and proc.has_exited():
                if now - status.running_since > BACKOFF_RESET_S / self._scale:
                    status.restarts_in_row = 0
                status.restarts_in_row += 1
                status.state, status.reason = "waiting", "CrashLoopBackOff"
                status.restart_at = now + self.backoff_s(status.restarts_in_row)
                log.info(
                    "%s exited (code %s); restarting in %.2fs",
                    proc.name,
                    proc.returncode(),
                    status.restart_at - now,
                )
            elif status.state == "waiting" and now >= status.restart_at:
                try:
                    proc.start()
                except Exception as exc:  # a failed start is one more crash, not the end of the loop
                    log.warning("restart of %s failed: %s", proc.name, exc)
                    status.restart_at = now + self.backoff_s(status.restarts_in_row)
                    continue
                status.restarts += 1
                status.state, status.reason, status.running_since = "running", "", now


class KubeStateCollector(Collector):
    """kube-state-metrics' pod metrics, read from the local pods (names from its pod-metrics docs)."""

    def __init__(self, pods: Callable[[], list[Pod]], namespace: str) -> None:
        self._pods = pods
        self._namespace = namespace

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        restarts = CounterMetricFamily(
            "kube_pod_container_status_restarts_total",
            "Container restarts",
            labels=["namespace", "pod", "container", "uid"],
        )
        waiting = GaugeMetricFamily(
            "kube_pod_container_status_waiting_reason",
            "Container waiting, by reason",
            labels=["namespace", "pod", "container", "uid", "reason"],
        )
        running = GaugeMetricFamily(
            "kube_pod_container_status_running",
            "Container running",
            labels=["namespace", "pod", "container", "uid"],
        )
        phase = GaugeMetricFamily("kube_pod_status_phase", "Pod phase", labels=["namespace", "pod", "uid", "phase"])
        info = GaugeMetricFamily(
            "kube_pod_info", "Pod placement", labels=["namespace", "pod", "uid", "node", "created_by_name"]
        )
        limits = GaugeMetricFamily(
            "kube_pod_container_resource_limits",
            "Container limits, as the Deployment on kind sets them (alertdrill.workload.resources)",
            labels=["namespace", "pod", "container", "uid", "node", "resource", "unit"],
        )
        for pod in self._pods():
            if not pod.desired:
                continue  # a deleted pod has no series, as in kube-state-metrics
            uid = f"{pod.name}-uid"
            base = [self._namespace, pod.name]
            for spec, status in zip(pod.containers, pod.status, strict=True):
                labels = [*base, spec.name, uid]
                restarts.add_metric(labels, status.restarts)
                running.add_metric(labels, 1.0 if status.state == "running" else 0.0)
                if status.state == "waiting":
                    waiting.add_metric([*labels, status.reason], 1.0)
                limit = limits_of(spec.name)
                limits.add_metric([*labels, pod.node, "memory", "byte"], float(limit.memory_bytes))
                if limit.cpu_cores is not None:
                    limits.add_metric([*labels, pod.node, "cpu", "core"], limit.cpu_cores)
            for p in ("Pending", "Running", "Succeeded", "Failed", "Unknown"):
                phase.add_metric([*base, uid, p], 1.0 if p == "Running" else 0.0)
            info.add_metric([*base, uid, pod.node, pod.workload], 1.0)
        yield from (restarts, waiting, running, phase, info, limits)


class KubeStateServer:
    """Serves the collectors on 127.0.0.1 (a context manager): kube-state-metrics' pod series and,
    as the kubelet's cadvisor would, the containers' usage (stack/local/usage.py)."""

    def __init__(self, collectors: list[Collector], port: int) -> None:
        self.registry = CollectorRegistry()
        for collector in collectors:
            self.registry.register(collector)
        self.port = port
        self._server: object | None = None

    def __enter__(self) -> KubeStateServer:
        server, _thread = start_http_server(self.port, addr=LOOPBACK, registry=self.registry)
        self._server = server
        return self

    def __exit__(self, *exc: object) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()  # type: ignore[attr-defined]
            server.server_close()  # type: ignore[attr-defined]
