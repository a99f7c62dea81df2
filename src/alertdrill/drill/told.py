"""Then-steps for when alerting itself breaks: someone is told, through a path that does not share
the fault, within the team's detection limit, and told again when it recovers.

Two paths (policy.yml `meta_monitoring:`, config/meta.py): the heartbeat service, which pages when
the always-firing heartbeat stops arriving (Prometheus, every Alertmanager or the link between
them down), and the team's alerts about its pipeline, routed through another integration than
the one they watch (the mail relay failing). Every bound is derived term by term and checked
twice: as run (the drill's measurement) and with the production timers against the limit (the
config's promise; a scaled stack floors its intervals, so the two can differ, and both are shown).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from alertdrill.config.durations import parse_duration
from alertdrill.config.meta import (
    Heartbeat,
    MetaMonitoring,
    detection_terms,
    group_interval_of,
    ping_interval_s,
    sends_resolved,
)
from alertdrill.drill.outages import Outage, RouteTimers, redelivery_terms
from alertdrill.drill.paging import Page
from alertdrill.drill.session import DrillSession
from alertdrill.errors import ConfigError, DrillFailure
from alertdrill.faults.injection import ALERTMANAGER, LINK, MAIL_RELAY, PROMETHEUS
from alertdrill.notify.heartbeat import SERVICE_RECEIVER, TICK_SHARE
from alertdrill.notify.webhook import Notification

log = logging.getLogger(__name__)
Terms = tuple[tuple[str, float], ...]
#: A range or subquery window: `[5m]`, `[1m30s]`, `[4000ms:1s]` (the window, not the step).
_RANGE = re.compile(r"\[((?:\d+(?:\.\d+)?(?:ms|[smhdwy]))+)(?::[^\]]*)?\]")


@dataclass(frozen=True)
class Told:
    """Someone was told that alerting broke: how, whom, when, and the outage it was about."""

    how: str  # "heartbeat service" | the meta alert's name
    who: tuple[str, ...]
    at: float
    outage: Outage
    bound_at: float
    terms: Terms
    #: The alert and receivers whose resolved message says it is over (meta alerts only).
    alert: str | None = None
    receivers: tuple[str, ...] = ()


def _explain(terms: Terms) -> str:
    return " + ".join(f"{name} {value:g}s" for name, value in terms) + f" = {sum(v for _, v in terms):.2f}s"


def _meta(drill: DrillSession) -> MetaMonitoring:
    meta = drill.stack.monitoring.meta
    if meta is None:
        raise DrillFailure(
            f"nobody can be told that alerting broke: {drill.stack.monitoring.root}/policy.yml has no "
            "meta_monitoring: section naming a heartbeat or the alerts about the pipeline"
        )
    return meta


def _struck(drill: DrillSession, parts: tuple[str, ...]) -> Outage:
    found = [o for o in drill.outages if o.component in parts]
    if not found:
        raise ConfigError(
            f"this step judges an outage of {' or '.join(parts)}; the drill struck "
            f"{[o.component for o in drill.outages] or 'no pipeline fault'}"
        )
    return found[0]


def _heartbeat(drill: DrillSession, meta: MetaMonitoring) -> Heartbeat:
    hb = meta.heartbeat
    if hb is None:
        raise DrillFailure(f"the config has no heartbeat: {meta.where} names no heartbeat: (alert, receiver, period)")
    rules = {r.name: r for r in drill.stack.monitoring.rules}
    if hb.alert not in rules:
        raise DrillFailure(
            f"the config has no heartbeat: {meta.where}.heartbeat names alert {hb.alert!r}, but no rule defines it"
        )
    return hb


def _heartbeat_route(drill: DrillSession, hb: Heartbeat) -> RouteTimers:
    """Its route as run; a heartbeat routed elsewhere, or pinging slower than the service expects,
    is named here (a service that pages between pings tells nobody anything). The ping interval is
    judged on the config's own timers: scaled ones are rounded to milliseconds."""
    monitoring = drill.stack.monitoring
    labels = {**drill.expect.rule(hb.alert).labels, "alertname": hb.alert}
    production = [r for r in monitoring.routes_for(labels, 1.0) if r.receiver == hb.receiver]
    if not production:
        routes = [r.receiver for r in monitoring.routes_for(labels, 1.0)]
        raise DrillFailure(
            f"the heartbeat never reaches its service: alert {hb.alert} routes to "
            f"{routes}, not {hb.receiver!r} (check {monitoring.alertmanager_path})"
        )
    route = production[0]
    interval = ping_interval_s(route.group_interval_s, route.repeat_interval_s)
    if interval > hb.period_s + 1e-6:
        raise DrillFailure(
            f"the heartbeat pings every {interval:g}s (group_interval {route.group_interval_s:g}s, "
            f"repeat_interval {route.repeat_interval_s:g}s) but its service expects one every {hb.period_s:g}s: "
            "it pages while alerting works, so its page says nothing about this fault"
        )
    scaled = next(r for r in drill.expect.routes(hb.alert, {}) if r.receiver == hb.receiver)
    return RouteTimers(scaled.group_wait_s, scaled.group_interval_s)


