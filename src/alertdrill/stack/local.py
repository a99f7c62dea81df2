"""The local stack: real Prometheus, Alertmanager, NATS JetStream and the FLUO workload as processes."""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from pathlib import Path
from types import TracebackType

import httpx

from alertdrill.errors import FaultError, WaitTimeout
from alertdrill.faults.ledger import Injection
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.observe.recorder import NotificationRecorder
from alertdrill.rules.monitoring import MonitoringConfig
from alertdrill.settings import Settings
from alertdrill.stack.base import Timing
from alertdrill.stack.binaries import find_binary
from alertdrill.stack.local_config import write_prometheus_config, write_targets
from alertdrill.stack.pods import ContainerSpec, Pod, http_ok, python_module
from alertdrill.stack.ports import LOOPBACK, claim_port
from alertdrill.stack.process import ManagedProcess
from alertdrill.stack.rundir import RunDir, sweep_stale_processes

log = logging.getLogger(__name__)

NAMESPACE = "fluo"
SCRAPED_JOBS = ["bff", "workers", "nats"]
WORKER_REPLICAS = 2
TRAFFIC_RPS = 20.0
#: Scaled range windows never go below this many scrapes, so rate() always has samples.
MIN_RANGE_SCRAPES = 4


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
        self.ready_s: float | None = None
        self.scale_notes: list[str] = []
        self._exit = contextlib.ExitStack()
        self._prometheus: ManagedProcess | None = None
        self._alertmanager: ManagedProcess | None = None
        self._ports: dict[str, int] = {}
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

    def start(self) -> None:
        t0 = time.monotonic()
        binaries = {
            name: find_binary(name, self.settings.bin_path)
            for name in ("prometheus", "alertmanager", "nats-server")
        }
        sweep_stale_processes(self.settings.runs_dir)
        self.run = RunDir.create(self.settings.runs_dir)
        log.info("local stack %s starting in %s", self.run.run_id, self.run.path)
        fixed = self.settings.fixed_ports
        for name in ("prometheus", "alertmanager", "nats", "nats-monitor", "bff"):
            self._ports[name] = claim_port(name, fixed.get(name))
        self._exit.enter_context(self.recorder)
        rule_paths, am_config, notes = self.monitoring.write_scaled(
            self.run.sub("config"),
            self.settings.time_scale,
            MIN_RANGE_SCRAPES * self.timing.scrape_interval_s,
            self.recorder.url,
        )
        self.scale_notes = [
            f"{n.where}: window {n.original_s:g}s scaled to {n.scaled_s:g}s "
            f"(clamped to {MIN_RANGE_SCRAPES} scrapes)"
            for n in notes
        ]
        for note in self.scale_notes:
            log.warning("%s", note)
        self._alertmanager = self._make_alertmanager(binaries["alertmanager"], am_config)
        self._prometheus = self._make_prometheus(binaries["prometheus"], rule_paths)
        self._exit.callback(self._alertmanager.stop)
        self._exit.callback(self._prometheus.stop)
        # Prometheus first: its discovery manager hands targets to the scrapers only on a 5 s
        # ticker (measured 5.3 s to the first scrape), so the workload starts in that shadow.
        self._write_all_targets()
        self._alertmanager.start()
        self._prometheus.start()
        self._start_workload(binaries["nats-server"])
        self._alertmanager.wait_ready()
        self._prometheus.wait_ready()
        self.wait_until_healthy(timeout=20.0)
        self.ready_s = time.monotonic() - t0
        log.info("local stack ready in %.2fs: %s", self.ready_s, self.urls())

    def stop(self) -> None:
        """Stop everything that was started, last first; safe to call twice."""
        self._exit.close()

    # -- pieces ----------------------------------------------------------------------------
    def _start_workload(self, nats_server: Path) -> None:
        """NATS first (workers need it), then workers and the BFF together, then traffic."""
        assert self.run is not None
        nats_port, monitor = self._ports["nats"], self._ports["nats-monitor"]
        nats_url = f"nats://{LOOPBACK}:{nats_port}"
        exporter_port = claim_port("nats-exporter", None)
        self._start_pods(
            [
                self._pod(
                    "nats",
                    "nats-0",
                    f"{LOOPBACK}:{exporter_port}",
                    [
                        ContainerSpec(
                            "nats",
                            [
                                str(nats_server),
                                "-a",
                                LOOPBACK,
                                "-p",
                                str(nats_port),
                                "-m",
                                str(monitor),
                                "-js",
                                "-sd",
                                str(self.run.sub("nats-data")),
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
                                str(exporter_port),
                                "--monitor-url",
                                f"http://{LOOPBACK}:{monitor}",
                            ),
                            http_ok(f"http://{LOOPBACK}:{exporter_port}/metrics"),
                        ),
                    ],
                )
            ]
        )
        pods = []
        for i in range(WORKER_REPLICAS):
            port = claim_port("worker", None)
            pods.append(
                self._pod(
                    "workers",
                    f"workers-{i}",
                    f"{LOOPBACK}:{port}",
                    [
                        ContainerSpec(
                            "worker",
                            python_module(
                                "alertdrill.workload.worker",
                                "--metrics-port",
                                str(port),
                                "--nats-url",
                                nats_url,
                            ),
                            http_ok(f"http://{LOOPBACK}:{port}/metrics"),
                        )
                    ],
                )
            )
        bff = self._ports["bff"]
        pods.append(
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
        )
        self._start_pods(pods)
        self._start_pods(
            [
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
            ]
        )
        self._write_all_targets()

    def _pod(self, workload: str, name: str, metrics: str | None, containers: list[ContainerSpec]) -> Pod:
        assert self.run is not None
        pod = Pod(
            name=name,
            workload=workload,
            containers=containers,
            metrics=metrics,
            run_dir=self.run.path,
            run_id=self.run.run_id,
        )
        self._exit.callback(pod.stop)
        self.pods.setdefault(workload, []).append(pod)
        return pod

    def _start_pods(self, pods: list[Pod]) -> None:
        for pod in pods:
            pod.launch()
        for pod in pods:
            pod.wait_ready()

    def _write_all_targets(self) -> None:
        """Targets are known before their pods start (ports are claimed up front)."""
        assert self.run is not None
        for job in SCRAPED_JOBS:
            write_targets(
                self.run.sub("targets"),
                job,
                [
                    (pod.metrics, {"namespace": NAMESPACE, "pod": pod.name})
                    for pod in self.pods.get(job, [])
                    if pod.metrics
                ],
            )

    def _make_prometheus(self, binary: Path, rule_paths: list[Path]) -> ManagedProcess:
        assert self.run is not None
        t = self.timing
        config = self.run.path / "config" / "prometheus.yml"
        write_prometheus_config(
            config,
            scrape_s=t.scrape_interval_s,
            eval_s=t.eval_interval_s,
            scrape_timeout_s=t.scrape_timeout_s,
            rule_files=rule_paths,
            alertmanager=f"{LOOPBACK}:{self._ports['alertmanager']}",
            sd_dir=self.run.sub("targets"),
            jobs=SCRAPED_JOBS,
        )
        # Resend delay follows the time scale (1m in production): lower than that, Alertmanager
        # resolves alerts falsely whenever Prometheus is briefly unreachable.
        resend = max(1.0, 60.0 / self.settings.time_scale)
        port = self._ports["prometheus"]
        return ManagedProcess(
            "prometheus",
            [
                str(binary),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.run.path / 'prometheus-data'}",
                f"--web.listen-address={LOOPBACK}:{port}",
                f"--rules.alert.resend-delay={resend:g}s",
                "--storage.tsdb.retention.time=1d",
                "--log.level=warn",
            ],
            run_dir=self.run.path,
            run_id=self.run.run_id,
            ready=PrometheusClient(self.prometheus_url).is_ready,
        )

    def _make_alertmanager(self, binary: Path, config: Path) -> ManagedProcess:
        assert self.run is not None
        port = self._ports["alertmanager"]
        # An empty cluster address turns gossip off: with it on, the first notification waits
        # ~10 s for gossip to settle and the port binds 0.0.0.0:9094.
        return ManagedProcess(
            "alertmanager",
            [
                str(binary),
                f"--config.file={config}",
                f"--storage.path={self.run.path / 'alertmanager-data'}",
                f"--web.listen-address={LOOPBACK}:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            run_dir=self.run.path,
            run_id=self.run.run_id,
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

    def isolate(self) -> None:
        """Restart Prometheus and Alertmanager with empty data, then wait for a healthy stack.

        Why: an Alertmanager aggregation group outlives its alert, and Prometheus re-sends
        resolved alerts for 15 minutes; a drill after another would skip group_wait.
        """
        assert self.run is not None and self._prometheus and self._alertmanager
        for proc, data in ((self._prometheus, "prometheus-data"), (self._alertmanager, "alertmanager-data")):
            proc.stop()
            shutil.rmtree(self.run.path / data, ignore_errors=True)
        self._alertmanager.start()
        self._alertmanager.wait_ready()
        self._prometheus.start()
        self._prometheus.wait_ready()
        self.wait_until_healthy(timeout=20.0)

    def wait_until_healthy(self, timeout: float) -> None:
        """Every scraped target up, and no alert pending or firing anywhere."""
        prom, am = PrometheusClient(self.prometheus_url), AlertmanagerClient(self.alertmanager_url)
        deadline = time.monotonic() + timeout
        state = "not asked yet"
        try:
            while True:
                with contextlib.suppress(Exception):
                    health = prom.target_health()
                    down = {j: h for j, h in health.items() if j in SCRAPED_JOBS and set(h) != {"up"}}
                    missing = [j for j in SCRAPED_JOBS if j not in health]
                    alerts = [a.name for a in prom.alerts()] + [a.name for a in am.alerts()]
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

    @property
    def run_dir(self) -> Path:
        assert self.run is not None
        return self.run.path

    def pids(self) -> dict[str, int]:
        """Every live process of the stack by name (for measurements and leak checks)."""
        procs = [p for pods in self.pods.values() for pod in pods for p in pod.processes]
        procs += [p for p in (self._prometheus, self._alertmanager) if p is not None]
        return {p.name: p.pid for p in procs if p.pid is not None and p.is_running()}

    def diagnostics(self) -> dict[str, str]:
        """Log tails of every process, for a failed drill's report."""
        out: dict[str, str] = {}
        for pods in self.pods.values():
            for pod in pods:
                out.update(pod.log_tails())
        for proc in (self._prometheus, self._alertmanager):
            if proc is not None:
                out[proc.name] = proc.log_tail()
        return out


class LocalFaults:
    """Faults on local processes; each returns its live revert and its offline record."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack

    def _pods(self, workload: str) -> list[Pod]:
        pods = self.stack.pods.get(workload)
        if not pods:
            raise FaultError(
                f"no workload {workload!r} on the local stack (have: {', '.join(sorted(self.stack.pods))})"
            )
        return pods

    def kill_workload(self, workload: str) -> Injection:
        pods = self._pods(workload)
        for pod in pods:
            pod.kill()

        def restart() -> None:
            for pod in pods:
                pod.start()

        return Injection(restart, {"kind": "none", "note": "killed processes need no undo"})

    def freeze_workload(self, workload: str) -> Injection:
        pods = self._pods(workload)
        for pod in pods:
            pod.freeze()

        def thaw() -> None:
            for pod in pods:
                pod.thaw()

        pids = [pid for pod in pods for pid in pod.pids]
        return Injection(thaw, {"kind": "sigcont", "pids": pids, "run_id": self.stack.run_id})

    def inject_errors(self, workload: str, ratio: float) -> Injection:
        if workload != "bff":
            raise FaultError(f"inject_errors: only the bff serves HTTP requests, not {workload!r}")
        url = self.stack.urls()["bff"] + "/admin/fault"

        def post(ratio: float) -> None:
            httpx.post(url, json={"error_ratio": ratio}, timeout=2.0).raise_for_status()

        post(ratio)
        return Injection(lambda: post(0.0), {"kind": "http_post", "url": url, "json": {"error_ratio": 0}})
