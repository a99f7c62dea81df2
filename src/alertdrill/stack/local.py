"""The local stack: real Prometheus, Alertmanager, NATS JetStream, node exporters and the FLUO
workload as processes on 127.0.0.1, placed on virtual nodes and tended by a small kubelet."""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from pathlib import Path
from types import TracebackType

import httpx

from alertdrill.errors import ObserveError, WaitTimeout
from alertdrill.faults.ledger import revert_offline
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.observe.recorder import NotificationRecorder
from alertdrill.rules.monitoring import MonitoringConfig
from alertdrill.settings import Settings
from alertdrill.stack.base import Timing
from alertdrill.stack.binaries import find_binary
from alertdrill.stack.local_config import ScrapeJob, write_prometheus_config, write_targets
from alertdrill.stack.local_faults import LocalFaults
from alertdrill.stack.nodes import NodeAgent, VirtualNode
from alertdrill.stack.pods import ContainerSpec, Pod, http_ok, python_module
from alertdrill.stack.ports import LOOPBACK, PortAllocator
from alertdrill.stack.process import ManagedProcess
from alertdrill.stack.rundir import RunDir, dead_runs, sweep_stale_processes
from alertdrill.stack.supervisor import KubeStateCollector, KubeStateServer, Supervisor

log = logging.getLogger(__name__)

NAMESPACE = "fluo"
WORKLOAD_JOBS = ["bff", "workers", "nats"]
SCRAPED_JOBS = [*WORKLOAD_JOBS, "node-exporter", "kube-state-metrics"]
TRAFFIC_RPS = 20.0
#: Scaled range windows never go below this many scrapes, so rate() always has samples.
MIN_RANGE_SCRAPES = 4
NODE_MEMORY_BYTES = 512 * 2**20
NODE_DISK_BYTES = 256 * 2**20
#: Where each pod runs: NATS and the BFF on node-0, one worker each on node-1 and node-2.
PLACEMENT = {
    "nats-0": "node-0",
    "bff-0": "node-0",
    "workers-0": "node-1",
    "traffic-0": "node-1",
    "workers-1": "node-2",
}
NODES = ["node-0", "node-1", "node-2"]


