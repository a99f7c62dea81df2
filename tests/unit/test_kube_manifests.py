"""Offline checks of everything the kind and cluster stacks would apply: no cluster needed.

Core objects are validated against the Kubernetes 1.35 OpenAPI schemas (kubernetes-validate,
strict: an unknown field fails); the CRD objects are checked for what matters (the rules with the
real promtool, each ServiceMonitor against the Service it must select), and the Helm values carry
FLUO's rules and a redirected Alertmanager config that the real amtool accepts.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.runtime.binaries import find_binary
from alertdrill.settings import KubeSettings, Settings
from alertdrill.stack.base import Timing
from alertdrill.stack.common import write_config
from alertdrill.stack.kube import manifests, values
from alertdrill.workload.__main__ import ROLES

REPO = Path(__file__).resolve().parents[2]
K8S_VERSION = "1.35.0"  # kindest/node of kind v0.31, the version helm/kind-action installs
KUBE = KubeSettings()


def validate(obj: dict[str, Any]) -> None:
    try:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message} at {list(exc.path)}")


def all_core_objects(tmp_path: Path) -> list[dict[str, Any]]:
    objs = manifests.workload(KUBE, 5.0, kind=True)
    objs += [manifests.memory_hog_pod(KUBE, "alertdrill-worker", 300 * 2**20, 512 * 2**20)]
    objs += [manifests.disk_fill_pod(KUBE, "alertdrill-worker2", 200 * 2**20)]
    objs += [values.grafana_admin_secret("monitoring")]
    grafana = tmp_path / "monitoring" / "grafana"
    grafana.mkdir(parents=True)
    (grafana / "system_overview.json").write_text(json.dumps({"title": "System Overview", "panels": []}))
    objs += values.dashboard_configmaps(tmp_path / "monitoring", "monitoring")
    return [o for o in objs if o["apiVersion"] != "monitoring.coreos.com/v1"]


def test_every_core_object_validates_against_the_kubernetes_schema(tmp_path: Path) -> None:
    objs = all_core_objects(tmp_path)
    assert {o["kind"] for o in objs} >= {"Namespace", "Deployment", "Service", "Pod", "Secret", "ConfigMap"}
    for obj in objs:
        validate(obj)


def test_the_schema_check_rejects_an_unknown_field() -> None:
    """The validator is strict: a typo in a container field is an error, not silently dropped."""
    bad = manifests.deployment(KUBE, "bff", ["bff"], port=8080)
    bad["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Never"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


def test_every_service_monitor_selects_a_service_with_that_port() -> None:
    objs = manifests.workload(KUBE, 5.0, kind=True)
    services = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Service"}
    monitors = [o for o in objs if o["kind"] == "ServiceMonitor"]
    assert {m["metadata"]["name"] for m in monitors} == {"bff", "workers"}  # the jobs the rules name
    for mon in monitors:
        sel = mon["spec"]["selector"]["matchLabels"]
        svc = next(s for s in services.values() if sel.items() <= s["metadata"]["labels"].items())
        ports = {p["name"] for p in svc["spec"]["ports"]}
        assert {e["port"] for e in mon["spec"]["endpoints"]} <= ports
        assert mon["spec"]["endpoints"][0]["interval"] == "5s"


def test_every_container_runs_a_role_of_the_workload_image() -> None:
    objs = manifests.workload(KUBE, 5.0, kind=True) + [manifests.disk_fill_pod(KUBE, "n", 1)]
    for obj in objs:
        spec = obj["spec"]["template"]["spec"] if obj["kind"] == "Deployment" else obj.get("spec", {})
        for container in spec.get("containers", []):
            assert container["args"][0] in ROLES, container["args"]
    dockerfile = (REPO / "Dockerfile").read_text()
    assert '"python", "-m", "alertdrill.workload"' in dockerfile and "tini" in dockerfile


def test_recorder_is_exposed_on_the_port_kind_maps_to_the_host() -> None:
    kind_config = yaml.safe_load((REPO / "kind-config.yaml").read_text())
    mapped = {m["containerPort"] for n in kind_config["nodes"] for m in n.get("extraPortMappings", [])}
    recorder = next(
        o
        for o in manifests.workload(KUBE, 5.0, kind=True)
        if o["kind"] == "Service" and o["metadata"]["name"] == "recorder"
    )
    assert recorder["spec"]["ports"][0]["nodePort"] in mapped
    # (Prometheus, Alertmanager and Grafana: test_placement_and_node_ports_only_on_kind)


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    settings = Settings.resolve({"stack": "kind"}, env={})
    monitoring = MonitoringConfig.load(REPO / "monitoring", settings.bin_path)
    out = tmp_path_factory.mktemp("kube-config")
    rule_paths, am_path, _ = write_config(
        monitoring, out, Timing.of(settings), manifests.sink_targets(KUBE, monitoring.alertmanager)
    )
    return rule_paths, am_path


def test_kube_prometheus_stack_values_carry_fluo_config(scaled: tuple[list[Path], Path], tmp_path: Path) -> None:
    rule_paths, am_path = scaled
    kps = values.kube_prometheus_stack_values(REPO / "monitoring", rule_paths, am_path, 5.0, "monitoring")
    rules = kps["additionalPrometheusRulesMap"]["fluo"]["groups"]  # a map, not the deprecated list
    alerts = {r["alert"] for g in rules for r in g["rules"] if "alert" in r}
    assert {r["record"] for g in rules for r in g["rules"] if "record" in r} >= {"slo:nats_messages_published:rate5m"}
    assert alerts == {
        "ServiceDown", "HighErrorRate", "KubernetesNodeDown", "PodCrashLooping",
        "HighLatency", "MessageQueueBacklog", "HighMemoryUsage", "DiskSpaceRunningLow",
        "Heartbeat", "AlertmanagerDown", "AlertmanagerNotificationsFailing", "PrometheusNotificationsFailing",
        "AlertmanagerConfigReloadFailed",
    }  # fmt: skip
    assert kps["prometheus"]["prometheusSpec"]["scrapeInterval"] == "5s"
    assert kps["prometheus"]["prometheusSpec"]["ruleSelectorNilUsesHelmValues"] is False  # base values kept
    assert kps["grafana"]["admin"]["existingSecret"] == values.GRAFANA_SECRET
    assert "adminPassword" not in json.dumps(kps)  # the password lives only in the generated Secret
    # The Alertmanager config inside the values is one amtool accepts, routed to the recorder pod.
    am_file = tmp_path / "am.yml"
    am_file.write_text(yaml.safe_dump(kps["alertmanager"]["config"]))
    amtool = find_binary("amtool", None)
    done = subprocess.run([str(amtool), "check-config", str(am_file)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    # Email goes to the recorder pod's SMTP listener for its receiver, over STARTTLS with the run CA
    # the operator mounts from the Secret named in alertmanagerSpec.secrets.
    am = kps["alertmanager"]["config"]
    ports = manifests.smtp_ports(am)
    emails = [(r["name"], c) for r in am["receivers"] for c in r.get("email_configs", [])]
    assert emails and all(c["smarthost"] == f"recorder.alertdrill.svc:{ports[n]}" for n, c in emails)
    assert {c["tls_config"]["ca_file"] for _, c in emails} == {"/etc/alertmanager/secrets/alertdrill-sink-tls/ca.pem"}
    assert kps["alertmanager"]["alertmanagerSpec"]["secrets"] == [manifests.SINK_TLS_SECRET]
    assert am["global"]["smtp_require_tls"] is True


def test_recorder_pod_listens_for_every_email_receiver_with_the_run_certificate() -> None:
    am = {"receivers": [{"name": "b", "email_configs": [{"to": "x@y"}]}, {"name": "a", "email_configs": [{}]},
                        {"name": "hook", "webhook_configs": [{"url": "http://x"}]}]}  # fmt: skip
    dep, svc = manifests.recorder(KUBE, am, kind=False, placement=None)
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][-4:] == ["--smtp", "a=2525", "--smtp", "b=2526"]  # by name, as the config uses them
    assert {"name": "tls", "mountPath": "/tls", "readOnly": True} in container["volumeMounts"]
    assert dep["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"] == manifests.SINK_TLS_SECRET
    assert [p["port"] for p in svc["spec"]["ports"]] == [8080, 2525, 2526]
    assert manifests.sink_targets(KUBE, am).smarthost("b") == "recorder.alertdrill.svc:2526"
    assert "recorder.alertdrill.svc" in manifests.sink_hosts(KUBE)


def test_recorder_pod_plays_the_heartbeat_service_and_the_recorder_main_reads_it() -> None:
    """Offline (no cluster here): the pod gets the team's heartbeat, scaled, as its argument, and
    the recorder's own entry point parses that argument back into the same service."""
    from alertdrill.notify.heartbeat import HeartbeatSpec, heartbeat_spec

    monitoring = MonitoringConfig.load(REPO / "monitoring")
    spec = heartbeat_spec(monitoring.meta, time_scale=10.0)
    assert spec == HeartbeatSpec("heartbeat", "Heartbeat", 6.0, 6.0, ("on-call-engineer@fluo.com",))
    dep, _ = manifests.recorder(KUBE, monitoring.alertmanager, kind=True, placement=None, heartbeat=spec)
    args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
    assert HeartbeatSpec.from_arg(args[args.index("--heartbeat") + 1]) == spec
    no_policy, _ = manifests.recorder(KUBE, monitoring.alertmanager, kind=True, placement=None)
    assert "--heartbeat" not in no_policy["spec"]["template"]["spec"]["containers"][0]["args"]


