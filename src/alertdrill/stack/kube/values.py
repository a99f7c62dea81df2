"""Helm values and objects that carry FLUO's monitoring config onto Kubernetes.

The committed values files in `monitoring/k8s/` say what is fixed; this module adds what depends
on the run: the time-scaled rules, the Alertmanager config with receivers redirected to the
in-cluster recorder, the scrape interval, and the Grafana admin Secret (generated per install,
never written into values or command lines).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import yaml

from alertdrill.config.durations import format_duration
from alertdrill.config.pipeline import RESEND_DELAY_ARG
from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml
from alertdrill.settings import KubeSettings
from alertdrill.stack.base import DISCOVERY_RELOAD_FLAG, DISCOVERY_RELOAD_S
from alertdrill.stack.kube.commands import KIND_NODES, kind_node_container
from alertdrill.stack.kube.manifests import (
    CONTROL_PLANE,
    CONTROL_PLANE_TOLERATION,
    MANAGED,
    SINK_TLS_SECRET,
    Manifest,
)

KPS_VALUES = "kube-prometheus-stack.values.yaml"
NATS_VALUES = "nats.values.yaml"
GRAFANA_SECRET = "alertdrill-grafana-admin"
#: FLUO's rules as one PrometheusRule on a cluster whose Prometheus alertdrill did not install.
RULE_NAME = "fluo"
#: NodePorts that kind-config.yaml's extraPortMappings bind to the host's loopback.
KIND_NODE_PORTS = {"prometheus": 30090, "alertmanager": 30093, "grafana": 30030}


def load_values(monitoring_dir: Path, name: str) -> dict[str, Any]:
    path = monitoring_dir / "k8s" / name
    if not path.is_file():
        raise ConfigError(f"{path}: missing; the kind and cluster stacks install their Helm values from it")
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of Helm values at the top")
    return data


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Helm's rule: maps merge key by key, everything else (lists too) is replaced."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _on_control_plane() -> dict[str, Any]:
    return {"nodeSelector": dict(CONTROL_PLANE), "tolerations": [dict(CONTROL_PLANE_TOLERATION)]}


def keda_values() -> dict[str, Any]:
    """KEDA on the control plane, as the monitoring stack: a node-down drill stops a worker node,
    and an unavailable metrics APIService would make every kubectl print discovery errors (chart
    keys `nodeSelector` and `tolerations` apply to the operator, its metrics server and webhooks)."""
    return _on_control_plane()


def node_relabelings(kube: KubeSettings | None) -> list[dict[str, Any]]:
    """`node` on every node-exporter series; on kind the local stack's names (node-0/1/2) rather
    than kind's containers (`<cluster>-worker2`), so a feature's `node "node-2"` means the same
    node on both stacks. A real cluster keeps its own node names."""
    rules: list[dict[str, Any]] = [{"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"}]
    if kube is not None:
        rules += [
            {
                "sourceLabels": ["__meta_kubernetes_pod_node_name"],
                "regex": kind_node_container(kube, suffix),
                "targetLabel": "node",
                "replacement": logical,
            }
            for logical, suffix in KIND_NODES.items()
        ]
    return rules


def kind_placement(kube: KubeSettings) -> dict[str, Any]:
    """kind only: monitoring on the control plane (node-0, which no drill stops), the NodePorts that
    kind-config.yaml maps to the host, and node-0/1/2 as node names. On a managed cluster a
    control-plane selector leaves every pod Pending and fixed NodePorts may be taken, so a cluster
    gets neither."""
    return {
        "prometheus-node-exporter": {"prometheus": {"monitor": {"relabelings": node_relabelings(kube)}}},
        "prometheusOperator": _on_control_plane(),
        "prometheus": {
            "service": {"type": "NodePort", "nodePort": KIND_NODE_PORTS["prometheus"]},
            "prometheusSpec": _on_control_plane(),
        },
        "alertmanager": {
            "service": {"type": "NodePort", "nodePort": KIND_NODE_PORTS["alertmanager"]},
            "alertmanagerSpec": _on_control_plane(),
        },
        "kube-state-metrics": _on_control_plane(),
        "grafana": {"service": {"type": "NodePort", "nodePort": KIND_NODE_PORTS["grafana"]}, **_on_control_plane()},
    }


def kube_prometheus_stack_values(
    monitoring_dir: Path,
    rule_files: list[Path],
    alertmanager_config: Path,
    interval_s: float,
    namespace: str,
    kind: KubeSettings | None = None,
    resend_delay_s: float = 60.0,
    discovery_reload_s: float = DISCOVERY_RELOAD_S,
) -> dict[str, Any]:
    """The chart's values with FLUO's (already scaled and redirected) config merged in, and on kind
    (given kind's settings) the placement, NodePorts and node names of `kind_placement()`."""
    base = load_values(monitoring_dir, KPS_VALUES)
    base_spec = (base.get("prometheus") or {}).get("prometheusSpec") or {}
    groups: list[Any] = []
    for path in rule_files:
        groups += (load_yaml(path) or {}).get("groups", [])
    interval = f"{interval_s:g}s"
    run_args = {RESEND_DELAY_ARG: f"{resend_delay_s:g}s", DISCOVERY_RELOAD_FLAG: format_duration(discovery_reload_s)}
    run_values = {
        # A map, one PrometheusRule per key (a list here is the chart's classic mistake).
        "additionalPrometheusRulesMap": {"fluo": {"groups": groups}},
        # The run's CA for the SMTP sink's STARTTLS, mounted at AM_SECRETS_DIR/<secret>/ca.pem.
        "alertmanager": {"config": load_yaml(alertmanager_config), "alertmanagerSpec": {"secrets": [SINK_TLS_SECRET]}},
        "prometheus": {
            "prometheusSpec": {
                "scrapeInterval": interval,
                "evaluationInterval": interval,
                "additionalArgs": _with_args(base_spec.get("additionalArgs"), run_args),
            }
        },
        "grafana": {
            "admin": {"existingSecret": GRAFANA_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"}
        },
    }
    return merge(merge(base, kind_placement(kind)) if kind is not None else base, run_values)


def scaled_resend_delay_s(production_s: float, time_scale: float) -> float:
    """Prometheus' resend delay as a kube run passes it: scaled like `for` (a 1 s floor)."""
    return max(1.0, production_s / time_scale)


def _with_args(args: Any, run_args: dict[str, str]) -> list[dict[str, str]]:
    """The values' additionalArgs with the run's set (the resend delay and the discovery reload
    tick, scaled like `for`); lists are replaced by a merge, so the team's others are kept here."""
    kept = [a for a in args or [] if isinstance(a, dict) and a.get("name") not in run_args]
    return [*kept, *({"name": name, "value": value} for name, value in run_args.items())]


def nats_values(monitoring_dir: Path, kind: bool, pod_monitor_labels: dict[str, str] | None = None) -> dict[str, Any]:
    """The committed values; on kind NATS goes to the control plane (node-0), as on the local stack.
    `pod_monitor_labels`: what the cluster's Prometheus selects PodMonitors by."""
    base = load_values(monitoring_dir, NATS_VALUES)
    if pod_monitor_labels:
        base = merge(base, {"promExporter": {"podMonitor": {"merge": {"metadata": {"labels": pod_monitor_labels}}}}})
    if not kind:
        return base
    # the monitoring port on the Service too: KEDA's nats-jetstream scaler reads the consumer's lag
    # there (stack/kube/autoscaling.py)
    return merge(
        base,
        {"podTemplate": {"merge": {"spec": _on_control_plane()}}, "service": {"ports": {"monitor": {"enabled": True}}}},
    )


def grafana_admin_secret(namespace: str, password: str | None = None) -> Manifest:
    """A fresh random password per install; printed once by the stack, never stored in the repo."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": GRAFANA_SECRET, "namespace": namespace, "labels": dict(MANAGED)},
        "type": "Opaque",
        "stringData": {"admin-user": "admin", "admin-password": password or secrets.token_urlsafe(24)},
    }


def dashboard_configmaps(monitoring_dir: Path, namespace: str) -> list[Manifest]:
    """Each `monitoring/grafana/*.json` as a ConfigMap the Grafana sidecar loads (label grafana_dashboard)."""
    out = []
    for path in sorted((monitoring_dir / "grafana").glob("*.json")):
        try:
            json.loads(path.read_text())
        except ValueError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc}); fix the dashboard") from None
        out.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "dashboard-" + path.stem.replace("_", "-").lower(),
                    "namespace": namespace,
                    "labels": {"grafana_dashboard": "1", **MANAGED},
                },
                "data": {path.name: path.read_text()},
            }
        )
    return out


def prometheus_rule(
    rule_files: list[Path], namespace: str, extra_labels: dict[str, str], alert_labels: dict[str, str] | None = None
) -> Manifest:
    """FLUO's rules as a PrometheusRule, for a cluster whose Prometheus alertdrill did not install.
    `alert_labels`: added to every alerting rule (the namespace an operator's route matcher asks for)."""
    groups: list[Any] = []
    for path in rule_files:
        groups += (load_yaml(path) or {}).get("groups", [])
    for rule in (r for g in groups for r in g.get("rules") or [] if "alert" in r and alert_labels):
        rule["labels"] = {**(rule.get("labels") or {}), **(alert_labels or {})}
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": RULE_NAME, "namespace": namespace, "labels": {**MANAGED, **extra_labels}},
        "spec": {"groups": groups},
    }


def dump_all(manifests: list[Manifest], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(manifests, sort_keys=False))
    return path
