"""What an existing cluster's Prometheus (a prometheus-operator `Prometheus` object) will load.

Why: a stock kube-prometheus-stack selects only PrometheusRules, ServiceMonitors and PodMonitors
labelled `release: <its release>`; FLUO's objects without that label are silently ignored and
every drill ends "not notified". alertdrill reads the selectors and the evaluation interval from
the Prometheus object and labels its objects to match (and derives its bounds from that interval).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from alertdrill.config.durations import parse_duration
from alertdrill.errors import ConfigError

log = logging.getLogger(__name__)
#: The operator's default evaluationInterval and scrapeInterval (Prometheus CRD).
OPERATOR_DEFAULT_INTERVAL = "30s"


@dataclass(frozen=True)
class PrometheusSelection:
    """The labels FLUO's objects need to be loaded, and the interval rules are evaluated at."""

    name: str  # namespace/name of the Prometheus object
    rule_labels: dict[str, str] = field(default_factory=dict)
    service_monitor_labels: dict[str, str] = field(default_factory=dict)
    pod_monitor_labels: dict[str, str] = field(default_factory=dict)
    eval_interval_s: float = 30.0


def _labels(spec: dict[str, Any], key: str, where: str) -> dict[str, str]:
    if key not in spec or spec[key] is None:
        raise ConfigError(
            f"Prometheus {where} has no {key}: it loads no such objects at all. Set {key}: {{}} (all) or "
            f"matchLabels there, or let alertdrill install its own with --install workload,monitoring"
        )
    selector = spec[key] or {}
    if selector.get("matchExpressions"):
        log.warning("Prometheus %s: %s.matchExpressions are not applied to alertdrill's objects", where, key)
    return {str(k): str(v) for k, v in (selector.get("matchLabels") or {}).items()}


def selection_from(prometheus_list: dict[str, Any]) -> PrometheusSelection:
    """From `kubectl get prometheuses -A -o json`: the one Prometheus object's selectors."""
    items = prometheus_list.get("items") or []
    if not items:
        raise ConfigError(
            "the cluster runs no prometheus-operator Prometheus object; pass --prometheus-url and make sure "
            "it loads FLUO's rules, or let alertdrill install one with --install workload,monitoring"
        )
    names = [f"{i['metadata'].get('namespace')}/{i['metadata']['name']}" for i in items]
    if len(items) > 1:
        log.warning("several Prometheus objects (%s): following %s", ", ".join(names), names[0])
    spec, where = items[0].get("spec") or {}, names[0]
    interval = str(spec.get("evaluationInterval") or OPERATOR_DEFAULT_INTERVAL)
    return PrometheusSelection(
        name=where,
        rule_labels=_labels(spec, "ruleSelector", where),
        service_monitor_labels=_labels(spec, "serviceMonitorSelector", where),
        pod_monitor_labels=_labels(spec, "podMonitorSelector", where),
        eval_interval_s=parse_duration(interval, f"Prometheus {where} spec.evaluationInterval"),
    )


def parse_prometheus_list(text: str) -> PrometheusSelection:
    try:
        doc = json.loads(text or "{}")
    except ValueError as exc:
        raise ConfigError(f"kubectl get prometheuses did not print JSON: {exc}") from None
    return selection_from(doc)