def test_kube_runs_the_teams_resend_delay_scaled(scaled: tuple[list[Path], Path]) -> None:
    """FLUO's values say 30s; at scale 10 the chart gets 3s (the heartbeat's bound depends on it),
    and the stack's timing says the same."""
    from alertdrill.stack.kube.stack import KubeStack

    rule_paths, am_path = scaled
    kps = values.kube_prometheus_stack_values(
        REPO / "monitoring", rule_paths, am_path, 5.0, "monitoring", None, 3.0, discovery_reload_s=0.5
    )
    args = kps["prometheus"]["prometheusSpec"]["additionalArgs"]
    assert args == [
        {"name": "rules.alert.resend-delay", "value": "3s"},
        {"name": "scrape.discovery-reload-interval", "value": "500ms"},  # scaled like `for` (issue 30)
    ]
    settings = Settings.resolve({"stack": "kind"}, env={})
    stack = KubeStack(settings, MonitoringConfig.load(REPO / "monitoring"))
    assert stack.timing.pipeline.resend_delay_s == 30.0 / settings.time_scale
    assert stack.timing.discovery_s == 0.15 + 0.5  # Prometheus 3's quiet hand-off + the scaled reload tick


def test_kube_values_name_the_pipeline_jobs_as_the_rules_read_them() -> None:
    """FLUO's AlertmanagerDown reads job="alertmanager": the chart's ServiceMonitors are relabelled."""
    doc = yaml.safe_load((REPO / "monitoring" / "k8s" / "kube-prometheus-stack.values.yaml").read_text())
    for part in ("alertmanager", "prometheus"):
        assert {"targetLabel": "job", "replacement": part} in doc[part]["serviceMonitor"]["relabelings"]