def _check_limit(meta: MetaMonitoring, production: Terms, what: str) -> None:
    total = sum(v for _, v in production)
    if total > meta.detection_limit_s:
        raise DrillFailure(
            f"{what} cannot tell anyone within the detection limit {meta.detection_limit_s:g}s "
            f"({meta.where}.detection_limit): with the production timers ({meta.prometheus.source}) "
            f"{_explain(production)}"
        )


def _first(drill: DrillSession, since: float, deadline: float, want) -> Notification | None:  # type: ignore[no-untyped-def]
    recorder = drill.stack.recorder
    recorder.wait_for(lambda ns: any(want(n) for n in ns), timeout=max(0.0, deadline - time.time()), since=since)
    found = [n for n in recorder.notifications(since) if want(n)]
    return min(found, key=lambda n: n.arrived_at) if found else None


def told_by_heartbeat(drill: DrillSession, addresses: list[str]) -> Told:
    """The heartbeat service pages `addresses` within the bound after Prometheus, every
    Alertmanager or the link went down."""
    meta = _meta(drill)
    hb = _heartbeat(drill, meta)
    outage = _struck(drill, (PROMETHEUS, ALERTMANAGER, LINK))
    route = _heartbeat_route(drill, hb)  # routed to its service, pinging often enough: else named here
    stopped = outage.component in (PROMETHEUS, LINK)
    terms, production = _heartbeat_terms(drill, meta, hb, route, stopped)
    _check_limit(meta, production, "the heartbeat")
    deadline = outage.struck_at + sum(v for _, v in terms)
    if outage.healed_at is not None and outage.healed_at < deadline - drill.expect.slack_s:
        raise ConfigError(
            f"{outage.scenario!r} is over {outage.healed_at - outage.struck_at:.2f}s after it struck, before the "
            f"heartbeat service can notice it ({_explain(terms)}): strike a longer outage"
        )
    page = _first(
        drill,
        outage.struck_at,
        deadline,
        lambda n: n.receiver == SERVICE_RECEIVER and n.status == "firing" and n.arrived_at <= deadline,
    )
    if page is None:
        _note_not_told(drill, "heartbeat service", outage, deadline, terms)
        raise DrillFailure(_not_told_by_heartbeat(drill, hb, outage, deadline, terms))
    got = page.message.recipients if page.message else ()
    missing = [a for a in addresses if a not in got]
    if missing:
        raise DrillFailure(f"the heartbeat service paged {list(got)}, not {missing} ({meta.where}.heartbeat.notify)")
    told = Told("heartbeat service", tuple(got), page.arrived_at, outage, deadline, terms)
    _note(drill, told, page)
    return told


