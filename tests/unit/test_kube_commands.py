"""The command lines a kind and a cluster run issue, in order — with kind, helm, kubectl and docker
MOCKED (a recording runner): this machine has no Docker engine and no Kubernetes."""

from __future__ import annotations

import dataclasses
import json
import re
import socket
from collections.abc import Sequence
from pathlib import Path

import pytest

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.errors import ConfigError, PortInUseError
from alertdrill.settings import Settings
from alertdrill.stack.kube import stack as kube_stack
from alertdrill.stack.kube.kind_config import kind_host_ports
from alertdrill.stack.kube.tools import Completed

REPO = Path(__file__).resolve().parents[2]


class RecordingRunner:
    """Stands in for the real tools: records each command line and answers with canned output."""

    def __init__(self, answers: dict[str, str] | None = None) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.answers = answers or {}

    def run(
        self, argv: Sequence[str], timeout: float = 600.0, check: bool = True, stdin: str | None = None
    ) -> Completed:
        cmd = tuple(argv)
        self.calls.append(cmd)
        return Completed(cmd, 0, self.answers.get(" ".join(cmd[:3]), ""), "")

    def heads(self) -> list[str]:
        """Each call as its tool and first words (enough to read the sequence)."""
        out = []
        for c in self.calls:
            words, skip = [], False
            for w in c:
                if skip:
                    skip = False
                elif w in ("--kubeconfig", "--context", "--kube-context"):
                    skip = True  # global flags and their values
                elif w in ("--install", "--server-side"):
                    continue
                elif w.startswith("--"):
                    break
                else:
                    words.append(w)
            out.append(" ".join(words[:4]))
        return out


@pytest.fixture
def mocked_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kube_stack, "require_tools", lambda tools: None)
    monkeypatch.setattr(kube_stack.KubeStack, "wait_until_healthy", lambda self, timeout: None)


def run_stack(settings: Settings, runner: RecordingRunner) -> kube_stack.KubeStack:
    monitoring = MonitoringConfig.load(settings.monitoring_dir, settings.bin_path)
    with kube_stack.KubeStack(settings, monitoring, runner=runner) as stack:
        pass
    return stack


def test_kind_run_creates_installs_and_deletes_the_cluster_mocked_tools(mocked_tools: None, tmp_path: Path) -> None:
    settings = Settings.resolve(
        {"stack": "kind", "state_dir": str(tmp_path), "monitoring": str(REPO / "monitoring")}, env={}
    )
    runner = RecordingRunner()
    stack = run_stack(settings, runner)
    assert runner.heads() == [
        "docker info",
        "kind get clusters",
        "kind create cluster",
        "docker build",
        "kind load docker-image alertdrill-workload:0.1.0",
        # the monitoring stack first: it brings the CRDs the NATS PodMonitor and ServiceMonitors need
        "kubectl apply",  # monitoring namespace, Grafana secret, dashboards
        "helm repo add prometheus-community",
        "helm upgrade kps prometheus-community/kube-prometheus-stack",
        "kubectl apply",  # namespace alertdrill
        "helm repo add nats",
        "helm upgrade nats nats/nats",
        "kubectl apply",  # workload + recorder
        "kubectl rollout status deployment/bff",
        "kubectl rollout status deployment/workers",
        "kubectl rollout status deployment/traffic",
        "kubectl rollout status deployment/recorder",
        # KEDA, for the autoscaling drill (SOP-004 "auto-scale based on queue depth")
        "helm repo add kedacore",
        "helm upgrade keda kedacore/keda",
        "kind delete cluster",
    ]
    keda = runner.calls[-2]
    assert keda[keda.index("--version") + 1] == "2.21.1" and keda[keda.index("--namespace") + 1] == "keda"
    create = runner.calls[2]
    assert create == (
        "kind",
        "create",
        "cluster",
        "--name",
        "alertdrill",
        "--config",
        "kind-config.yaml",
        "--wait",
        "180s",
    )
    kps = runner.calls[7]
    assert kps[kps.index("--version") + 1] == "88.5.3" and "--wait" in kps
    assert kps[kps.index("--kube-context") + 1] == "kind-alertdrill"
    nats = runner.calls[10]
    assert nats[nats.index("--version") + 1] == "2.14.2" and nats[nats.index("--namespace") + 1] == "alertdrill"
    values_file = Path(kps[kps.index("--values") + 1])
    assert "additionalPrometheusRulesMap" in values_file.read_text()
    assert stack.urls()["prometheus"] == "http://127.0.0.1:9090"
    assert stack.grafana_password and stack.grafana_password not in " ".join(" ".join(c) for c in runner.calls)


