"""Faults on the local stack's processes and virtual nodes; each returns its live and offline undo."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from alertdrill.errors import FaultError
from alertdrill.faults.discovery import wait_until_discovery_quiet
from alertdrill.faults.injection import DeleteFileUndo, HttpPostUndo, Injection, NoUndo, SignalUndo
from alertdrill.faults.limits import bounded_bytes, require_http_workload
from alertdrill.runtime.process import ManagedProcess
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll
from alertdrill.stack.base import Timing
from alertdrill.stack.local.nodes import VirtualNode, disk_used_bytes, rss_bytes
from alertdrill.stack.local.pipeline_faults import LocalPipelineFaults, PipelineParts
from alertdrill.stack.local.pods import Pod, all_pods, pids_on
from alertdrill.stack.local.supervisor import backoff_s

CRASH_ARGV = [sys.executable, "-c", "import sys; print('crashing at start (crashloop fault)'); sys.exit(1)"]
FILL_CHUNK = 4 * 2**20


@dataclass(frozen=True)
class LocalFaultContext:
    """What local faults act on: the stack's pods and nodes (shared, under `lock`) and little else."""

    pods: dict[str, list[Pod]]
    nodes: dict[str, VirtualNode]
    lock: threading.RLock  # also held by the supervisor's ticks
    run_dir: Path
    run_id: str
    timing: Timing
    max_fault_bytes: int
    bff_url: str
    #: Lists a workload's pods in service discovery (True) or takes them out (False).
    discover: Callable[[str, bool], None]
    query: Callable[[str], list[float]]  # PromQL instant query → sample values

    def all_pods(self) -> list[Pod]:
        return all_pods(self.pods)

    def pids_on(self, node: str) -> list[int]:
        return pids_on(self.pods, node)