def test_prometheus_rule_object_passes_promtool(scaled: tuple[list[Path], Path], tmp_path: Path) -> None:
    rule_paths, _ = scaled
    obj = values.prometheus_rule(rule_paths, "alertdrill", {"release": "kps"})
    spec = tmp_path / "spec.yml"
    spec.write_text(yaml.safe_dump(obj["spec"]))
    promtool = find_binary("promtool", None)
    done = subprocess.run([str(promtool), "check", "rules", str(spec)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "26 rules found" in done.stdout  # 8 SOP alerts, 5 about the pipeline, 13 SLO recordings


def test_helm_values_merge_replaces_lists_and_merges_maps() -> None:
    merged = values.merge({"a": {"b": 1, "l": [1, 2]}, "c": 1}, {"a": {"l": [3]}, "d": 2})
    assert merged == {"a": {"b": 1, "l": [3]}, "c": 1, "d": 2}


def test_a_dashboard_that_is_not_json_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "grafana").mkdir()
    (tmp_path / "grafana" / "broken.json").write_text("{not json")
    with pytest.raises(Exception, match=r"broken.json: not valid JSON"):
        values.dashboard_configmaps(tmp_path, "monitoring")


def test_kind_placement_mirrors_the_local_virtual_nodes() -> None:
    """node-2 down must lose the same pods on kind as locally: one worker pod, nothing else."""
    from alertdrill.stack.kube.faults import KIND_NODES
    from alertdrill.stack.local.topology import PLACEMENT

    objs = {o["metadata"]["name"]: o for o in manifests.workload(KUBE, 5.0, kind=True) if o["kind"] == "Deployment"}
    spec = {name: o["spec"]["template"]["spec"] for name, o in objs.items()}
    assert KIND_NODES == {"node-0": "control-plane", "node-1": "worker", "node-2": "worker2"}
    assert {p: n for p, n in PLACEMENT.items() if p.startswith(("bff", "nats"))} == {
        "nats-0": "node-0",
        "bff-0": "node-0",
    }
    for name in ("bff", "recorder"):  # node-0 = the control plane, which no drill stops
        assert spec[name]["nodeSelector"] == manifests.CONTROL_PLANE
        assert spec[name]["tolerations"] == [manifests.CONTROL_PLANE_TOLERATION]
    assert PLACEMENT["traffic-0"] == "node-1" and spec["traffic"]["nodeSelector"] == {
        "kubernetes.io/hostname": "alertdrill-worker"
    }
    assert spec["workers"]["nodeSelector"] == manifests.WORKLOAD_NODE_LABEL  # the two kind workers
    assert spec["workers"]["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "DoNotSchedule"  # one per node
    nats = values.nats_values(REPO / "monitoring", kind=True)
    assert nats["podTemplate"]["merge"]["spec"]["nodeSelector"] == manifests.CONTROL_PLANE
    assert "podTemplate" not in values.nats_values(REPO / "monitoring", kind=False)
    cluster = {o["metadata"]["name"]: o for o in manifests.workload(KUBE, 5.0, kind=False) if o["kind"] == "Deployment"}
    assert all("nodeSelector" not in o["spec"]["template"]["spec"] for o in cluster.values())


def test_placement_and_node_ports_only_on_kind(scaled: tuple[list[Path], Path]) -> None:
    """On a managed cluster a control-plane selector leaves monitoring Pending and fixed NodePorts may
    be taken: the cluster's values carry neither; kind's carry both, on the ports kind-config maps."""
    rule_paths, am_path = scaled
    cluster = values.kube_prometheus_stack_values(REPO / "monitoring", rule_paths, am_path, 5.0, "monitoring")
    kind = values.kube_prometheus_stack_values(REPO / "monitoring", rule_paths, am_path, 5.0, "monitoring", kind=KUBE)
    text = json.dumps(cluster)
    assert "nodeSelector" not in text and "NodePort" not in text and "nodePort" not in text
    assert kind["prometheus"]["prometheusSpec"]["nodeSelector"] == manifests.CONTROL_PLANE
    assert kind["alertmanager"]["alertmanagerSpec"]["tolerations"] == [manifests.CONTROL_PLANE_TOLERATION]
    assert kind["prometheus"]["prometheusSpec"]["scrapeInterval"] == "5s"  # run values still merged on top
    mapped = {m["containerPort"] for node in yaml.safe_load((REPO / "kind-config.yaml").read_text())["nodes"]
              for m in node.get("extraPortMappings", [])}  # fmt: skip
    ports = {kind[k]["service"]["nodePort"] for k in ("prometheus", "alertmanager", "grafana")}
    assert ports == set(values.KIND_NODE_PORTS.values()) and ports <= mapped


def test_kind_node_names_are_relabelled_to_the_local_stacks_names(scaled: tuple[list[Path], Path]) -> None:
    """A feature's `node "node-2"` must mean kind's `<cluster>-worker2`: node-exporter's relabeling
    maps each kind node to node-0/1/2; a real cluster keeps its node names."""
    rule_paths, am_path = scaled
    kind = values.kube_prometheus_stack_values(REPO / "monitoring", rule_paths, am_path, 5.0, "monitoring", kind=KUBE)
    relabel = kind["prometheus-node-exporter"]["prometheus"]["monitor"]["relabelings"]
    overrides = {r["regex"]: r["replacement"] for r in relabel if "regex" in r}
    assert overrides == {
        f"{KUBE.cluster_name}-control-plane": "node-0",
        f"{KUBE.cluster_name}-worker": "node-1",
        f"{KUBE.cluster_name}-worker2": "node-2",
    }
    assert relabel[0] == {"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"}
    cluster = values.kube_prometheus_stack_values(REPO / "monitoring", rule_paths, am_path, 5.0, "monitoring")
    assert cluster["prometheus-node-exporter"]["prometheus"]["monitor"]["relabelings"] == relabel[:1]


def test_the_workload_image_is_pinned_base_and_packages() -> None:
    """A nightly must build the image the tests ran: base image by digest, every runtime
    dependency (and theirs) at the exact version of docker/constraints.txt, within pyproject's range."""
    from packaging.requirements import Requirement

    dockerfile = (REPO / "Dockerfile").read_text()
    (base,) = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", base), base
    assert "--constraint constraints.txt" in dockerfile and "docker/constraints.txt" in dockerfile
    pins = dict(
        line.split("==") for line in (REPO / "docker" / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )  # fmt: skip
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in map(Requirement, project):
        name = re.sub(r"[-_.]+", "-", dep.name).lower()
        assert name in pins, f"{dep.name} is not pinned: run scripts/pin-docker-constraints"
        assert dep.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {dep}"


def test_drills_name_what_is_the_same_on_every_stack() -> None:
    """A pod's name differs per stack (`workers-1` locally, `workers-<replicaset>-<random>` on
    Kubernetes), so no feature may expect an alert by pod; a container's name is the workload's on
    both stacks, so a drill may expect one by container."""
    from alertdrill.grammar import expected_alerts
    from alertdrill.stack.local.topology import WorkloadPorts, workload_pods

    steps = [line.strip().split(" ", 1)[1] for f in (REPO / "features").rglob("*.feature")
             for line in f.read_text().splitlines() if line.strip().startswith(("Then ", "And "))]  # fmt: skip
    matched = {label for e in expected_alerts(steps) for label in e.match}
    assert "pod" not in matched, "a feature expects an alert by pod name: name its container (or job) instead"
    ports = WorkloadPorts(*range(30000, 30000 + len(dataclasses.fields(WorkloadPorts))))
    local = {(p.workload, c.name) for p in workload_pods(ports, lambda _n: 31000, Path("n"), Path("s"))
             for c in p.containers}  # fmt: skip
    compared = set()
    for obj in manifests.workload(KUBE, 5.0, kind=True):
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] in {w for w, _c in local}:
            kube = {(obj["metadata"]["name"], c["name"]) for c in obj["spec"]["template"]["spec"]["containers"]}
            assert kube <= local, f"container names differ between the stacks: {kube} vs {local}"
            compared.add(obj["metadata"]["name"])
    assert {"bff", "workers"} <= compared