def test_kind_reuses_an_existing_cluster_and_then_removes_only_what_it_installed_mocked_tools(
    mocked_tools: None, tmp_path: Path
) -> None:
    settings = Settings.resolve(
        {"stack": "kind", "state_dir": str(tmp_path), "monitoring": str(REPO / "monitoring")}, env={}
    )
    runner = RecordingRunner({"kind get clusters": "alertdrill\nother\n"})
    run_stack(settings, runner)
    heads = runner.heads()
    assert "kind create cluster" not in heads and "kind delete cluster" not in heads
    assert heads[-4:] == [  # last installed, first removed: the CRDs' owner goes last
        "helm uninstall nats",
        "kubectl delete namespace alertdrill",
        "helm uninstall kps",
        "kubectl delete namespace monitoring",
    ]


def test_keep_stack_leaves_the_kind_cluster_up_mocked_tools(mocked_tools: None, tmp_path: Path) -> None:
    settings = Settings.resolve(
        {"stack": "kind", "keep_stack": True, "state_dir": str(tmp_path), "monitoring": str(REPO / "monitoring")},
        env={},
    )
    runner = RecordingRunner()
    run_stack(settings, runner)
    assert not [h for h in runner.heads() if "delete" in h or "uninstall" in h]


#: What `kubectl get prometheuses -A -o json` prints on a stock kube-prometheus-stack (release "kps"):
#: the chart's default selectors (`release: kps`) and evaluation interval.
STOCK_KPS = {
    "items": [
        {
            "metadata": {"name": "kps-kube-prometheus-stack-prometheus", "namespace": "monitoring"},
            "spec": {
                "evaluationInterval": "30s",
                "scrapeInterval": "30s",
                "ruleSelector": {"matchLabels": {"release": "kps"}},
                "serviceMonitorSelector": {"matchLabels": {"release": "kps"}},
                "podMonitorSelector": {"matchLabels": {"release": "kps"}},
                "ruleNamespaceSelector": {},
                "serviceMonitorNamespaceSelector": {},
                "podMonitorNamespaceSelector": {},
            },
        }
    ]
}
#: ...and its Alertmanager: the chart selects every AlertmanagerConfig, in every namespace.
STOCK_KPS_ALERTMANAGER = {
    "items": [
        {
            "metadata": {"name": "kps-kube-prometheus-stack-alertmanager", "namespace": "monitoring"},
            "spec": {"alertmanagerConfigSelector": {}, "alertmanagerConfigNamespaceSelector": {}},
        }
    ]
}


class ClusterRunner(RecordingRunner):
    """A cluster with a stock kube-prometheus-stack: `kubectl get prometheuses` answers STOCK_KPS."""

    def run(
        self, argv: Sequence[str], timeout: float = 600.0, check: bool = True, stdin: str | None = None
    ) -> Completed:
        done = super().run(argv, timeout, check, stdin)
        if "prometheuses" in argv:
            return Completed(done.argv, 0, json.dumps(STOCK_KPS), "")
        if "alertmanagers" in argv:
            return Completed(done.argv, 0, json.dumps(STOCK_KPS_ALERTMANAGER), "")
        if "apply" in argv and argv[-1].endswith("alerting.yaml"):
            self.applied = Path(argv[-1]).read_text()
        if argv[-1].endswith("/api/v2/status"):  # the Alertmanager runs what went in, once it went in
            return Completed(done.argv, 0, json.dumps({"config": {"original": getattr(self, "applied", "")}}), "")
        if argv[-1].endswith("/api/v2/alerts"):
            return Completed(done.argv, 0, "[]", "")
        return done


