"""`alertdrill check --init-policy`: a starting policy.yml written from what the config already does.

Why from the config: a team new to alertdrill has rules and routes but no machine-readable SOP.
Without a policy the lint stays neutral; this writes down what the config does today (severities
that reach someone, annotations every rule has, who is emailed when) so the team can edit it into
what it *should* do — after which every drift from it is a finding.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from alertdrill.check.lint import Catalog
from alertdrill.config import promql, routing
from alertdrill.config.durations import format_duration
from alertdrill.config.meta import ping_interval_s
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.config.ruleset import AlertRule
from alertdrill.errors import SetupError
from alertdrill.runtime.atomic import write_text_atomic

HEADER = """\
# Written by `alertdrill check --init-policy` from {config}: what the config does today.
# Edit it into what it SHOULD do (your SOP); `alertdrill check` then lints every rule and receiver
# against it. Keys: priorities (priority label -> severity), required_annotations,
# paging_severities (receivers of these must send_resolved), alerts ({{Name: {{threshold, for}}}}),
# escalation_policies ({{severity: [{{notify: [addresses], within|after: duration}}]}}),
# meta_monitoring (an always-firing alert routed to a webhook is drafted as your heartbeat: set its
# service's real period, grace and whom it pages; name your alerts about the pipeline under alerts:).
# Not drafted, because only you know it: `exporters: [...]`, the exporters you run (names alertdrill
# knows: {exporters}); with them (or a metrics.yml, or --prometheus-url) a metric or job no
# exporter produces is a finding, without them only a near miss of your own config's names is.
"""


def _receiver(am: dict[str, Any], name: str) -> dict[str, Any]:
    return next((r for r in am.get("receivers") or [] if r.get("name") == name), {})


def _has_integration(am: dict[str, Any], receiver: str) -> bool:
    item = _receiver(am, receiver)
    return any(k.endswith("_configs") and v for k, v in item.items())


def _always_firing(rule: AlertRule) -> bool:
    """A heartbeat (the mixins' Watchdog): an expression that reads no series, e.g. `vector(1)`."""
    try:
        return not promql.selectors(rule.expr) and rule.for_s == 0
    except ValueError:
        return False


def _draft_heartbeat(config: MonitoringConfig, rule: AlertRule) -> dict[str, Any] | None:
    """`meta_monitoring.heartbeat` for an always-firing rule routed to a webhook (its service's ping
    URL): the service's period drafted as the ping interval its route gives, grace the same."""
    am = config.alertmanager
    for m in routing.match_routes(am, {**rule.labels, "alertname": rule.name}):
        if _receiver(am, m.receiver).get("webhook_configs"):
            period = ping_interval_s(m.group_interval_s, m.repeat_interval_s)
            return {
                "alert": rule.name,
                "receiver": m.receiver,
                "period": format_duration(period),
                "grace": format_duration(period),
                "notify": [],
            }
    return None


def draft_policy(config: MonitoringConfig) -> dict[str, Any]:
    am = config.alertmanager
    heartbeats = {r.name: hb for r in config.rules if _always_firing(r) and (hb := _draft_heartbeat(config, r))}
    rules = [r for r in config.rules if r.name not in heartbeats]  # a heartbeat pages nobody
    severities = sorted({str(r.labels["severity"]) for r in rules if "severity" in r.labels})
    paging = [
        s
        for s in severities
        if any(_has_integration(am, m.receiver) for m in routing.match_routes(am, {"severity": s}))
    ]
    pairs = Counter(
        (str(r.labels["priority"]), str(r.labels["severity"]))
        for r in rules
        if "priority" in r.labels and "severity" in r.labels
    )
    priorities: dict[str, str] = {}
    for (priority, severity), _ in pairs.most_common():
        priorities.setdefault(priority, severity)
    common = set.intersection(*(set(r.annotations) for r in config.rules)) if config.rules else set()
    escalation: dict[str, list[dict[str, Any]]] = {}
    for s in paging:
        steps: dict[float, list[str]] = {}
        for m in routing.match_routes(am, {"severity": s}):
            steps.setdefault(m.group_wait_s, []).extend(
                a for a in routing.receiver_emails(am, m.receiver) if a not in steps[m.group_wait_s]
            )
        ordered = sorted(steps.items())
        escalation[s] = [
            {"notify": addrs, ("within" if i == 0 else "after"): format_duration(wait)}
            for i, (wait, addrs) in enumerate(ordered)
            if addrs
        ]
    policy: dict[str, Any] = {
        "priorities": priorities,
        "required_annotations": sorted(common),
        "paging_severities": paging,
        "alerts": {},
    }
    if any(escalation.values()):
        policy["escalation_policies"] = {s: steps for s, steps in escalation.items() if steps}
    if heartbeats:  # who the service pages is not in any file: left for the team to fill in
        policy["meta_monitoring"] = {"heartbeat": next(iter(heartbeats.values()))}
    return policy


def write_initial_policy(config: MonitoringConfig) -> Path:
    path = config.root / "policy.yml"
    if path.exists():
        raise SetupError(f"{path} exists; --init-policy never overwrites a policy (move it away to draft a new one)")
    text = HEADER.format(config=config.alertmanager_path.parent.parent, exporters=", ".join(Catalog.exporter_names()))
    write_text_atomic(path, text + yaml.safe_dump(draft_policy(config), sort_keys=False))
    return path
