"""Lint for configs that opt in to being told when alerting itself breaks (policy.yml
`meta_monitoring:`): the heartbeat exists, reaches its service and only its service, pings often
enough, and can page within the detection limit; each alert about the pipeline reaches someone
through an integration other than the one it watches.

Why offline as well as live: the drills prove the path on this machine in seconds of scaled time;
these checks read the production timers (config/meta.py) and say in one line which one breaks
the promise, on any config, without a stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from alertdrill.config.meta import (
    Heartbeat,
    MetaMonitoring,
    detection_terms,
    group_interval_of,
    ping_interval_s,
    sends_resolved,
)
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.config.routing import RouteMatch, match_routes


@dataclass(frozen=True)
class MetaFinding:
    what: str  # the heartbeat, or the alert's name
    check: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.what}: {self.message} (fix: {self.fix})"


def integration_kinds(config: MonitoringConfig, receiver: str) -> set[str]:
    """The integrations a receiver delivers through (`email`, `webhook`, `pagerduty`, ...)."""
    for r in config.alertmanager.get("receivers") or []:
        if isinstance(r, dict) and r.get("name") == receiver:
            return {k.removesuffix("_configs") for k, v in r.items() if k.endswith("_configs") and v}
    return set()


def _receivers(config: MonitoringConfig, labels: dict[str, str]) -> list[RouteMatch]:
    return match_routes(config.alertmanager, labels)


def lint_meta(config: MonitoringConfig) -> list[MetaFinding]:
    """Every finding; empty when the team has not opted in (no `meta_monitoring:`)."""
    meta = config.meta
    if meta is None:
        return []
    out: list[MetaFinding] = []
    if meta.heartbeat is None:
        out.append(
            MetaFinding(
                "heartbeat",
                "missing",
                "no heartbeat: when Prometheus or every Alertmanager is down, nothing can tell anyone",
                f"add an always-firing alert routed to a heartbeat service, and name it in {meta.where}.heartbeat",
            )
        )
    else:
        out += _heartbeat_findings(config, meta, meta.heartbeat)
    out += _meta_alert_findings(config, meta)
    return out


def _heartbeat_findings(config: MonitoringConfig, meta: MetaMonitoring, hb: Heartbeat) -> list[MetaFinding]:
    rule = next((r for r in config.rules if r.name == hb.alert), None)
    if rule is None:
        return [
            MetaFinding(
                hb.alert,
                "missing",
                f"no heartbeat: {meta.where}.heartbeat names alert {hb.alert!r}, but no rule defines it",
                f"add `- alert: {hb.alert}` with `expr: vector(1)` to a rule file",
            )
        ]
    routes = _receivers(config, {**rule.labels, "alertname": hb.alert})
    names = [r.receiver for r in routes]
    out: list[MetaFinding] = []
    mine = [r for r in routes if r.receiver == hb.receiver]
    if not mine:
        return [
            MetaFinding(
                hb.alert,
                "route",
                f"the heartbeat routes to {names}, never to its service's receiver {hb.receiver!r}",
                f"add a first route `matchers: ['alertname=\"{hb.alert}\"']` with receiver {hb.receiver}",
            )
        ]
    others = [n for n in names if n != hb.receiver]
    if others:
        out.append(
            MetaFinding(
                hb.alert,
                "route",
                f"the always-firing heartbeat also goes to {others}: it pages people every repeat_interval",
                "drop `continue: true` from its route, or move it above the catch-all routes",
            )
        )
    kinds = integration_kinds(config, hb.receiver)
    if "email" in kinds or not kinds & {"webhook"}:
        why = (
            "email rides the mail relay and its retries, which the detection bound does not allow for"
            if "email" in kinds
            else "a heartbeat service is pinged at its URL, by a webhook"
        )
        out.append(
            MetaFinding(
                hb.alert,
                "integration",
                f"the heartbeat reaches its service through {sorted(kinds) or 'nothing'}, not its ping URL: {why}",
                f"give receiver {hb.receiver} a webhook_configs entry with the service's ping URL",
            )
        )
    resolved = sends_resolved(config.alertmanager, hb.receiver)
    evaluation = group_interval_of([rf.document for rf in config.rule_files], hb.alert)
    return out + _timer_findings(meta, hb, mine[0], resolved, evaluation)


def _timer_findings(
    meta: MetaMonitoring, hb: Heartbeat, route: RouteMatch, resolved: bool, group_interval_s: float | None
) -> list[MetaFinding]:
    """Pings often enough for the service, and a page within the detection limit (the heartbeat's
    rule group interval, and a resolved message that pings once more, counted)."""
    out: list[MetaFinding] = []
    interval = ping_interval_s(route.group_interval_s, route.repeat_interval_s)
    if interval > hb.period_s + 1e-6:
        out.append(
            MetaFinding(
                hb.alert,
                "timers",
                f"the heartbeat pings every {interval:g}s ((floor(repeat_interval {route.repeat_interval_s:g}s / "
                f"group_interval {route.group_interval_s:g}s) + 1) × group_interval) but its service expects one "
                f"every {hb.period_s:g}s: it pages while alerting works",
                "lower repeat_interval below the period (e.g. 45s with group_interval 30s pings every 60s)",
            )
        )
    valid_for = meta.prometheus.valid_for(group_interval_s or meta.prometheus.evaluation_interval_s)
    terms = detection_terms(hb, True, valid_for, resolved_ping_s=route.group_interval_s if resolved else 0.0)
    total = sum(v for _, v in terms)
    if total > meta.detection_limit_s:
        explain = " + ".join(f"{n} {v:g}s" for n, v in terms)
        out.append(
            MetaFinding(
                hb.alert,
                "timers",
                f"with Prometheus down the heartbeat service pages {total:g}s after the fault ({explain}; timers from "
                f"{meta.prometheus.source}), over the detection limit {meta.detection_limit_s:g}s",
                "shorten the service's period or grace, or Prometheus' resend delay (rules.alert.resend-delay)",
            )
        )
    return out


def _meta_alert_findings(config: MonitoringConfig, meta: MetaMonitoring) -> list[MetaFinding]:
    out: list[MetaFinding] = []
    rules = {r.name: r for r in config.rules}
    for alert in meta.alerts:
        rule = rules.get(alert.name)
        if rule is None:
            out.append(
                MetaFinding(alert.name, "missing", f"{meta.where}.alerts names it, but no rule defines it", "add it")
            )
            continue
        if alert.watches is None:
            continue
        routes = _receivers(config, {**rule.labels, "alertname": alert.name})
        kinds = {r.receiver: integration_kinds(config, r.receiver) for r in routes}
        elsewhere = [r for r, k in kinds.items() if k - {alert.watches}]
        if not elsewhere:
            out.append(
                MetaFinding(
                    alert.name,
                    "channel",
                    f"it watches {alert.watches} and is routed only through {alert.watches} ({sorted(kinds)}): "
                    "when that breaks, it is lost with the pages it warns about",
                    "route it (continue: true) to a receiver with another integration as well (PagerDuty, SMS, chat)",
                )
            )
    return out