def _heartbeat_terms(
    drill: DrillSession, meta: MetaMonitoring, hb: Heartbeat, route: RouteTimers, stopped: bool
) -> tuple[Terms, Terms]:
    """From the fault to the service's page: as run (scaled, floored), and in production."""
    monitoring = drill.stack.monitoring
    timing = drill.stack.timing
    scale = timing.time_scale
    group_interval = group_interval_of([rf.document for rf in monitoring.rule_files], hb.alert)
    evaluation = max(timing.eval_interval_s, (group_interval or 0.0) / scale)
    resolved = sends_resolved(monitoring.alertmanager, hb.receiver)
    as_run = detection_terms(
        hb,
        stopped,
        4 * max(evaluation, timing.pipeline.resend_delay_s),
        scale,
        route.group_interval_s if resolved else 0.0,
    ) + (("service check tick", TICK_SHARE * hb.period_s / scale), ("slack", drill.expect.slack_s))
    labels = {**drill.expect.rule(hb.alert).labels, "alertname": hb.alert}
    production_gi = next(r for r in monitoring.routes_for(labels, 1.0) if r.receiver == hb.receiver).group_interval_s
    production = detection_terms(
        hb,
        stopped,
        meta.prometheus.valid_for(group_interval or meta.prometheus.evaluation_interval_s),
        resolved_ping_s=production_gi if resolved else 0.0,
    )
    return as_run, production


def _not_told_by_heartbeat(drill: DrillSession, hb: Heartbeat, outage: Outage, deadline: float, terms: Terms) -> str:
    pings = [n for n in drill.stack.recorder.notifications() if n.receiver == hb.receiver]
    origin = outage.struck_at
    before = [n for n in pings if n.arrived_at <= deadline]
    if not pings:
        why = f"its service never received a ping from receiver {hb.receiver!r}, so it was never armed"
    elif before:
        why = f"the last ping before the deadline came at {before[-1].arrived_at - origin:+.2f}s"
    else:
        why = "no ping came before the deadline"
    return (
        f"nobody was told that alerting is down: the heartbeat service did not page within "
        f"{_explain(terms)} of the fault ({outage.describe(origin)}); {why}"
    )


def told_by_alert(drill: DrillSession, alert: str, receivers: list[str], page: Page | None) -> Told:
    """The team's alert about its pipeline reaches `receivers` — none of them through the part
    that failed — within the bound after the mail relay began failing."""
    meta = _meta(drill)
    if alert not in meta.names:
        raise ConfigError(f"alert {alert!r} is not one of {meta.where}.alerts: {sorted(meta.names)}")
    outage = _struck(drill, (MAIL_RELAY,))
    routes = {r.receiver: r for r in drill.expect.routes(alert, {})}
    unrouted = [r for r in receivers if r not in routes]
    if unrouted:
        raise DrillFailure(f"alert {alert} is not routed to {unrouted} (it goes to {sorted(routes)})")
    timing = drill.stack.timing
    rule = drill.expect.rule(alert)
    # Nothing fails until an email is tried: the incident's page is due at its firing + group_wait.
    attempt_at = outage.struck_at
    if page is not None and page.firing_at is not None:
        email_wait = min((r.group_wait_s for r in drill.expect.routes(page.alert, page.match)), default=0.0)
        attempt_at = max(attempt_at, page.firing_at + email_wait)
    terms: Terms = (
        ("first email tried", attempt_at - outage.struck_at),
        ("scrape", timing.scrape_interval_s),
        ("evaluation", timing.eval_interval_s),
        ("for", drill.expect.scaled(rule.for_s)),
        ("evaluation", timing.eval_interval_s),
        ("group_wait", max(routes[r].group_wait_s for r in receivers)),
        ("slack", drill.expect.slack_s),
    )
    deadline = outage.struck_at + sum(v for _, v in terms)
    arrived: list[Notification] = []
    for receiver in receivers:
        n = _first(
            drill,
            outage.struck_at,
            deadline,
            lambda n, r=receiver: n.receiver == r and n.status == "firing" and n.matches(alert, {}),
        )
        if n is None or n.arrived_at > deadline:
            _note_not_told(drill, alert, outage, deadline, terms)
            raise DrillFailure(
                f"nobody was told that alerting is degraded: alert {alert} did not reach {receiver} within "
                f"{_explain(terms)} of the fault ({outage.describe(outage.struck_at)})"
            )
        if n.message is not None and n.message.kind == "email":
            raise DrillFailure(f"alert {alert} reached {receiver} by email: through the relay that failed")
        arrived.append(n)
    first = min(arrived, key=lambda n: n.arrived_at)
    told = Told(alert, tuple(receivers), first.arrived_at, outage, deadline, terms, alert, tuple(receivers))
    _note(drill, told, first)
    return told