class LocalStack:
    """Everything on 127.0.0.1 in one run directory; stopped on every path out of `with`."""

    def __init__(self, settings: Settings, monitoring: MonitoringConfig) -> None:
        self.settings = settings
        self.monitoring = monitoring
        self.timing = Timing(
            scrape_interval_s=settings.scrape_interval_s,
            eval_interval_s=settings.eval_interval_s,
            scrape_timeout_s=min(0.5, settings.scrape_interval_s),
            time_scale=settings.time_scale,
        )
        self.recorder = NotificationRecorder(settings.fixed_ports.get("recorder"))
        self.pods: dict[str, list[Pod]] = {}
        self.nodes: dict[str, VirtualNode] = {}
        self.lock = threading.RLock()  # held by the supervisor's ticks and by faults
        self.ready_s: float | None = None
        self.scale_notes: list[str] = []
        self.binaries: dict[str, Path] = {}
        self.node_agent: NodeAgent | None = None
        self._exit = contextlib.ExitStack()
        self._prometheus: ManagedProcess | None = None
        self._alertmanager: ManagedProcess | None = None
        self._ports: dict[str, int] = {}
        self._port_allocator = PortAllocator()
        self._rule_paths: list[Path] = []
        self._epoch = 0
        self.run: RunDir | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> LocalStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def run_id(self) -> str:
        assert self.run is not None, "stack not started"
        return self.run.run_id

    @property
    def run_dir(self) -> Path:
        assert self.run is not None
        return self.run.path

    def start(self) -> None:
        t0 = time.monotonic()
        self.binaries = {
            name: find_binary(name, self.settings.bin_path)
            for name in ("prometheus", "alertmanager", "nats-server", "node-exporter")
        }
        sweep_stale_processes(self.settings.runs_dir)
        for dead in dead_runs(self.settings.runs_dir):  # faults a killed run could not undo
            for line in revert_offline(dead):
                log.warning("reverted a fault left by dead run %s: %s", dead.name, line)
        self.run = RunDir.create(self.settings.runs_dir)
        log.info("local stack %s starting in %s", self.run.run_id, self.run.path)
        self._exit.enter_context(self.recorder)  # bound first: no port below can collide with it
        self._port_allocator.reserve(self.recorder.port)
        fixed = self.settings.fixed_ports
        for name in ("prometheus", "alertmanager", "nats", "nats-monitor", "bff"):
            self._ports[name] = self._port_allocator.claim(name, fixed.get(name))
        rule_paths, am_config, notes = self.monitoring.write_scaled(
            self.run.sub("config"),
            self.settings.time_scale,
            MIN_RANGE_SCRAPES * self.timing.scrape_interval_s,
            self.recorder.url,
        )
        self.scale_notes = [
            f"{n.where}: window {n.original_s:g}s scaled to {n.scaled_s:g}s (clamped to {MIN_RANGE_SCRAPES} scrapes)"
            for n in notes
        ]
        for note in self.scale_notes:
            log.warning("%s", note)
        self._alertmanager = self._make_alertmanager(am_config)
        self._prometheus = self._make_prometheus(rule_paths)
        self._exit.callback(self._alertmanager.stop)
        self._exit.callback(self._prometheus.stop)
        self._define_nodes()
        self._define_pods()
        # Prometheus first: its discovery manager hands targets to the scrapers only on a 5 s
        # ticker (measured 5.3 s to the first scrape), so everything else starts in that shadow.
        self._write_all_targets()
        self._alertmanager.start()
        self._prometheus.start()
        self._start_nodes()
        self._start_workload()
        self._start_kube_state()
        self._alertmanager.wait_ready()
        self._prometheus.wait_ready()
        self.wait_until_healthy(timeout=20.0)
        self.ready_s = time.monotonic() - t0
        log.info("local stack ready in %.2fs: %s", self.ready_s, self.urls())

    def stop(self) -> None:
        """Stop everything that was started, last first; safe to call twice."""
        self._exit.close()

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
        nats_port, monitor = self._ports["nats"], self._ports["nats-monitor"]
        nats_url = f"nats://{LOOPBACK}:{nats_port}"
        nats_store = self.nodes[PLACEMENT["nats-0"]].data_dir / "nats"
        exporter = self._port_allocator.claim("nats-exporter", None)
        self._pod(
            "nats",
            "nats-0",
            f"{LOOPBACK}:{exporter}",
            [
                ContainerSpec(
                    "nats",
                    [
                        str(self.binaries["nats-server"]),
                        "-a",
                        LOOPBACK,
                        "-p",
                        str(nats_port),
                        "-m",
                        str(monitor),
                        "-js",
                        "-sd",
                        str(nats_store),
                        "--server_name",
                        "fluo-nats-0",
                    ],
                    http_ok(f"http://{LOOPBACK}:{monitor}/healthz"),
                ),
                ContainerSpec(
                    "exporter",
                    python_module(
                        "alertdrill.workload.nats_exporter",
                        "--port",
                        str(exporter),
                        "--monitor-url",
                        f"http://{LOOPBACK}:{monitor}",
                    ),
                    http_ok(f"http://{LOOPBACK}:{exporter}/metrics"),
                ),
            ],
        )
        for i in range(2):
            port = self._port_allocator.claim("worker", None)
            self._pod(
                "workers",
                f"workers-{i}",
                f"{LOOPBACK}:{port}",
                [
                    ContainerSpec(
                        "worker",
                        python_module(
                            "alertdrill.workload.worker", "--metrics-port", str(port), "--nats-url", nats_url
                        ),
                        http_ok(f"http://{LOOPBACK}:{port}/metrics"),
                    )
                ],
            )
        bff = self._ports["bff"]
        self._pod(
            "bff",
            "bff-0",
            f"{LOOPBACK}:{bff}",
            [
                ContainerSpec(
                    "bff",
                    python_module("alertdrill.workload.bff", "--port", str(bff), "--nats-url", nats_url),
                    http_ok(f"http://{LOOPBACK}:{bff}/health"),
                )
            ],
        )
        self._pod(
            "traffic",
            "traffic-0",
            None,
            [
                ContainerSpec(
                    "traffic",
                    python_module(
                        "alertdrill.workload.traffic",
                        "--url",
                        f"http://{LOOPBACK}:{bff}",
                        "--rps",
                        str(TRAFFIC_RPS),
                    ),
                )
            ],
        )

    def _pod(self, workload: str, name: str, metrics: str | None, containers: list[ContainerSpec]) -> None:
        pod = Pod(
            name=name,
            workload=workload,
            containers=containers,
            metrics=metrics,
            run_dir=self.run_dir,
            run_id=self.run_id,
            node=PLACEMENT[name],
        )
        self._exit.callback(pod.stop)
        self.pods.setdefault(workload, []).append(pod)

    def _start_nodes(self) -> None:
        agent = NodeAgent(list(self.nodes.values()), self.pids_on, self.lock)
        agent.refresh()  # figures exist before any exporter reads them
        for node in self.nodes.values():
            assert node.exporter is not None
            node.exporter.start()
        for node in self.nodes.values():
            assert node.exporter is not None
            node.exporter.wait_ready()
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
        server = KubeStateServer(KubeStateCollector(self.all_pods, NAMESPACE), self._ports["kube-state-metrics"])
        self._exit.enter_context(server)

    def all_pods(self) -> list[Pod]:
        return [pod for pods in self.pods.values() for pod in pods]

    def pids_on(self, node: str) -> list[int]:
        return [pid for pod in self.all_pods() if pod.node == node for pid in pod.pids]

    def _write_all_targets(self) -> None:
        """Targets are known before their pods start (ports are claimed up front)."""
        sd = self.run_dir / "targets"
        for job in WORKLOAD_JOBS:
            write_targets(
                sd,
                job,
                [
                    (pod.metrics, {"namespace": NAMESPACE, "pod": pod.name, "node": pod.node})
                    for pod in self.pods.get(job, [])
                    if pod.metrics
                ],
            )
        write_targets(sd, "node-exporter", [(n.metrics, {"node": n.name}) for n in self.nodes.values()])
        self._ports["kube-state-metrics"] = self._port_allocator.claim("kube-state-metrics", None)
        write_targets(sd, "kube-state-metrics", [(f"{LOOPBACK}:{self._ports['kube-state-metrics']}", {})])

    def _write_prometheus_config(self, rule_paths: list[Path]) -> Path:
        t = self.timing
        config = self.run_dir / "config" / "prometheus.yml"
        write_prometheus_config(
            config,
            scrape_s=t.scrape_interval_s,
            eval_s=t.eval_interval_s,
            scrape_timeout_s=t.scrape_timeout_s,
            rule_files=rule_paths,
            alertmanager=f"{LOOPBACK}:{self._ports['alertmanager']}",
            sd_dir=self.run_dir / "targets",
            jobs=[ScrapeJob(job, honor_labels=job == "kube-state-metrics") for job in SCRAPED_JOBS],
        )
        return config

    def _make_prometheus(self, rule_paths: list[Path]) -> ManagedProcess:
        self._rule_paths = rule_paths
        config = self._write_prometheus_config(rule_paths)
        # Resend delay follows the time scale (1m in production): lower than that, Alertmanager
        # resolves alerts falsely whenever Prometheus is briefly unreachable.
        resend = max(1.0, 60.0 / self.settings.time_scale)
        return ManagedProcess(
            "prometheus",
            [
                str(self.binaries["prometheus"]),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.run_dir / 'prometheus-data'}",
                f"--web.listen-address={LOOPBACK}:{self._ports['prometheus']}",
                f"--rules.alert.resend-delay={resend:g}s",
                "--web.enable-lifecycle",
                "--storage.tsdb.retention.time=1d",
                "--log.level=warn",
            ],
            run_dir=self.run_dir,
            run_id=self.run_id,
            ready=PrometheusClient(self.prometheus_url).is_ready,
        )

    def _make_alertmanager(self, config: Path) -> ManagedProcess:
        # An empty cluster address turns gossip off: with it on, the first notification waits
        # ~10 s for gossip to settle and the port binds 0.0.0.0:9094.
        return ManagedProcess(
            "alertmanager",
            [
                str(self.binaries["alertmanager"]),
                f"--config.file={config}",
                f"--storage.path={self.run_dir / 'alertmanager-data'}",
                f"--web.listen-address={LOOPBACK}:{self._ports['alertmanager']}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            run_dir=self.run_dir,
            run_id=self.run_id,
            ready=AlertmanagerClient(self.alertmanager_url).is_ready,
        )

    # -- what drills use -------------------------------------------------------------------
    @property
    def prometheus_url(self) -> str:
        return f"http://{LOOPBACK}:{self._ports['prometheus']}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://{LOOPBACK}:{self._ports['alertmanager']}"

    def urls(self) -> dict[str, str]:
        return {
            "prometheus": self.prometheus_url,
            "alertmanager": self.alertmanager_url,
            "recorder": self.recorder.url,
            "bff": f"http://{LOOPBACK}:{self._ports['bff']}",
            "nats-monitor": f"http://{LOOPBACK}:{self._ports['nats-monitor']}",
        }

    def faults(self) -> LocalFaults:
        return LocalFaults(self)

    def isolate(self, reset_rules: bool) -> None:
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
            self._reset_alerting_state()
        self.wait_until_healthy(timeout=20.0)

    def _reset_alerting_state(self) -> None:
        assert self._prometheus and self._alertmanager
        self._epoch += 1
        epoch_dir = self.run_dir / "config" / f"rules-{self._epoch}"
        epoch_dir.mkdir(parents=True)
        fresh = []
        for path in self._rule_paths:
            shutil.copy(path, epoch_dir / path.name)
            fresh.append(epoch_dir / path.name)
        self._write_prometheus_config(fresh)
        # Reload first: it stops the old groups' re-sends and gives the notifier a new HTTP
        # client, so the Alertmanager restarted next is reached on fresh connections.
        try:
            httpx.post(self.prometheus_url + "/-/reload", timeout=10.0).raise_for_status()
        except httpx.HTTPError as exc:
            raise ObserveError(
                f"Prometheus reload at {self.prometheus_url} failed: {exc}; see {self._prometheus.log_path}"
            ) from exc
        self._alertmanager.stop()
        shutil.rmtree(self.run_dir / "alertmanager-data", ignore_errors=True)
        self._alertmanager.start()
        self._alertmanager.wait_ready()
        with PrometheusClient(self.prometheus_url) as prom:
            deadline = time.monotonic() + 15.0
            while not prom.alertmanagers():
                if time.monotonic() > deadline:
                    raise WaitTimeout(
                        f"Prometheus {self.prometheus_url} did not rediscover its Alertmanager within 15s of a reload"
                    )
                time.sleep(0.05)

    def wait_until_healthy(self, timeout: float) -> None:
        """Every scraped target up, and no alert pending or firing anywhere."""
        prom, am = PrometheusClient(self.prometheus_url), AlertmanagerClient(self.alertmanager_url)
        deadline = time.monotonic() + timeout
        state = "not asked yet"
        try:
            while True:
                with contextlib.suppress(Exception):
                    health = prom.target_health()
                    down = {j: h for j, h in health.items() if set(h) != {"up"}}
                    missing = [j for j in SCRAPED_JOBS if j not in health]
                    alerts = [f"{a.name}({a.state})" for a in prom.alerts()] + [a.name for a in am.alerts()]
                    if not down and not missing and not alerts:
                        return
                    state = f"targets not up: {down or missing}; alerts present: {alerts}"
                if time.monotonic() > deadline:
                    raise WaitTimeout(
                        f"stack not healthy after {timeout:.0f}s: {state} "
                        f"(Prometheus {self.prometheus_url}); see logs in {self.run_dir}"
                    )
                time.sleep(0.1)
        finally:
            prom.close()
            am.close()

    def pids(self) -> dict[str, int]:
        """Every live process of the stack by name (for measurements and leak checks)."""
        procs = [p for pod in self.all_pods() for p in pod.processes]
        procs += [n.exporter for n in self.nodes.values() if n.exporter is not None]
        procs += [p for p in (self._prometheus, self._alertmanager) if p is not None]
        return {p.name: p.pid for p in procs if p.pid is not None and p.is_running()}

    def diagnostics(self) -> dict[str, str]:
        """Log tails of every process, for a failed drill's report."""
        out: dict[str, str] = {}
        for pod in self.all_pods():
            out.update(pod.log_tails())
        for proc in (self._prometheus, self._alertmanager):
            if proc is not None:
                out[proc.name] = proc.log_tail()
        return out