class LocalFaults(LocalPipelineFaults):
    """Every fault acts on real processes or real bytes, under the stack's lock."""

    def __init__(self, ctx: LocalFaultContext, parts: PipelineParts) -> None:
        self.ctx = ctx
        self.parts = parts

    # -- helpers ---------------------------------------------------------------------------
    def _pods(self, workload: str) -> list[Pod]:
        pods = self.ctx.pods.get(workload)
        if not pods:
            raise FaultError(f"no workload {workload!r} on the local stack (have: {', '.join(sorted(self.ctx.pods))})")
        return pods

    def _node(self, name: str) -> VirtualNode:
        node = self.ctx.nodes.get(name)
        if node is None:
            raise FaultError(f"no node {name!r} on the local stack (have: {', '.join(sorted(self.ctx.nodes))})")
        return node

    def _signal_injection(
        self, pods: list[Pod], sig: signal.Signals, undo: signal.Signals, hangs_target: bool = False
    ) -> Injection:
        for pod in pods:
            pod.signal_all(sig)

        def revert() -> None:
            for pod in pods:
                pod.signal_all(undo)

        pids = tuple(pid for pod in pods for pid in pod.pids)
        return Injection(revert, SignalUndo(undo.name, pids, self.ctx.run_id), hangs_target=hangs_target)

    def _bff_fault(self, workload: str, body: dict[str, float], undo: dict[str, float]) -> Injection:
        require_http_workload(workload)
        url = self.ctx.bff_url + "/admin/fault"

        def post(payload: dict[str, float]) -> None:
            httpx.post(url, json=payload, timeout=TIMEOUTS.bff_admin_request).raise_for_status()

        post(body)
        return Injection(lambda: post(undo), HttpPostUndo(url, undo))

    # -- workload faults -------------------------------------------------------------------
    def kill_workload(self, workload: str, leave_discovery: bool = False) -> Injection:
        """SIGKILL the workload's processes; their targets stay listed (a crashed container's pod
        stays), so Prometheus sees `up == 0`. `leave_discovery`: the pods are deleted too, their
        targets withdrawn first, as Kubernetes drops a deleted pod's endpoints: `up` keeps its
        last value until Prometheus marks it stale, so only `absent()` can tell."""
        pods = self._pods(workload)
        if leave_discovery:
            wait_until_discovery_quiet(self.ctx.query, self.ctx.timing.scrape_interval_s)
        began_at = time.time()
        with self.ctx.lock:
            if leave_discovery:
                self.ctx.discover(workload, False)
            for pod in pods:
                pod.kill()

        def restart() -> None:
            with self.ctx.lock:
                for pod in pods:
                    pod.start()
                if leave_discovery:
                    self.ctx.discover(workload, True)

        undo = NoUndo("killed processes need no undo")
        in_place = began_at if leave_discovery else None  # the discovery term covers the drop
        return Injection(restart, undo, leaves_discovery=leave_discovery, began_at=began_at, in_place_at=in_place)

    def freeze_workload(self, workload: str) -> Injection:
        # A stopped process keeps its sockets open: scrapes hang until their timeout.
        return self._signal_injection(self._pods(workload), signal.SIGSTOP, signal.SIGCONT, hangs_target=True)

    def pause_consumers(self, workload: str) -> Injection:
        return self._signal_injection(self._pods(workload), signal.SIGUSR1, signal.SIGUSR2)

    def inject_errors(self, workload: str, ratio: float) -> Injection:
        return self._bff_fault(workload, {"error_ratio": ratio}, {"error_ratio": 0.0})

    def inject_latency(self, workload: str, seconds: float) -> Injection:
        return self._bff_fault(workload, {"latency_s": seconds}, {"latency_s": 0.0})

    def autoscale_on_queue(self, workload: str, min_replicas: int, max_replicas: int, lag: int) -> Injection:
        raise FaultError(
            "queue-depth autoscaling is not modelled on the local stack (its pods are processes with fixed "
            "replicas); the autoscaling drill runs on kind, where KEDA scales the workers (@kind)"
        )

    def submit_jobs(self, count: int, rate: float) -> Injection:
        """Real jobs through the BFF's API; they cannot be taken back, the workers drain them."""
        url = self.ctx.bff_url + "/api/jobs"
        interval, start = 1.0 / rate, time.monotonic()
        with httpx.Client(timeout=TIMEOUTS.job_submit_request) as client:
            for n in range(count):
                client.post(url, json={}).raise_for_status()
                delay = start + (n + 1) * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        return Injection(lambda: None, NoUndo(f"{count} jobs submitted"))

    def crashloop_workload(self, workload: str, pods: int) -> Injection:
        """Patch the command to exit at start and kill the running one; the supervisor restarts it."""
        targets = self._pods(workload)[-pods:]
        originals: list[tuple[ManagedProcess, list[str]]] = []
        with self.ctx.lock:
            for pod in targets:
                for proc in pod.processes:
                    originals.append((proc, proc.argv))
                    proc.argv = list(CRASH_ARGV)
                    if proc.is_running():
                        proc.send_signal(signal.SIGKILL)

        self._wait_for_crashloop(targets)

        def restore() -> None:
            with self.ctx.lock:
                for proc, argv in originals:
                    proc.argv = argv
                for pod in targets:
                    pod.stop()
                    pod.launch()
            for pod in targets:
                pod.wait_ready()

        return Injection(restore, NoUndo("the command patch lives in memory only"))

    def _wait_for_crashloop(self, pods: list[Pod], timeout: float = TIMEOUTS.crashloop_established) -> None:
        """Applied once every target is in CrashLoopBackOff with a back-off a scrape can see.

        Early back-offs (10 s, 20 s, ... scaled) can be shorter than a scrape interval; until then
        the crash loop is not yet observable, and that ramp belongs to the fault, not the bound.
        """
        scrape = self.ctx.timing.scrape_interval_s

        def established() -> bool:
            with self.ctx.lock:
                return all(
                    st.reason == "CrashLoopBackOff"
                    and backoff_s(st.restarts_in_row, self.ctx.timing.time_scale) >= scrape
                    for pod in pods
                    for st in pod.status
                )

        if not poll("crash loop established", established, poll_s=0.02, timeout_s=timeout).met:
            raise FaultError(f"crash loop of {[p.name for p in pods]} not established after {timeout:.0f}s")

    # -- node faults -----------------------------------------------------------------------
    def stop_node(self, node_name: str) -> Injection:
        node = self._node(node_name)
        on_node = [pod for pod in self.ctx.all_pods() if pod.node == node_name]
        with self.ctx.lock:
            node.up = False
            assert node.exporter is not None
            node.exporter.stop()
            for pod in on_node:
                pod.kill()

        def start() -> None:
            with self.ctx.lock:
                assert node.exporter is not None
                node.exporter.start()
                node.exporter.wait_ready()
                node.up = True
                for pod in on_node:
                    pod.launch()
            for pod in on_node:
                pod.wait_ready()

        return Injection(start, NoUndo("a stopped node's processes are gone"))

    def memory_pressure(self, node_name: str, usage_ratio: float) -> Injection:
        node = self._node(node_name)
        used = node.memory_used(self.ctx.pids_on(node_name))
        want = bounded_bytes(
            f"memory_pressure({node_name}, {usage_ratio:.0%})",
            int(usage_ratio * node.memory_bytes) - used,
            self.ctx.max_fault_bytes,
        )
        if want <= 0:
            raise FaultError(f"{node_name} already uses {used / node.memory_bytes:.0%} of its memory")
        hog = ManagedProcess(
            f"{node_name}.memhog",
            [
                sys.executable,
                "-m",
                "alertdrill.workload.memhog",
                "--bytes",
                str(want),
                "--max-bytes",
                str(self.ctx.max_fault_bytes),
            ],
            run_dir=self.ctx.run_dir,
            run_id=self.ctx.run_id,
            ready_timeout=TIMEOUTS.memory_hog_ready,
            ready=lambda: hog.pid is not None and rss_bytes(hog.pid) >= want * 0.95,
        )
        hog.start()
        try:
            hog.wait_ready()
        except BaseException:
            hog.stop()
            raise
        assert hog.pid is not None
        node.extra_pids.add(hog.pid)
        pid = hog.pid

        def release() -> None:
            node.extra_pids.discard(pid)
            hog.stop()

        return Injection(release, SignalUndo("SIGKILL", (pid,), self.ctx.run_id))

    def fill_disk(self, node_name: str, free_ratio: float) -> Injection:
        node = self._node(node_name)
        used = disk_used_bytes(node.data_dir)
        want = bounded_bytes(
            f"fill_disk({node_name}, {free_ratio:.0%} free)",
            int((1 - free_ratio) * node.disk_bytes) - used,
            self.ctx.max_fault_bytes,
        )
        if want <= 0:
            raise FaultError(f"{node_name} has only {1 - used / node.disk_bytes:.0%} free already")
        path = node.data_dir / f"fill-{self.ctx.run_id}-{time.monotonic_ns()}.bin"
        chunk = b"\xa5" * FILL_CHUNK
        try:
            with path.open("wb") as f:
                left = want
                while left > 0:
                    left -= f.write(chunk[: min(left, FILL_CHUNK)])
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Injection(lambda: path.unlink(missing_ok=True), DeleteFileUndo(str(path)))
