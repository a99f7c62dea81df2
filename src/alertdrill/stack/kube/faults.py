"""Faults on Kubernetes: chaostoolkit-kubernetes where it has the action, the kubernetes client or
kubectl/docker where it does not. Same fault names and arguments as the local stack, so the same
`scenarios/*.yaml` drive both. Every fault returns its live undo and the command lines that undo
it offline (`alertdrill revert` after a crashed run).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from alertdrill.errors import FaultError
from alertdrill.faults.discovery import wait_until_discovery_quiet
from alertdrill.faults.injection import CommandsUndo, Injection, NoUndo
from alertdrill.faults.limits import bounded_bytes, require_http_workload
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll
from alertdrill.settings import Settings
from alertdrill.stack.kube import commands, manifests
from alertdrill.stack.kube.api import KubeTarget, chaos_env
from alertdrill.stack.kube.autoscaling import autoscale_on_queue
from alertdrill.stack.kube.pipeline_faults import KubePipelineFaults, PipelineTarget
from alertdrill.stack.kube.pod_status import node_ready_since, wait_for_crashloop
from alertdrill.stack.kube.tools import Runner, poll_command

log = logging.getLogger(__name__)

CRASH_COMMAND = ["python", "-c", "import sys; print('crashing at start (crashloop fault)'); sys.exit(1)"]
#: Deployments of the workload; NATS is the NATS chart's StatefulSet of the same name.
DEPLOYMENTS = ("bff", "workers", "traffic")
STATEFULSETS = ("nats",)
KIND_NODES = commands.KIND_NODES


def _undo(*argv: list[str]) -> CommandsUndo:
    return CommandsUndo(tuple(tuple(a) for a in argv))


def signal_all(signame: str) -> list[str]:
    """A command run inside a pod: signal every process but PID 1 (tini) and itself (kill(-1))."""
    return ["python", "-c", f"import os, signal; os.kill(-1, signal.{signame})"]


@dataclass
class KubeFaultContext:
    """What the faults need from the stack, kept narrow so tests can hand in a recorded API."""

    settings: Settings
    target: KubeTarget
    runner: Runner
    kind: bool
    query: Callable[[str], list[float]]  # PromQL instant query → sample values
    #: The scrape interval as the stack runs it (an existing cluster's may be longer than settings say).
    scrape_interval_s: float | None = None

    @property
    def ns(self) -> str:
        return self.settings.kube.namespace

    def kubectl(self, *args: str) -> list[str]:
        ctx = commands.kube_context(self.settings.kube, self.kind)
        return commands.kubectl(self.settings.kube, ctx, *args, "--namespace", self.ns)


class KubeFaults(KubePipelineFaults):
    """The FaultBackend of the kind and cluster stacks."""

    def __init__(self, ctx: KubeFaultContext, pipeline: PipelineTarget) -> None:
        self.ctx = ctx
        self.pipeline = pipeline

    # -- helpers ---------------------------------------------------------------------------
    def _chaos(self, func: Callable[..., Any], **kwargs: Any) -> Any:
        with chaos_env(self.ctx.target):
            return func(secrets=self.ctx.target.chaos_secrets() or None, **kwargs)

    def _workload_kind(self, workload: str) -> str:
        if workload in DEPLOYMENTS:
            return "deployment"
        if workload in STATEFULSETS:
            return "statefulset"
        raise FaultError(f"no workload {workload!r} on Kubernetes (have: {', '.join(DEPLOYMENTS + STATEFULSETS)})")

    def _replicas(self, workload: str) -> int:
        from kubernetes import client

        apps = client.AppsV1Api(self.ctx.target.api_client())
        if self._workload_kind(workload) == "deployment":
            scale = apps.read_namespaced_deployment_scale(workload, self.ctx.ns)
        else:
            scale = apps.read_namespaced_stateful_set_scale(workload, self.ctx.ns)
        return int(scale.spec.replicas or 0) if scale.spec else 0

    def _scale(self, workload: str, replicas: int) -> None:
        if self._workload_kind(workload) == "deployment":
            from chaosk8s.deployment.actions import scale_deployment

            self._chaos(scale_deployment, name=workload, replicas=replicas, ns=self.ctx.ns)
            return
        from kubernetes import client

        apps = client.AppsV1Api(self.ctx.target.api_client())
        apps.patch_namespaced_stateful_set_scale(workload, self.ctx.ns, {"spec": {"replicas": replicas}})

    def _exec_all(self, workload: str, cmd: list[str], timeout_s: float = TIMEOUTS.kube_exec) -> None:
        """Run `cmd` in every pod of the workload (chaosk8s skips pods unless the container is named;
        its exec request is cut at `timeout_s`, a minute unless the command needs longer)."""
        from chaosk8s.pod.actions import exec_in_pods

        results = self._chaos(
            exec_in_pods,
            cmd=cmd,
            label_selector=manifests.selector(workload),
            all=True,
            ns=self.ctx.ns,
            container_name=workload,
            request_timeout=math.ceil(timeout_s),
        )
        failed = [r for r in results or [] if r.get("exit_code") not in (0, None)]
        if not results or failed:
            raise FaultError(f"`{' '.join(cmd)}` in the {workload} pods did not succeed: {failed or 'no pod matched'}")

    def _bff_post(self, body: dict[str, float]) -> None:
        """POSTed from inside each BFF pod to itself: the BFF is not exposed outside the cluster, and
        the API server's service proxy cannot carry a request body in the Python client."""

        script = (
            "import json, urllib.request\n"
            f"req = urllib.request.Request('http://127.0.0.1:{manifests.BFF_PORT}/admin/fault', "
            f"data=json.dumps({json.dumps(body)}).encode(), headers={{'Content-Type': 'application/json'}})\n"
            "urllib.request.urlopen(req, timeout=5).read()\n"
        )
        self._exec_all("bff", ["python", "-c", script])

    def _node_name(self, node: str) -> str:
        if not self.ctx.kind:
            return node  # a real cluster's node names are used as they are
        suffix = KIND_NODES.get(node)
        if suffix is None:
            raise FaultError(f"no node {node!r} on kind (have: {', '.join(KIND_NODES)})")
        return commands.kind_node_container(self.ctx.settings.kube, suffix)

    def _limit(self) -> tuple[int, str]:
        """The byte bound and why it matters on kind (every node reports the host's figures)."""
        return self.ctx.settings.max_fault_bytes, (
            ". On kind every node reports the host's memory and disk, so node-level faults scale "
            "with the host; raise the bound only on a machine that can spare it"
        )

    def _node_value(self, expr: str, node: str) -> float:
        values = self.ctx.query(expr.replace("$NODE", node))
        if not values:
            raise FaultError(f"Prometheus has no sample for {expr.replace('$NODE', node)}: is node {node} scraped?")
        return values[0]

    def _fault_pod(self, manifest: manifests.Manifest, what: str) -> Injection:
        from kubernetes import client

        core = client.CoreV1Api(self.ctx.target.api_client())
        name = manifest["metadata"]["name"]
        core.create_namespaced_pod(self.ctx.ns, manifest)  # type: ignore[arg-type]  # the client takes dicts

        def phase() -> str | None:
            status = core.read_namespaced_pod(name, self.ctx.ns).status
            return status.phase if status else None

        started = poll(
            f"fault pod {name} Running",
            phase,
            done=lambda p: p in ("Running", "Failed", "Succeeded"),  # the last two will never run
            poll_s=1.0,
            timeout_s=TIMEOUTS.kube_fault_pod_running,
        )
        if started.value != "Running":
            core.delete_namespaced_pod(name, self.ctx.ns, grace_period_seconds=0)
            raise FaultError(f"{what}: fault pod {name} is {started.value}, not Running; see `kubectl logs {name}`")

        def gone() -> bool:
            try:
                core.read_namespaced_pod(name, self.ctx.ns)
            except client.ApiException as exc:
                if exc.status == 404:
                    return True
                raise
            return False

        def delete() -> None:
            core.delete_namespaced_pod(name, self.ctx.ns)
            poll(f"fault pod {name} gone", gone, poll_s=1.0, timeout_s=TIMEOUTS.kube_fault_pod_gone)

        undo = self.ctx.kubectl("delete", "pod", name, "--ignore-not-found", "--wait")
        return Injection(delete, _undo(undo))

    # -- workload faults -------------------------------------------------------------------
    def kill_workload(self, workload: str, leave_discovery: bool = True) -> Injection:
        """Pods deleted (grace 0), not replaced until rollback (scaled to zero): always leaves discovery."""
        from chaosk8s.pod.actions import terminate_pods

        kind = self._workload_kind(workload)
        replicas = self._replicas(workload)
        wait_until_discovery_quiet(self.ctx.query, self.ctx.scrape_interval_s or self.ctx.settings.scrape_interval_s)
        began_at = time.time()
        self._scale(workload, 0)
        self._chaos(
            terminate_pods, label_selector=manifests.selector(workload), all=True, grace_period=0, ns=self.ctx.ns
        )
        undo = self.ctx.kubectl("scale", f"{kind}/{workload}", f"--replicas={replicas}")
        return Injection(lambda: self._scale(workload, replicas), _undo(undo), leaves_discovery=True, began_at=began_at)

    def freeze_workload(self, workload: str) -> Injection:
        self._workload_kind(workload)
        self._exec_all(workload, signal_all("SIGSTOP"))
        return Injection(
            lambda: self._exec_all(workload, signal_all("SIGCONT")),
            _undo(self._exec_argv(workload, "SIGCONT")),
            hangs_target=True,
        )

    def _exec_argv(self, workload: str, signame: str) -> list[str]:
        kind = self._workload_kind(workload)
        return self.ctx.kubectl("exec", f"{kind}/{workload}", "--", *signal_all(signame))

    def pause_consumers(self, workload: str) -> Injection:
        """The workers stop fetching but stay up and scraped (SIGUSR1, as on the local stack; SIGUSR2
        resumes). Scaling them to zero would make their targets vanish and fire ServiceDown too."""
        if workload != "workers":
            raise FaultError(f"only the workers consume from NATS, not {workload!r}")
        self._exec_all(workload, signal_all("SIGUSR1"))
        return Injection(
            lambda: self._exec_all(workload, signal_all("SIGUSR2")), _undo(self._exec_argv(workload, "SIGUSR2"))
        )

    def inject_errors(self, workload: str, ratio: float) -> Injection:
        return self._bff_fault(workload, {"error_ratio": ratio}, {"error_ratio": 0.0})

    def inject_latency(self, workload: str, seconds: float) -> Injection:
        return self._bff_fault(workload, {"latency_s": seconds}, {"latency_s": 0.0})

    def _bff_fault(self, workload: str, body: dict[str, float], undo: dict[str, float]) -> Injection:
        require_http_workload(workload)
        self._bff_post(body)
        # Offline, the BFF is restarted: it starts without faults.
        undo_argv = self.ctx.kubectl("rollout", "restart", "deployment/bff")
        return Injection(lambda: self._bff_post(undo), _undo(undo_argv))

    def autoscale_on_queue(self, workload: str, min_replicas: int, max_replicas: int, lag: int) -> Injection:
        kubectl = self.ctx.kubectl()
        restore = self._replicas(workload)
        return autoscale_on_queue(
            self.ctx.runner, kubectl, self.ctx.ns, workload, (min_replicas, max_replicas), lag, restore
        )

    def submit_jobs(self, count: int, rate: float) -> Injection:
        """Real jobs through the BFF, posted from inside the traffic pod (the BFF is not exposed)."""
        script = (
            "import time, urllib.request\n"
            f"url = 'http://bff.{self.ctx.ns}.svc:{manifests.BFF_PORT}/api/jobs'\n"
            f"start = time.monotonic()\n"
            f"for n in range({count}):\n"
            "    req = urllib.request.Request(url, data=b'{}', headers={'Content-Type': 'application/json'})\n"
            "    urllib.request.urlopen(req, timeout=5).read()\n"
            f"    time.sleep(max(0.0, start + (n + 1) / {rate} - time.monotonic()))\n"
        )
        self._exec_all("traffic", ["python", "-c", script], timeout_s=math.ceil(count / rate) + 30)  # paced
        return Injection(lambda: None, NoUndo(f"{count} jobs submitted"))

    def crashloop_workload(self, workload: str, pods: int) -> Injection:
        """Patch the Deployment's command to exit at start. With maxUnavailable 0 and maxSurge 1 the
        rollout adds one crashing pod and keeps the healthy ones, so exactly one pod crash-loops."""
        from kubernetes import client

        if self._workload_kind(workload) != "deployment" or pods != 1:
            raise FaultError("on Kubernetes the crash loop patches one Deployment's command: pods must be 1")
        apps = client.AppsV1Api(self.ctx.target.api_client())

        def patch(command: list[str] | None) -> None:
            body = {"spec": {"template": {"spec": {"containers": [{"name": workload, "command": command}]}}}}
            apps.patch_namespaced_deployment(workload, self.ctx.ns, body)

        patch(CRASH_COMMAND)
        undo = self.ctx.kubectl("rollout", "undo", f"deployment/{workload}")
        try:
            wait_for_crashloop(self.ctx.target, self.ctx.ns, workload)
        except FaultError:
            patch(None)
            raise
        return Injection(lambda: patch(None), _undo(undo), adds_target=True)

    def stop_node(self, node: str) -> Injection:
        """`docker stop` of a kind node container; started again (and waited Ready) on rollback."""
        if not self.ctx.kind:
            raise FaultError("stop_node needs the kind stack (a real cluster's nodes are not alertdrill's to stop)")
        container = self._node_name(node)
        self.ctx.runner.run(commands.docker_stop(container), timeout=TIMEOUTS.kube_docker_node)

        def start() -> None:
            started = time.time()
            self.ctx.runner.run(commands.docker_start(container), timeout=TIMEOUTS.kube_docker_node)
            self._wait_node_back(container, started)

        # A stopped kind node's exporter does not refuse: its scrapes hang until the scrape timeout.
        return Injection(start, _undo(commands.docker_start(container)), hangs_target=True)

    def _wait_node_back(self, node: str, started: float, timeout_s: float = TIMEOUTS.kube_node_back) -> None:
        """Ready *as reported by the restarted kubelet*: a Ready condition whose heartbeat is newer
        than the restart. Why not `kubectl wait --for=condition=Ready`: since Kubernetes 1.32 a
        node turns NotReady only ~50 s after its kubelet stops, so a rollback before that finds
        the stale Ready of the stopped node and would end the recovery at once."""
        kube = self.ctx.settings.kube
        argv = commands.kubectl(kube, commands.kube_context(kube, True), "get", "node", node, "--output", "json")
        back = poll_command(
            self.ctx.runner,
            argv,
            lambda d: d.returncode == 0 and node_ready_since(d.stdout, started),
            timeout_s,
            run_timeout_s=TIMEOUTS.kube_get,
        )
        if back is None:
            raise FaultError(
                f"node {node} was started again but its kubelet reported no Ready within "
                f"{timeout_s:.0f}s; see `kubectl describe node {node}`"
            )

    def memory_pressure(self, node: str, usage_ratio: float) -> Injection:
        name = self._node_name(node)  # where the fault pod runs; the `node` label is `node` itself
        total = self._node_value('node_memory_MemTotal_bytes{node="$NODE"}', node)
        avail = self._node_value('node_memory_MemAvailable_bytes{node="$NODE"}', node)
        what = f"memory_pressure({node}, {usage_ratio:.0%})"
        need = bounded_bytes(what, int(usage_ratio * total - (total - avail)), *self._limit())
        if need <= 0:
            raise FaultError(f"node {node} already uses more than {usage_ratio:.0%} of its memory")
        pod = manifests.memory_hog_pod(self.ctx.settings.kube, name, need, self.ctx.settings.max_fault_bytes)
        return self._fault_pod(pod, f"memory_pressure({node})")

    def _fill_filesystem(self, node: str) -> str:
        """The selector of the filesystem the fill pod writes to (its hostPath, FILL_HOST_PATH): the
        deepest mount point node-exporter reports on the path. On kind `/` is the node container's
        overlay, which the chart's node-exporter excludes, and `/var` is a volume of its own; on a
        real node `/var` may be a partition, or the path is on `/`."""
        parents = [str(p) for p in PurePosixPath(manifests.FILL_HOST_PATH).parents]  # deepest first
        for mountpoint in parents:
            sel = f'node="$NODE",mountpoint="{mountpoint}",fstype!="tmpfs"'
            if self.ctx.query(f"node_filesystem_size_bytes{{{sel}}}".replace("$NODE", node)):
                return sel
        raise FaultError(
            f"node {node}: node-exporter reports none of {', '.join(parents)}, where the fill pod would write "
            f"({manifests.FILL_HOST_PATH}); is node {node} scraped, or are they excluded by its filesystem collector?"
        )

    def fill_disk(self, node: str, free_ratio: float) -> Injection:
        name = self._node_name(node)
        sel = self._fill_filesystem(node)
        size = self._node_value(f"node_filesystem_size_bytes{{{sel}}}", node)
        avail = self._node_value(f"node_filesystem_avail_bytes{{{sel}}}", node)
        what = f"fill_disk({node}, {free_ratio:.0%} free)"
        need = bounded_bytes(what, int(avail - free_ratio * size), *self._limit())
        if need <= 0:
            raise FaultError(f"node {node} already has less than {free_ratio:.0%} free")
        return self._fault_pod(manifests.disk_fill_pod(self.ctx.settings.kube, name, need), f"fill_disk({node})")
