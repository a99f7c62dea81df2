"""The kind and existing-cluster stacks: the same drills, with Kubernetes as the engine.

`--stack kind` creates the cluster from kind-config.yaml (or reuses it), builds and loads the
workload image, installs kube-prometheus-stack and the NATS chart at pinned versions with FLUO's
config, the workload and the in-cluster recorder, and tears all of it down unless --keep-stack.
`--stack cluster` talks to an existing cluster, installs only what --install names into its own
namespaces, and removes exactly that afterwards.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from pathlib import Path

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.errors import ConfigError
from alertdrill.notify.heartbeat import heartbeat_spec
from alertdrill.notify.mirror import RecorderMirror
from alertdrill.notify.recorder import NotificationRecorder
from alertdrill.observe.prometheus import query_values
from alertdrill.runtime.ports import free_port
from alertdrill.runtime.probes import http_ok
from alertdrill.runtime.process import ManagedProcess
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.yamlfile import load_yaml
from alertdrill.settings import Settings
from alertdrill.stack.base import (
    GrafanaAccess,
    PipelineTimers,
    Timing,
    discovery_handoff_s,
    scaled_discovery_reload_s,
)
from alertdrill.stack.common import StackLifecycle, start_run, write_config
from alertdrill.stack.health import wait_until_healthy
from alertdrill.stack.kube import commands, manifests, values
from alertdrill.stack.kube.api import KubeTarget
from alertdrill.stack.kube.autoscaling import KEDA_NAMESPACE
from alertdrill.stack.kube.cluster_state import cluster_state_dir, forget, kept_grafana_password, kept_tls
from alertdrill.stack.kube.evidence import export_cluster_logs, workload_log_tails
from alertdrill.stack.kube.existing_cluster import ExistingMonitoring, existing_monitoring
from alertdrill.stack.kube.faults import KubeFaultContext, KubeFaults
from alertdrill.stack.kube.isolation import KPS_SERVICES, restart_alerting
from alertdrill.stack.kube.kind_config import kind_host_ports, require_free_host_ports
from alertdrill.stack.kube.pipeline_faults import PipelineTarget
from alertdrill.stack.kube.runbook_shell import KUBECONFIG_NAME, KubeRunbookShell
from alertdrill.stack.kube.tools import (
    CLUSTER_TOOLS,
    KIND_TOOLS,
    Runner,
    SubprocessRunner,
    require_docker_daemon,
    require_tools,
)
from alertdrill.stack.kube.values import scaled_resend_delay_s
from alertdrill.workload.plan import LoadPlan

log = logging.getLogger(__name__)

WORKLOAD_JOBS = ["bff", "workers", "nats"]
SCRAPED_JOBS = [*WORKLOAD_JOBS, "node-exporter"]


class KubeStack(StackLifecycle):
    """A Kubernetes-backed Stack; a context manager that removes what it installed."""

    def __init__(self, settings: Settings, monitoring: MonitoringConfig, runner: Runner | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.monitoring = monitoring
        self.kube = settings.kube
        self.is_kind = settings.stack == "kind"
        self.runner: Runner = runner or SubprocessRunner()
        self.context = commands.kube_context(self.kube, self.is_kind)
        self.target = KubeTarget(self.kube.kubeconfig, self.context)
        # The operator runs Prometheus and Alertmanager with upstream's pipeline timers (resend
        # 1m, peer timeout 15s, for grace 10m): pipeline-fault bounds add them unscaled.
        # The operator runs Prometheus' and Alertmanager's timers as in production, except the resend
        # delay, which the values pass as a flag: scaled there (values.kube_prometheus_stack_values).
        resend = scaled_resend_delay_s(monitoring.pipeline.resend_delay_s, settings.time_scale)
        self.timing = replace(
            Timing.of(settings), pipeline_timers=replace(PipelineTimers.production(), resend_delay_s=resend)
        )
        self.installs_monitoring = self.is_kind or "monitoring" in self.kube.install
        if self.installs_monitoring:  # the values pass the discovery reload tick scaled (as the local stack)
            reload_s = scaled_discovery_reload_s(settings.time_scale)
            self.timing = replace(self.timing, discovery_s=discovery_handoff_s("3", reload_s))
        self.recorder = NotificationRecorder()  # fed by the mirror, never listening itself
        self.installs_workload = self.is_kind or "workload" in self.kube.install
        self.created_cluster = False
        self.grafana_password: str | None = None
        #: An existing cluster's Prometheus and Alertmanager (None when alertdrill installs its own).
        self.existing = None if self.installs_monitoring else existing_monitoring(settings, self.runner, self._kubectl)
        self.scale_notes: list[str] = []
        self._urls: dict[str, str] = {}
        self._undo: list[list[str]] = []  # teardown command lines, run last first

    # -- Stack protocol --------------------------------------------------------------------
    @property
    def prometheus_url(self) -> str:
        return self._urls["prometheus"]

    @property
    def alertmanager_url(self) -> str:
        return self._urls["alertmanager"]

    @property
    def alertmanager_urls(self) -> list[str]:
        """One port-forward to the Alertmanager service: whichever peer it lands on."""
        return [self.alertmanager_url]

    @property
    def grafana(self) -> GrafanaAccess | None:
        """kube-prometheus-stack's Grafana, when alertdrill installed it (password made per install)."""
        if self.grafana_password is None or "grafana" not in self._urls:
            return None
        return GrafanaAccess(self._urls["grafana"], "admin", self.grafana_password)

    def urls(self) -> dict[str, str]:
        return dict(self._urls)

    def faults(self) -> KubeFaults:
        replicas = self.monitoring.pipeline.alertmanager_replicas
        return KubeFaults(
            KubeFaultContext(
                self.settings, self.target, self.runner, self.is_kind, self._query, self.timing.scrape_interval_s
            ),
            PipelineTarget(self.runner, self.kube, self.context, replicas, owned=self.is_kind),
        )

    def isolate(self, reset_rules: bool) -> bool:
        """Wait until every alert of the previous drill is gone; with `reset_rules` (this drill's
        alert may share an Alertmanager group with an earlier one, see LocalStack.isolate) on kind,
        restart Prometheus, then Alertmanager, first (isolation.py: in that order, or a fresh
        Prometheus' start-up blip feeds the fresh Alertmanager). Locally a rule reload drops the
        alert state; through the operator that takes a minute. Not on an existing cluster: its
        monitoring is not alertdrill's to restart, so there a page may come at group_interval.
        Returns whether the alerting state was reset."""
        reset = reset_rules and self.is_kind
        if reset:
            scrape, firing = self.timing.scrape_interval_s, self.monitoring.always_firing
            restart_alerting(self.runner, self.kube, self.context, scrape, self._query, firing)
        elif reset_rules:
            log.warning("isolation: this drill's alert may share an Alertmanager group with an earlier drill's")
        self.wait_until_healthy(timeout=max(120.0, 20 * self.timing.eval_interval_s))
        return reset

    def diagnostics(self) -> dict[str, str]:
        return workload_log_tails(self.runner, self.kube, self._kubectl)

    def export_logs(self, dest: Path) -> Path | None:
        return export_cluster_logs(self.runner, self.kube, self.is_kind, self._kubectl, dest)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        t0 = time.monotonic()
        require_tools(KIND_TOOLS if self.is_kind else CLUSTER_TOOLS)
        if self.is_kind:
            require_docker_daemon(self.runner)
        self.install()
        self._connect()
        self._exit.enter_context(RecorderMirror(self._urls["recorder"], self.recorder))
        self.wait_until_healthy(timeout=TIMEOUTS.kube_cluster_healthy)
        log.info("%s stack ready in %.0fs: %s", self.settings.stack, time.monotonic() - t0, self._urls)

    def install(self) -> None:
        """Everything that goes to the cluster, through `self.runner` (so --dry-run can record it):
        the kind cluster and image, FLUO's config, the monitoring stack, the workload, the rules."""
        self.run = start_run(self.settings)
        self._exit.callback(self._teardown)
        log.info("%s stack %s starting (run dir %s)", self.settings.stack, self.run.run_id, self.run.path)
        if self.is_kind:
            self._ensure_kind_cluster()
        rule_paths, am_path = self._write_config()
        # Monitoring first: kube-prometheus-stack brings the monitoring.coreos.com CRDs that the
        # NATS chart's PodMonitor and the workload's ServiceMonitors are instances of. An existing
        # cluster's is read first: a refusal comes before anything is installed.
        if self.existing is None:
            self._install_monitoring(rule_paths, am_path)
        else:
            tests = self.monitoring.routing_tests
            self.timing = self.existing.follow(self.timing, load_yaml(am_path), tests, self.run_dir)
        if self.installs_workload:
            self._install_workload()
        if self.is_kind:  # the autoscaler SOP-004's "auto-scale on queue depth" needs (autoscaling.py)
            keda = values.dump_all([values.keda_values()], self.run_dir / "keda.values.yaml")
            self._helm(commands.KEDA, KEDA_NAMESPACE, keda)
        if self.existing is not None:
            self._put_fluo_alerting_in(self.existing, rule_paths, am_path)

    # -- steps -----------------------------------------------------------------------------
    def _kubectl(self, *args: str) -> list[str]:
        return commands.kubectl(self.kube, self.context, *args)

    def _ensure_kind_cluster(self) -> None:
        existing = self.runner.run(commands.kind_get_clusters(), timeout=TIMEOUTS.kube_get).stdout.split()
        if self.kube.cluster_name in existing:
            log.info("reusing kind cluster %s", self.kube.cluster_name)
        else:
            require_free_host_ports(kind_host_ports(self.kube.kind_config))
            log.info("creating kind cluster %s from %s (1-2 minutes)", self.kube.cluster_name, self.kube.kind_config)
            self.runner.run(commands.kind_create(self.kube, self.kube.kind_config), timeout=TIMEOUTS.kube_kind_create)
            self.created_cluster = True
            forget(cluster_state_dir(self.settings))
        project = self.kube.kind_config.resolve().parent
        log.info("building the workload image %s", self.kube.image)
        self.runner.run(commands.docker_build(self.kube, project), timeout=TIMEOUTS.kube_image_build)
        self._load_image()

    def _load_image(self) -> None:
        """`kind load docker-image`, or — where Docker keeps images in containerd's store, which that
        command cannot read — `docker save` and `kind load image-archive`."""
        done = self.runner.run(commands.kind_load_image(self.kube), timeout=TIMEOUTS.kube_image_load, check=False)
        if done.returncode == 0:
            return
        log.warning("kind load docker-image failed (%s); loading an image archive instead", done.stderr.strip()[-200:])
        archive = self.run_dir / "workload-image.tar"
        self.runner.run(commands.docker_save(self.kube, archive), timeout=TIMEOUTS.kube_image_load)
        self.runner.run(commands.kind_load_archive(self.kube, archive), timeout=TIMEOUTS.kube_image_load)

    def _put_fluo_alerting_in(self, existing: ExistingMonitoring, rule_paths: list[Path], am_path: Path) -> None:
        """FLUO's Alertmanager config in and running, then its rules (existing_cluster.py: that order)."""
        ca = self._sink_tls(full=False)["ca.pem"]
        existing.put_in(load_yaml(am_path), ca, lambda path: self._apply_file(path), manifests.recorder_host(self.kube))
        self._apply([existing.rules(rule_paths)], "rules")

    def _write_config(self) -> tuple[list[Path], Path]:
        rule_paths, am_path, self.scale_notes = write_config(
            self.monitoring,
            self.run_dir / "config",
            self.timing,
            manifests.sink_targets(self.kube, self.monitoring.alertmanager),
        )
        return rule_paths, am_path

    def _apply(self, objects: list[manifests.Manifest], name: str) -> None:
        self._apply_file(values.dump_all(objects, self.run_dir / "manifests" / f"{name}.yaml"))

    def _apply_file(self, path: Path) -> None:
        self.runner.run(commands.kubectl_apply(self.kube, self.context, path), timeout=TIMEOUTS.kube_apply)

    def _install_workload(self) -> None:
        ns = self.kube.namespace
        self._undo.append(commands.kubectl_delete_namespace(self.kube, self.context, ns))
        labels = self.existing.namespace_labels() if self.existing else {}
        self._apply([manifests.namespace(ns, labels)], "namespace")
        sel = self.existing.selection if self.existing else None
        nats = values.nats_values(self.settings.monitoring_dir, self.is_kind, sel.pod_monitor_labels if sel else None)
        self._helm(commands.NATS, ns, values.dump_all([nats], self.run_dir / "nats.values.yaml"))
        objects = manifests.workload(
            self.kube,
            self.timing.scrape_interval_s,
            self.is_kind,
            monitor_labels=sel.service_monitor_labels if sel else None,
            am=self.monitoring.alertmanager,
            heartbeat=heartbeat_spec(self.monitoring.meta, self.timing.time_scale),
        )
        self._apply([manifests.sink_tls_secret(ns, self._sink_tls(full=True)), *objects[1:]], "workload")
        for name in ("bff", "workers", "traffic", "recorder"):
            self.runner.run(
                commands.kubectl_rollout_status(self.kube, self.context, f"deployment/{name}", ns),
                timeout=TIMEOUTS.kube_rollout,
            )

    def _sink_tls(self, full: bool) -> dict[str, str]:
        """The CA (monitoring namespace) or CA + the sink's key pair (the recorder's): the run's,
        or on kind the cluster's (cluster_state.py: a reused cluster's recorder keeps its own)."""
        tls = kept_tls(
            cluster_state_dir(self.settings) if self.is_kind else self.run_dir, manifests.sink_hosts(self.kube)
        )
        names = ("ca.pem", "sink.pem", "sink.key") if full else ("ca.pem",)
        return {n: (tls / n).read_text() for n in names}

    def _install_monitoring(self, rule_paths: list[Path], am_path: Path) -> None:
        ns = self.kube.monitoring_namespace
        self._undo.append(commands.kubectl_delete_namespace(self.kube, self.context, ns))
        kept = kept_grafana_password(cluster_state_dir(self.settings)) if self.is_kind else None
        secret = values.grafana_admin_secret(ns, kept)
        self.grafana_password = secret["stringData"]["admin-password"]
        dashboards = values.dashboard_configmaps(self.settings.monitoring_dir, ns)
        ca = manifests.sink_tls_secret(ns, self._sink_tls(full=False))
        self._apply([manifests.namespace(ns), secret, ca, *dashboards], "monitoring")
        kps = values.kube_prometheus_stack_values(
            self.settings.monitoring_dir,
            rule_paths,
            am_path,
            self.timing.scrape_interval_s,
            ns,
            kind=self.kube if self.is_kind else None,
            resend_delay_s=self.timing.pipeline.resend_delay_s,
            discovery_reload_s=scaled_discovery_reload_s(self.settings.time_scale),
        )
        self._helm(commands.KUBE_PROMETHEUS_STACK, ns, values.dump_all([kps], self.run_dir / "kps.values.yaml"))

    def _helm(self, chart: commands.Chart, namespace: str, values_path: Path) -> None:
        self.runner.run(commands.helm_repo_add(chart), timeout=TIMEOUTS.kube_helm_repo)
        log.info(
            "installing %s %s into %s (helm --wait, up to %s)",
            chart.chart,
            chart.version,
            namespace,
            TIMEOUTS.go_duration(TIMEOUTS.kube_helm_wait),
        )
        self._undo.append(commands.helm_uninstall(self.kube, self.context, chart, namespace))
        self.runner.run(
            commands.helm_upgrade_install(self.kube, self.context, chart, namespace, values_path),
            timeout=TIMEOUTS.kube_helm_install,
        )

    def _connect(self) -> None:
        """kind: the NodePorts kind-config.yaml maps; a cluster: given URLs or kubectl port-forward."""
        if self.is_kind:
            ports = kind_host_ports(self.kube.kind_config)
            self._urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
            return
        self._urls["prometheus"] = self.kube.prometheus_url or self._port_forward("prometheus")
        self._urls["alertmanager"] = self.kube.alertmanager_url or self._port_forward("alertmanager")
        self._urls["recorder"] = self._port_forward("recorder")

    def _port_forward(self, what: str) -> str:
        if what == "recorder":
            ns, service, port = self.kube.namespace, "recorder", manifests.RECORDER_PORT
        elif self.installs_monitoring:
            ns, (service, port) = self.kube.monitoring_namespace, KPS_SERVICES[what]
        else:
            raise ConfigError(f"--stack cluster needs --{what}-url (alertdrill did not install the monitoring stack)")
        local = free_port()
        argv = commands.kubectl_port_forward(self.kube, self.context, ns, f"service/{service}", local, port)
        url = f"http://127.0.0.1:{local}"
        probe = url + ("/-/healthy" if what != "alertmanager" else "/-/ready")
        proc = ManagedProcess(
            f"port-forward-{what}",
            argv,
            run_dir=self.run_dir,
            run_id=self.run_id,
            ready=http_ok(probe),
            ready_timeout=TIMEOUTS.kube_port_forward_ready,
        )
        self._exit.enter_context(proc)
        return url

    def runbook_shell(self) -> KubeRunbookShell:
        return KubeRunbookShell(self.kube, self.context, self.runner, self.run_dir)

    def run_load(self, plan: LoadPlan) -> dict[str, float]:
        """The SLO load from inside the traffic pod, against the BFF's Service (never from outside)."""
        url = f"http://bff.{self.kube.namespace}.svc:{manifests.BFF_PORT}"
        argv = [
            *self._kubectl("exec", "deployment/traffic", "--namespace", self.kube.namespace, "--"),
            "python",
            "-m",
            "alertdrill.workload.load",
            *plan.args(url),
        ]
        done = self.runner.run(argv, timeout=plan.seconds + TIMEOUTS.kube_load_overrun)
        lines = done.stdout.strip().splitlines()
        return dict(json.loads(lines[-1])) if lines else {}

    def _query(self, expr: str) -> list[float]:
        return query_values(self.prometheus_url, expr)

    def wait_until_healthy(self, timeout: float) -> None:
        """Every workload job and node exporter scraped and up, and no alert pending or firing."""
        wait_until_healthy(
            self.prometheus_url,
            self.alertmanager_url,
            SCRAPED_JOBS if self.installs_monitoring else WORKLOAD_JOBS,  # a cluster's exporters: its names
            timeout,
            poll_s=1.0,
            hint=f" on the {self.settings.stack} stack",
            always_firing=self.monitoring.always_firing,
        )

    def _teardown(self) -> None:
        """Remove what was installed (last first), or the whole kind cluster if this run made it."""
        (self.run_dir / KUBECONFIG_NAME).unlink(missing_ok=True)  # the runbook shell's credentials
        if self.existing is not None and not self.settings.keep_stack:  # first: the team's config back
            self.existing.give_back_after_rules(frozenset(r.name for r in self.monitoring.rules))
        if self.settings.keep_stack:
            log.info("--keep-stack: leaving the %s stack up (%s)", self.settings.stack, self._urls)
            return
        if self.is_kind and self.created_cluster:
            self.runner.run(commands.kind_delete(self.kube), timeout=TIMEOUTS.kube_kind_delete, check=False)
            return
        for argv in reversed(self._undo):
            self.runner.run(argv, timeout=TIMEOUTS.kube_kind_delete, check=False)