def test_cluster_run_installs_only_the_workload_and_uses_the_given_urls_mocked_tools(
    mocked_tools: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forwarded: list[str] = []
    monkeypatch.setattr(kube_stack.KubeStack, "_port_forward", lambda self, what: forwarded.append(what) or "http://x")
    settings = Settings.resolve(
        {
            "stack": "cluster",
            "context": "staging",
            "kubeconfig": "/etc/kube/staging.yaml",
            "prometheus_url": "http://prom.example:9090/",
            "alertmanager_url": "http://am.example:9093",
            "state_dir": str(tmp_path),
            "monitoring": str(REPO / "monitoring"),
            "install": "workload,alertmanager-config",
        },
        env={},
    )
    runner = ClusterRunner()
    stack = run_stack(settings, runner)
    heads = runner.heads()
    assert not [h for h in heads if h.startswith(("kind", "docker"))]
    assert "helm upgrade kps prometheus-community/kube-prometheus-stack" not in heads
    assert heads.count("kubectl apply") == 4  # namespace, workload, FLUO's PrometheusRule and AlertmanagerConfig
    crd_check = next(i for i, h in enumerate(heads) if h.startswith("kubectl get crd"))
    assert crd_check < heads.index("kubectl apply")  # the operator's CRDs are checked before anything
    assert all(c[3:5] == ("--context", "staging") for c in runner.calls if c[0] == "kubectl")
    assert all(c[1:3] == ("--kubeconfig", "/etc/kube/staging.yaml") for c in runner.calls if c[0] == "kubectl")
    assert stack.urls()["prometheus"] == "http://prom.example:9090" and forwarded == ["recorder"]
    assert heads[-2:] == ["helm uninstall nats", "kubectl delete namespace alertdrill"]


def test_a_cluster_run_without_the_opt_in_refuses_before_installing_anything_mocked_tools(
    mocked_tools: None, tmp_path: Path
) -> None:
    settings = Settings.resolve(
        {"stack": "cluster", "state_dir": str(tmp_path), "monitoring": str(REPO / "monitoring")}, env={}
    )
    runner = ClusterRunner()
    with pytest.raises(ConfigError, match="alertdrill changes a cluster's Alertmanager only when told"):
        run_stack(settings, runner)
    assert not [h for h in runner.heads() if h.startswith(("kubectl apply", "helm upgrade"))]


def test_kind_time_scale_and_intervals_default_to_light_compression() -> None:
    kind = Settings.resolve({"stack": "kind"}, env={})
    local = Settings.resolve({}, env={})
    assert (kind.time_scale, kind.scrape_interval_s) == (10.0, 5.0)
    assert (local.time_scale, local.scrape_interval_s) == (60.0, 1.0)
    assert Settings.resolve({"stack": "kind", "time_scale": "1"}, env={}).time_scale == 1.0


def test_unknown_install_item_is_a_clear_error() -> None:
    with pytest.raises(Exception, match=r"--install 'workload,grafana': unknown \['grafana'\]"):
        Settings.resolve({"stack": "cluster", "install": "workload,grafana"}, env={})


def test_slo_load_runs_inside_the_traffic_pod_against_the_bff_service_mocked_tools(tmp_path: Path) -> None:
    from alertdrill.config.monitoring import MonitoringConfig
    from alertdrill.workload.plan import LoadPlan

    settings = Settings.resolve({"stack": "kind", "state_dir": str(tmp_path)}, env={})
    runner = RecordingRunner({"kubectl --context kind-alertdrill": '{"messages_per_s": 1201.0}'})
    stack = kube_stack.KubeStack(settings, MonitoringConfig.load(REPO / "monitoring"), runner=runner)
    summary = stack.run_load(LoadPlan(120, 10, 30, 40))
    argv = runner.calls[0]
    assert argv[:5] == ("kubectl", "--context", "kind-alertdrill", "exec", "deployment/traffic")
    assert argv[argv.index("--url") + 1] == "http://bff.alertdrill.svc:8080"
    assert summary == {"messages_per_s": 1201.0}


def _cluster_with_urls(tmp_path: Path) -> Settings:
    """`--stack cluster` against a Prometheus and Alertmanager alertdrill did not install."""
    return Settings.resolve(
        {
            "stack": "cluster",
            "prometheus_url": "http://prom.example:9090",
            "alertmanager_url": "http://am.example:9093",
            "state_dir": str(tmp_path),
            "monitoring": str(REPO / "monitoring"),
            "install": "workload,alertmanager-config",
        },
        env={},
    )


class NoCrdRunner(RecordingRunner):
    """A cluster without the Prometheus operator: `kubectl get crd` fails like the real one."""

    def run(
        self, argv: Sequence[str], timeout: float = 600.0, check: bool = True, stdin: str | None = None
    ) -> Completed:
        done = super().run(argv, timeout, check, stdin)
        if "crd" in argv:
            return Completed(done.argv, 1, "", 'Error from server (NotFound): "podmonitors.monitoring.coreos.com"')
        return done


def test_a_cluster_without_the_operator_crds_is_a_clear_error_before_anything_is_applied_mocked_tools(
    mocked_tools: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kube_stack.KubeStack, "_port_forward", lambda self, what: "http://x")
    settings = _cluster_with_urls(tmp_path)
    runner = NoCrdRunner()
    with pytest.raises(ConfigError, match="no Prometheus operator CRDs.*--install workload,monitoring"):
        run_stack(settings, runner)
    assert "kubectl apply" not in runner.heads()


def test_a_taken_host_port_stops_kind_create_before_it_starts_mocked_tools(mocked_tools: None, tmp_path: Path) -> None:
    """Debian's prometheus service on :9090 (GitHub runners) would make `kind create` fail half way."""
    config = tmp_path / "kind-config.yaml"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        text = (REPO / "kind-config.yaml").read_text().replace("hostPort: 9090", f"hostPort: {port}")
        config.write_text(text)
        settings = Settings.resolve(
            {"stack": "kind", "state_dir": str(tmp_path), "monitoring": str(REPO / "monitoring")}, env={}
        )
        settings = dataclasses.replace(settings, kube=dataclasses.replace(settings.kube, kind_config=config))
        runner = RecordingRunner()
        with pytest.raises(PortInUseError, match=f"prometheus {port}.*systemctl disable --now"):
            run_stack(settings, runner)
    assert "kind create cluster" not in runner.heads()


def test_kind_urls_come_from_kind_config() -> None:
    assert kind_host_ports(REPO / "kind-config.yaml") == {
        "prometheus": 9090,
        "alertmanager": 9093,
        "grafana": 3000,
        "recorder": 8080,
        "bff": 80,  # http://fluo-api.localhost/, for SOP-004's health check
    }


def test_a_stock_kube_prometheus_stack_loads_fluos_objects_labelled_as_it_selects_them_mocked_tools(
    mocked_tools: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without `release: kps` a stock kube-prometheus-stack ignores FLUO's rules and monitors and every
    drill ends "not notified"; and its 30 s evaluation is what the bounds must use."""
    monkeypatch.setattr(kube_stack.KubeStack, "_port_forward", lambda self, what: "http://x")
    settings = _cluster_with_urls(tmp_path)
    stack = run_stack(settings, ClusterRunner())
    manifests_dir = stack.run_dir / "manifests"
    import yaml

    objects = [o for f in ("workload.yaml", "rules.yaml") for o in yaml.safe_load_all((manifests_dir / f).read_text())]
    selected = [o for o in objects if o["kind"] in ("ServiceMonitor", "PrometheusRule")]
    assert {o["kind"] for o in selected} == {"ServiceMonitor", "PrometheusRule"}
    assert all(o["metadata"]["labels"]["release"] == "kps" for o in selected)
    nats = yaml.safe_load((stack.run_dir / "nats.values.yaml").read_text())
    assert nats["promExporter"]["podMonitor"]["merge"]["metadata"]["labels"] == {"release": "kps"}
    assert stack.timing.eval_interval_s == 30.0
    assert stack.timing.scrape_interval_s == 30.0  # NATS' PodMonitor sets no interval: the Prometheus' 30 s


class ContainerdStoreRunner(RecordingRunner):
    """Docker with the containerd image store: `kind load docker-image` fails as it does there."""

    def run(
        self, argv: Sequence[str], timeout: float = 600.0, check: bool = True, stdin: str | None = None
    ) -> Completed:
        done = super().run(argv, timeout, check, stdin)
        if tuple(argv[:3]) == ("kind", "load", "docker-image"):
            return Completed(done.argv, 1, "", "ERROR: failed to detect containerd snapshotter")
        return done


def test_image_falls_back_to_an_archive_when_kind_cannot_read_dockers_store_mocked_tools(
    mocked_tools: None, tmp_path: Path
) -> None:
    settings = Settings.resolve(
        {"stack": "kind", "state_dir": str(tmp_path), "monitoring": str(REPO / "monitoring")}, env={}
    )
    runner = ContainerdStoreRunner()
    run_stack(settings, runner)
    heads = runner.heads()
    i = heads.index("kind load docker-image alertdrill-workload:0.1.0")
    assert heads[i + 1].startswith("docker save") and heads[i + 2].startswith("kind load image-archive")
    # one platform, the nodes': saving every platform fails in the node's `ctr import --all-platforms`
    save = runner.calls[heads.index(heads[i + 1])]
    assert save[save.index("--platform") + 1] in ("linux/amd64", "linux/arm64")
    build = next(c for c in runner.calls if c[:2] == ("docker", "build"))
    assert "--provenance=false" in build and build[build.index("--platform") + 1] == save[save.index("--platform") + 1]


def test_a_failed_run_exports_the_clusters_logs_before_kind_deletes_it_mocked_tools(
    mocked_tools: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the session fixture does when a drill failed: export, then tear down. On kind the
    export is `kind export logs` into the report dir (uploaded by the nightly); on a cluster a
    `kubectl cluster-info dump` of alertdrill's namespaces only."""
    settings = Settings.resolve(
        {"stack": "kind", "state_dir": str(tmp_path), "monitoring": str(REPO / "monitoring")}, env={}
    )
    runner = RecordingRunner()
    monitoring = MonitoringConfig.load(settings.monitoring_dir, settings.bin_path)
    with kube_stack.KubeStack(settings, monitoring, runner=runner) as stack:
        assert stack.export_logs(tmp_path / "reports" / "cluster-logs") == tmp_path / "reports" / "cluster-logs"
    assert runner.heads()[-2:] == [f"kind export logs {tmp_path / 'reports' / 'cluster-logs'}", "kind delete cluster"]
    assert runner.calls[-2][-2:] == ("--name", "alertdrill")

    monkeypatch.setattr(kube_stack.KubeStack, "_port_forward", lambda self, what: "http://x")
    runner = ClusterRunner()
    cluster = _cluster_with_urls(tmp_path)
    with kube_stack.KubeStack(cluster, monitoring, runner=runner) as stack:
        stack.export_logs(tmp_path / "dump")
    dump = next(c for c in runner.calls if "cluster-info" in c)
    assert dump[dump.index("--namespaces") + 1] == "alertdrill,monitoring"
    assert dump[dump.index("--output-directory") + 1] == str(tmp_path / "dump")


def test_the_nightly_uploads_the_report_dir_the_logs_are_exported_into() -> None:
    import yaml

    nightly = yaml.safe_load((REPO / ".github" / "workflows" / "nightly.yml").read_text())
    steps = nightly["jobs"]["drills"]["steps"]
    run = next(s["run"] for s in steps if "--stack kind" in str(s.get("run", "")))
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    report_dir = run.split("--report-dir")[1].split()[0]
    assert upload["if"] == "always()" and upload["with"]["path"] == report_dir


class NotYetRecreatedRunner(RecordingRunner):
    """`kubectl wait` fails once per selector (the StatefulSet has not recreated the pod yet)."""

    def __init__(self) -> None:
        super().__init__()
        self.waited: set[str] = set()

    def run(
        self, argv: Sequence[str], timeout: float = 600.0, check: bool = True, stdin: str | None = None
    ) -> Completed:
        done = super().run(argv, timeout, check, stdin)
        if "wait" in argv and "pod" in argv:
            selector = argv[argv.index("--selector") + 1]
            if selector not in self.waited:
                self.waited.add(selector)
                return Completed(done.argv, 1, "", "error: no matching resources found")
        return done


def test_isolation_on_kind_restarts_prometheus_and_alertmanager_mocked_tools(
    mocked_tools: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drill whose alert may share an Alertmanager group with an earlier drill's gets a fresh
    Prometheus and Alertmanager on kind (the operator labels their pods `<kind>=<object name>`);
    without that need, or on an existing cluster, nothing is restarted."""
    from alertdrill.stack.kube import isolation

    monkeypatch.setattr(isolation.time, "sleep", lambda s: None)
    monkeypatch.setattr(kube_stack.KubeStack, "_query", lambda self, expr: [])  # quiet, fired nothing at start
    settings = Settings.resolve(
        {"stack": "kind", "state_dir": str(tmp_path), "monitoring": str(REPO / "monitoring")}, env={}
    )
    runner = NotYetRecreatedRunner()
    monitoring = MonitoringConfig.load(settings.monitoring_dir, settings.bin_path)
    with kube_stack.KubeStack(settings, monitoring, runner=runner) as stack:
        before = len(runner.calls)
        stack.isolate(reset_rules=False)
        assert len(runner.calls) == before
        stack.isolate(reset_rules=True)
        calls = runner.calls[before:]
    deletes = [c[c.index("--selector") + 1] for c in calls if "delete" in c and "pod" in c]
    assert deletes == ["prometheus=kps-kube-prometheus-stack-prometheus",
                       "alertmanager=kps-kube-prometheus-stack-alertmanager"]  # fmt: skip
    waits = [c[c.index("--selector") + 1] for c in calls if "wait" in c and "pod" in c]
    assert waits == [deletes[0], deletes[0], deletes[1], deletes[1]]  # retried until the new pod exists
    assert all(c[c.index("--namespace") + 1] == "monitoring" for c in calls if "pod" in c)

    monkeypatch.setattr(kube_stack.KubeStack, "_port_forward", lambda self, what: "http://x")
    runner = ClusterRunner()
    with kube_stack.KubeStack(_cluster_with_urls(tmp_path), monitoring, runner=runner) as stack:
        before = len(runner.calls)
        stack.isolate(reset_rules=True)
        assert runner.calls[before:] == []


def test_a_kind_config_without_the_bff_mapping_still_starts(tmp_path: Path) -> None:
    """The BFF's port 80 is for SOP-004's runbook health check only: a team's kind config may leave it out."""
    text = (REPO / "kind-config.yaml").read_text()
    config = tmp_path / "kind-config.yaml"
    config.write_text("\n".join(line for line in text.splitlines() if "containerPort: 30081" not in line))
    assert "bff" not in kind_host_ports(config) and kind_host_ports(config)["recorder"] == 8080


def test_a_reused_kind_cluster_keeps_its_sink_ca_and_grafana_password_a_new_one_forgets_them_mocked_tools(
    mocked_tools: None, tmp_path: Path
) -> None:
    """Issue 30: a reused cluster's recorder serves the certificate it started with and Grafana
    keeps its first admin password; a run that issued new ones broke STARTTLS and the login."""
    import yaml

    settings = Settings.resolve({"stack": "kind", "state_dir": str(tmp_path), "keep_stack": True}, env={})

    def secrets(stack: kube_stack.KubeStack) -> tuple[str, str]:
        objects = list(yaml.safe_load_all((stack.run_dir / "manifests" / "monitoring.yaml").read_text()))
        data = {o["metadata"]["name"]: o.get("stringData", {}) for o in objects if o["kind"] == "Secret"}
        return data["alertdrill-sink-tls"]["ca.pem"], data["alertdrill-grafana-admin"]["admin-password"]

    first = secrets(run_stack(settings, RecordingRunner()))  # created
    reused = secrets(run_stack(settings, RecordingRunner({"kind get clusters": "alertdrill\n"})))
    assert reused == first
    recreated = secrets(run_stack(settings, RecordingRunner()))
    assert recreated[0] != first[0] and recreated[1] != first[1]


def test_every_kind_node_runs_an_image_pinned_by_digest() -> None:
    import yaml

    nodes = yaml.safe_load((REPO / "kind-config.yaml").read_text())["nodes"]
    assert len(nodes) == 3 and all(re.fullmatch(r"kindest/node:v[\d.]+@sha256:[0-9a-f]{64}", n["image"]) for n in nodes)