def told_again(drill: DrillSession, told: Told) -> None:
    """When the part is back, the same path says so: the service's "up", or the alert resolved."""
    outage = told.outage
    back = outage.healed_at
    if back is None:
        raise ConfigError("the pipeline fault lasts until the rollback: strike a timed one to see it recover")
    timing = drill.stack.timing
    if told.alert is None:
        meta = _meta(drill)
        hb = _heartbeat(drill, meta)
        route = _heartbeat_route(drill, hb)
        replicas = drill.pipeline_policy.alertmanager_replicas
        terms = redelivery_terms(outage.component, timing, route, replicas, drill.expect.slack_s, 0.0)

        def want(n: Notification) -> bool:
            return n.receiver == SERVICE_RECEIVER and n.status == "resolved"
    else:
        alert = told.alert
        rule = drill.expect.rule(alert)
        scaled_expr = drill.expect.scaled_expr(rule.expr)  # windows as the stack runs them (floored)
        window = max((parse_duration(w, alert) for w in _RANGE.findall(scaled_expr)), default=0.0)
        gi = max(r.group_interval_s for r in drill.expect.routes(alert, {}) if r.receiver in told.receivers)
        terms = (
            ("flush deadline max(group_interval, 10s)", max(gi, timing.pipeline.flush_min_timeout_s)),
            ("range window of its rule, as run", window),
            ("scrape", timing.scrape_interval_s),
            ("evaluation", timing.eval_interval_s),
            ("group_interval", gi),
            ("slack", drill.expect.slack_s),
        )

        def want(n: Notification) -> bool:
            return n.receiver in told.receivers and n.status == "resolved" and n.matches(alert, {})

    deadline = back + sum(v for _, v in terms)
    # From the page on: the first Alertmanager back pings before the heal (which waits for every
    # peer) returns, so "back" is when the last part was; nothing can ping while all were down.
    n = _first(drill, told.at, deadline, want)
    if n is None or n.arrived_at > deadline:
        raise DrillFailure(
            f"the {told.how} told {list(told.who)} that alerting broke, but not that it recovered within "
            f"{_explain(terms)} of {outage.describe(outage.struck_at)}"
        )
    drill.evidence.told[-1]["recovered_s"] = round(n.arrived_at - outage.struck_at, 3)
    drill.evidence.told[-1]["recovery_bound_s"] = round(deadline - outage.struck_at, 3)
    log.info("told again %.2fs after %s was back (bound %.2fs)", n.arrived_at - back, outage.component, deadline - back)


def _note_not_told(drill: DrillSession, how: str, outage: Outage, deadline: float, terms: Terms) -> None:
    """A drill where nobody was told is evidence too: the review counts it against its bound."""
    drill.evidence.told.append(
        {
            "how": how,
            "who": [],
            "fault": outage.component,
            "scenario": outage.scenario,
            "told_s": None,
            "bound_s": round(deadline - outage.struck_at, 3),
            "terms": [[name, round(value, 3)] for name, value in terms],
            "time_scale": drill.stack.timing.time_scale,
        }
    )


def _note(drill: DrillSession, told: Told, n: Notification) -> None:
    origin = told.outage.struck_at
    drill.evidence.told.append(
        {
            "how": told.how,
            "who": list(told.who),
            "fault": told.outage.component,
            "scenario": told.outage.scenario,
            "told_s": round(told.at - origin, 3),
            "bound_s": round(told.bound_at - origin, 3),
            "terms": [[name, round(value, 3)] for name, value in told.terms],
            "time_scale": drill.stack.timing.time_scale,
        }
    )
    if n.message is not None:
        entry = {**n.message.summary(), "alert": n.alertname or "?", "status": n.status}
        entry["at_s"] = round(n.arrived_at - (drill.timeline.fault_at or origin), 3)
        entry.pop("arrived_at", None)
        drill.evidence.messages.append(entry)
    log.info(
        "told: %s -> %s %.2fs after %s (bound %s)",
        told.how,
        list(told.who),
        told.at - origin,
        told.outage.component,
        _explain(told.terms),
    )
