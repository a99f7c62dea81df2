"""The local stack: real Prometheus, Alertmanager, NATS JetStream, node exporters and the FLUO
workload as processes on 127.0.0.1, placed on virtual nodes and tended by a small kubelet."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

from alertdrill.backends import STACKS
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.errors import FaultError
from alertdrill.notify.heartbeat import heartbeat_spec
from alertdrill.notify.recorder import NotificationRecorder
from alertdrill.notify.redirect import SinkTargets
from alertdrill.observe.prometheus import query_values
from alertdrill.runtime.binaries import find_binary, program_version
from alertdrill.runtime.ports import LOOPBACK, PortAllocator, lease_port_block
from alertdrill.runtime.probes import http_ok
from alertdrill.runtime.process import ManagedProcess
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.tlsca import issue_run_certificates
from alertdrill.settings import Settings
from alertdrill.stack.base import GrafanaAccess, PipelineTimers, RunbookShell, Timing
from alertdrill.stack.common import StackLifecycle, start_run, write_config
from alertdrill.stack.health import wait_until_healthy
from alertdrill.stack.local.faults import LocalFaultContext, LocalFaults
from alertdrill.stack.local.load import run_local_load
from alertdrill.stack.local.nodes import NodeAgent, VirtualNode
from alertdrill.stack.local.pipeline import LocalPipeline, PipelineSetup
from alertdrill.stack.local.pipeline_faults import PipelineParts
from alertdrill.stack.local.pods import Pod, all_pods, pids_on
from alertdrill.stack.local.servers import ScrapeJob, target_discovery_s, write_targets
from alertdrill.stack.local.supervisor import KubeStateCollector, KubeStateServer, Supervisor
from alertdrill.stack.local.topology import (
    NAMESPACE,
    NODE_DISK_BYTES,
    NODE_MEMORY_BYTES,
    NODES,
    PLACEMENT,
    SCRAPED_JOBS,
    WORKLOAD_JOBS,
    WorkloadPorts,
    workload_pods,
)
from alertdrill.stack.local.usage import ContainerUsageCollector
from alertdrill.workload.plan import LoadPlan

log = logging.getLogger(__name__)
#: ... plus this many scrape+evaluation intervals: a target is first scraped within one interval
#: of discovery, and ServiceDown's absent() pending at start clears one evaluation later.
HEALTH_INTERVALS = 4
SERVERS = STACKS["local"].binaries


class LocalStack(StackLifecycle):
    """Everything on 127.0.0.1 in one run directory; stopped on every path out of `with`."""

    def __init__(self, settings: Settings, monitoring: MonitoringConfig) -> None:
        super().__init__()
        self.settings = settings
        self.monitoring = monitoring
        # Prometheus' resend delay as the team runs it (its kube values), scaled like the rest
        self.timing = replace(
            Timing.of(settings),
            pipeline_timers=PipelineTimers.scaled(settings.time_scale, monitoring.pipeline.resend_delay_s),
        )
        self.recorder = NotificationRecorder(settings.fixed_ports.get("recorder"))
        self.pods: dict[str, list[Pod]] = {}
        self.nodes: dict[str, VirtualNode] = {}
        self.lock = threading.RLock()  # held by the supervisor's ticks and by faults
        self.ready_s: float | None = None
        self.scale_notes: list[str] = []
        self.binaries: dict[str, Path] = {}
        self.node_agent: NodeAgent | None = None
        self.pipeline: LocalPipeline | None = None
        self._ports: dict[str, int] = {}
        self._port_allocator = PortAllocator()  # its block leased at start()

    # -- lifecycle -------------------------------------------------------------------------
    def _smarthost(self, receiver: str) -> str:
        port = self.recorder.smtp_port(receiver)
        self._port_allocator.reserve(port)
        return f"{LOOPBACK}:{port}"

    def start(self) -> None:
        t0 = time.monotonic()
        if self.settings.run_id:
            # a serial run takes a block too (as worker 0): its killed Prometheus or Alertmanager
            # is restarted on the same port, which must not be an ephemeral one meanwhile taken as
            # an outgoing connection's source port (runtime.ports)
            lease = lease_port_block(self.settings.run_id, self.settings.worker or "serial")
            self._exit.callback(lease.release)
            self._port_allocator.block = lease.block
        self.binaries = {name: find_binary(name, self.settings.bin_path) for name in SERVERS}
        version = program_version("prometheus", self.settings.bin_path)
        discovery = target_discovery_s(self.binaries["prometheus"], version, self.settings.time_scale)
        self.timing = replace(self.timing, discovery_s=discovery)
        self.run = start_run(self.settings)
        log.info("local stack %s starting in %s", self.run.run_id, self.run.path)
        self.recorder.certs = issue_run_certificates(self.run.sub("tls"), [LOOPBACK, "localhost"])
        self._exit.enter_context(self.recorder)  # bound first: no port below can collide with it
        heartbeat = heartbeat_spec(self.monitoring.meta, self.timing.time_scale)
        if heartbeat is not None:
            self.recorder.serve_heartbeat(heartbeat)
        self._port_allocator.reserve(self.recorder.port)
        sinks = SinkTargets(self.recorder.url, self._smarthost, str(self.recorder.certs.ca_file))
        # the SMTP listeners (opened while writing the config) are bound before the ports below are picked
        rule_paths, am_config, self.scale_notes = write_config(
            self.monitoring, self.run.sub("config"), self.timing, sinks
        )
        fixed = self.settings.fixed_ports
        for name in ("nats", "nats-monitor", "bff", "kube-state-metrics"):
            self._ports[name] = self._port_allocator.claim(name, fixed.get(name))
        self.pipeline = self._define_pipeline(am_config)
        self.pipeline.enter(self._exit)  # the links listen before Prometheus is configured with them
        for link in self.pipeline.links:
            self._port_allocator.reserve(link.port)
        self.pipeline.define_prometheus(rule_paths)
        self._define_nodes()
        self._define_pods()
        # Prometheus first: its scrape manager takes discovered targets only on a ticker (5 s
        # fixed on 2.42, measured 5.3 s to the first scrape; scaled on Prometheus 3, see
        # servers.discovery_reload_s), so everything else starts in that shadow.
        self._write_all_targets()
        self.pipeline.start()
        self._start_nodes()
        self._start_workload()
        self._start_kube_state()
        self.pipeline.wait_ready()
        self.wait_until_healthy(timeout=self._health_timeout_s())
        self.ready_s = time.monotonic() - t0
        log.info("local stack ready in %.2fs: %s", self.ready_s, self.urls())

    def _health_timeout_s(self) -> float:
        """20 s at 1 s intervals measured enough; at production timing (15 s) a target's first
        scrape alone can take 15 s after the 5 s discovery tick (seen: the stack timed out)."""
        return TIMEOUTS.stack_healthy + HEALTH_INTERVALS * (self.timing.scrape_interval_s + self.timing.eval_interval_s)

    # -- pieces ----------------------------------------------------------------------------
    def _define_nodes(self) -> None:
        for name in NODES:
            node = VirtualNode(
                name=name,
                memory_bytes=NODE_MEMORY_BYTES,
                disk_bytes=NODE_DISK_BYTES,
                root=self.run_dir / "nodes" / name,
            )
            node.make_dirs()
            port = self._port_allocator.claim("node-exporter", None)
            node.metrics = f"{LOOPBACK}:{port}"
            node.exporter = ManagedProcess(
                f"{name}.node-exporter",
                node.exporter_argv(self.binaries["node-exporter"], port),
                run_dir=self.run_dir,
                run_id=self.run_id,
                ready=http_ok(f"http://{node.metrics}/metrics"),
            )
            self._exit.callback(node.exporter.stop)
            self.nodes[name] = node

    def _define_pods(self) -> None:
        ports = WorkloadPorts(self._ports["nats"], self._ports["nats-monitor"], self._ports["bff"])
        nats_store = self.nodes[PLACEMENT["nats-0"]].data_dir / "nats"
        plans = workload_pods(
            ports, lambda name: self._port_allocator.claim(name, None), self.binaries["nats-server"], nats_store
        )
        for plan in plans:
            pod = Pod(
                name=plan.name,
                workload=plan.workload,
                containers=plan.containers,
                metrics=plan.metrics,
                run_dir=self.run_dir,
                run_id=self.run_id,
                node=plan.node,
            )
            self._exit.callback(pod.stop)
            self.pods.setdefault(plan.workload, []).append(pod)

    def _start_nodes(self) -> None:
        agent = NodeAgent(list(self.nodes.values()), self.pids_on, self.lock)
        agent.refresh()  # figures exist before any exporter reads them
        exporters = [n.exporter for n in self.nodes.values() if n.exporter is not None]
        for exporter in exporters:
            exporter.start()
        for exporter in exporters:
            exporter.wait_ready()
        agent.start()
        self._exit.callback(agent.stop)
        self.node_agent = agent

    def _start_workload(self) -> None:
        """NATS first (workers need it), then workers and the BFF together, then traffic."""
        for group in (["nats"], ["workers", "bff"], ["traffic"]):
            pods = [pod for w in group for pod in self.pods[w]]
            for pod in pods:
                pod.launch()
            for pod in pods:
                pod.wait_ready()
        supervisor = Supervisor(self.all_pods, self.lock, self.settings.time_scale)
        supervisor.start()
        self._exit.callback(supervisor.stop)

    def _start_kube_state(self) -> None:
        collectors = [KubeStateCollector(self.all_pods, NAMESPACE), ContainerUsageCollector(self.all_pods, NAMESPACE)]
        server = KubeStateServer(collectors, self._ports["kube-state-metrics"])
        self._exit.enter_context(server)

    def all_pods(self) -> list[Pod]:
        return all_pods(self.pods)

    def pids_on(self, node: str) -> list[int]:
        return pids_on(self.pods, node)

    def _write_all_targets(self) -> None:
        """Targets are known before their pods start (ports are claimed up front)."""
        sd = self.run_dir / "targets"
        for job in WORKLOAD_JOBS:
            self.discover(job, listed=True)
        write_targets(sd, "node-exporter", [(n.metrics, {"node": n.name}) for n in self.nodes.values()])
        write_targets(sd, "kube-state-metrics", [(f"{LOOPBACK}:{self._ports['kube-state-metrics']}", {})])
        pipeline = self._pipeline()
        write_targets(sd, "alertmanager", [(url.removeprefix("http://"), {}) for url in pipeline.alertmanager_urls])
        write_targets(sd, "prometheus", [(pipeline.prometheus_url.removeprefix("http://"), {})])

    def discover(self, workload: str, listed: bool) -> None:
        """List a workload's pods in service discovery, or take them out (as Kubernetes drops a
        deleted pod's endpoints) and wait until Prometheus has stopped scraping them: a fault
        that then kills them is seen only through their stale series, never a failed scrape."""
        pods = self.pods.get(workload, []) if listed else []
        targets = [(p.metrics, {"namespace": NAMESPACE, "pod": p.name, "node": p.node}) for p in pods if p.metrics]
        write_targets(self.run_dir / "targets", workload, targets)
        if not listed and self.pipeline is not None:
            self.pipeline.wait_dropped(workload)

    def _define_pipeline(self, am_config: Path) -> LocalPipeline:
        replicas = self.monitoring.pipeline.alertmanager_replicas
        setup = PipelineSetup(
            prometheus_binary=self.binaries["prometheus"],
            alertmanager_binary=self.binaries["alertmanager"],
            alertmanager_config=am_config,
            run_dir=self.run_dir,
            run_id=self.run_id,
            timing=self.timing,
            replicas=replicas,
            sd_dir=self.run_dir / "targets",
            jobs=[ScrapeJob(job, honor_labels=job == "kube-state-metrics") for job in SCRAPED_JOBS],
        )
        return LocalPipeline(setup, self._port_allocator.claim, self.settings.fixed_ports)

    def _pipeline(self) -> LocalPipeline:
        if self.pipeline is None:
            raise RuntimeError("the local stack is not started")
        return self.pipeline

    # -- the monitoring half ---------------------------------------------------------------
    @property
    def prometheus_url(self) -> str:
        return self._pipeline().prometheus_url

    @property
    def alertmanager_url(self) -> str:
        """The first Alertmanager: the one people acknowledge at (its peers learn by gossip)."""
        return self._pipeline().alertmanager_urls[0]

    @property
    def alertmanager_urls(self) -> list[str]:
        return self._pipeline().alertmanager_urls

    @property
    def grafana(self) -> GrafanaAccess | None:
        return None  # no Grafana locally: dashboards are checked against Prometheus directly

    def urls(self) -> dict[str, str]:
        peers = {f"alertmanager-{i}": url for i, url in enumerate(self._pipeline().alertmanager_urls) if i > 0}
        return {
            "prometheus": self.prometheus_url,
            "alertmanager": self.alertmanager_url,
            **peers,
            "recorder": self.recorder.url,
            "bff": f"http://{LOOPBACK}:{self._ports['bff']}",
            "nats-monitor": f"http://{LOOPBACK}:{self._ports['nats-monitor']}",
        }

    def isolate(self, reset_rules: bool) -> bool:
        """Make sure the next drill sees the same timing as the first one.

        Why: an Alertmanager aggregation group outlives its alert, and Prometheus re-sends
        resolved alerts for 15 minutes (each feeding the group again), so a drill whose alert
        shares a group with an earlier drill's alert would skip group_wait. With `reset_rules`
        (the drill expects an alert that fired before on this stack) the same rules are loaded
        from a new directory (rule groups are keyed by file, so every old alert state is
        dropped) and Alertmanager restarts empty. A reload costs up to 5 s: Prometheus only
        learns its Alertmanagers again at its discovery manager's 5 s tick. Otherwise the stale
        groups belong to other alerts and are harmless, and nothing is restarted.
        """
        if reset_rules:
            log.info("isolating: an earlier drill's alert may share this drill's group; fresh rule state")
            self._reset_alerting_state()
        self.wait_until_healthy(timeout=self._health_timeout_s())
        return reset_rules

    def _reset_alerting_state(self) -> None:
        self._pipeline().reset_alerting_state()

    def wait_until_healthy(self, timeout: float) -> None:
        """Every scraped target up, and no alert pending or firing anywhere."""
        wait_until_healthy(
            self.prometheus_url,
            self.alertmanager_url,
            SCRAPED_JOBS,
            timeout,
            hint=f"; see logs in {self.run_dir}",
            always_firing=self.monitoring.always_firing,
        )

    # -- the platform half -----------------------------------------------------------------
    def faults(self) -> LocalFaults:
        return LocalFaults(
            LocalFaultContext(
                pods=self.pods,
                nodes=self.nodes,
                lock=self.lock,
                run_dir=self.run_dir,
                run_id=self.run_id,
                timing=self.timing,
                max_fault_bytes=self.settings.max_fault_bytes,
                bff_url=self.urls()["bff"],
                discover=self.discover,
                query=self._query,
            ),
            PipelineParts(self._pipeline(), self.recorder.relay),
        )

    def _query(self, expr: str) -> list[float]:
        return query_values(self.prometheus_url, expr)

    def run_load(self, plan: LoadPlan) -> dict[str, float]:
        return run_local_load(self.urls()["bff"], plan, self.run_dir, self.run_id)

    def runbook_shell(self) -> RunbookShell:
        raise FaultError(
            "runbook commands talk to Kubernetes (kubectl), and the local stack has none: runbook drills are "
            "@kind (run them with --stack kind or cluster); `alertdrill check` reads the runbooks offline"
        )

    def pids(self) -> dict[str, int]:
        """Every live process of the stack by name (for measurements and leak checks)."""
        procs = [p for pod in self.all_pods() for p in pod.processes]
        procs += [n.exporter for n in self.nodes.values() if n.exporter is not None]
        procs += self._pipeline().processes() if self.pipeline is not None else []
        return {p.name: p.pid for p in procs if p.pid is not None and p.is_running()}

    def export_logs(self, dest: Path) -> Path | None:
        return None  # every process logs into the run directory, which outlives the run

    def diagnostics(self) -> dict[str, str]:
        """Log tails of every process, for a failed drill's report."""
        out: dict[str, str] = {}
        for pod in self.all_pods():
            out.update(pod.log_tails())
        for proc in self.pipeline.processes() if self.pipeline is not None else []:
            out[proc.name] = proc.log_tail()
        return out
