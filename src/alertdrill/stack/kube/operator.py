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
from alertdrill.stack.base import DISCOVERY_RELOAD_FLAG, DISCOVERY_RELOAD_S

log = logging.getLogger(__name__)
#: The operator's default evaluationInterval and scrapeInterval (Prometheus CRD).
OPERATOR_DEFAULT_INTERVAL = "30s"
NAMESPACE_SELECTORS = ("ruleNamespaceSelector", "serviceMonitorNamespaceSelector", "podMonitorNamespaceSelector")


@dataclass(frozen=True)
class PrometheusSelection:
    """The labels FLUO's objects need to be loaded, and the interval rules are evaluated at."""

    name: str  # namespace/name of the Prometheus object
    rule_labels: dict[str, str] = field(default_factory=dict)
    service_monitor_labels: dict[str, str] = field(default_factory=dict)
    pod_monitor_labels: dict[str, str] = field(default_factory=dict)
    eval_interval_s: float = 30.0
    #: What it scrapes a target at whose monitor sets no interval (NATS' PodMonitor, its exporters).
    scrape_interval_s: float = 30.0
    #: Namespaces it loads rules / ServiceMonitors / PodMonitors from, by `*NamespaceSelector`:
    #: None its own only (the operator's default when unset), {} all, else these namespace labels.
    namespace_selectors: dict[str, dict[str, str] | None] = field(default_factory=dict)
    #: Its `--scrape.discovery-reload-interval` (additionalArgs), upstream's 5 s when unset.
    discovery_reload_s: float = DISCOVERY_RELOAD_S
    #: spec.version; "" when unset (the operator's default: a Prometheus 3).
    version: str = ""

    @property
    def namespace(self) -> str:
        return self.name.split("/", 1)[0]

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """Labels `namespace` needs for this Prometheus to load FLUO's objects there; a ConfigError
        where no label can do it (a selector left unset loads from its own namespace only)."""
        needed: dict[str, str] = {}
        for key, selector in self.namespace_selectors.items():
            if selector is None and namespace != self.namespace:
                raise ConfigError(
                    f"Prometheus {self.name} has no {key}: it loads such objects from its own namespace "
                    f"{self.namespace} only, so FLUO's in {namespace} would be ignored. Set {key}: {{}} (all) or "
                    f"matchLabels there, or run with --namespace {self.namespace}"
                )
            needed.update(selector or {})
        return needed


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
    scrape = str(spec.get("scrapeInterval") or OPERATOR_DEFAULT_INTERVAL)
    args = {str(a.get("name")): str(a.get("value")) for a in spec.get("additionalArgs") or [] if isinstance(a, dict)}
    reload = args.get(DISCOVERY_RELOAD_FLAG)
    return PrometheusSelection(
        name=where,
        rule_labels=_labels(spec, "ruleSelector", where),
        service_monitor_labels=_labels(spec, "serviceMonitorSelector", where),
        pod_monitor_labels=_labels(spec, "podMonitorSelector", where),
        eval_interval_s=parse_duration(interval, f"Prometheus {where} spec.evaluationInterval"),
        scrape_interval_s=parse_duration(scrape, f"Prometheus {where} spec.scrapeInterval"),
        namespace_selectors={key: _namespace_selector(spec, key, where) for key in NAMESPACE_SELECTORS},
        discovery_reload_s=parse_duration(reload, f"Prometheus {where} {DISCOVERY_RELOAD_FLAG}")
        if reload
        else DISCOVERY_RELOAD_S,
        version=str(spec.get("version") or ""),
    )


def _namespace_selector(spec: dict[str, Any], key: str, where: str) -> dict[str, str] | None:
    if spec.get(key) is None:
        return None
    if (spec[key] or {}).get("matchExpressions"):
        log.warning("Prometheus %s: %s.matchExpressions are not applied to alertdrill's namespace", where, key)
    return {str(k): str(v) for k, v in ((spec[key] or {}).get("matchLabels") or {}).items()}


def parse_prometheus_list(text: str) -> PrometheusSelection:
    try:
        doc = json.loads(text or "{}")
    except ValueError as exc:
        raise ConfigError(f"kubectl get prometheuses did not print JSON: {exc}") from None
    return selection_from(doc)
