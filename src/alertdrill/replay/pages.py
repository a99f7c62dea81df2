"""Every alert a replay saw firing, followed to its pages: who must receive it, by when, and
what arrived — rendered, in time, or why not.

Who must receive it: the team's routing tests where a case names the alert (its `alertname` and
every other label it sets match), else Alertmanager's routing tree; each expectation says which.
When: the alert's first firing evaluation, plus the route's group_wait (scaled), plus one
evaluation interval (Prometheus sends after the evaluation; Alertmanager's dispatcher ticks), plus
a delivery allowance to the recorder on 127.0.0.1; plus group_interval if an alert of the same
aggregation group fired earlier (the group was already flushed). Only what falls due while the
alert still fires within the watched window is expected: a group whose alerts resolved before its
group_wait sends nothing, by Alertmanager's design (FLUO's escalation relies on it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from alertdrill.config import routing
from alertdrill.config.routing_cases import RouteCase
from alertdrill.notify.message import Message
from alertdrill.replay.causes import (
    INHIBITED,
    INHIBITION_ORDER,
    INHIBITION_RACE,
    INTEGRATION_FAILED,
    PAGE_LATE,
    TEMPLATE_FAILED,
    TEMPLATE_NO_VALUE,
    UNEXPLAINED,
)
from alertdrill.replay.compare import Check
from alertdrill.replay.feed import Clock
from alertdrill.replay.watch import Evaluations, LiveAlert

#: The bound term for Alertmanager's flush to the recorder's stamp on 127.0.0.1 (SMTP with
#: STARTTLS, or HTTP): the run's slack (Settings.slack_s, ALERTDRILL_SLACK_S), as in the drills.
DELIVERY_TERM = "slack (delivery to the recorder)"
NO_VALUE = "<no value>"


@dataclass
class PageExpectation:
    alert: LiveAlert
    labels: dict[str, str]  # as Alertmanager gets them (external labels added)
    receiver: str
    source: str  # "routing test 'name'" | "routing tree"
    fired_ms: int
    bound_ms: int
    terms: dict[str, float]
    group_by: tuple[str, ...]
    #: (inhibit rule index, source alert, test time the source began firing)
    inhibited_by: tuple[int, str, float] | None = None
    fired_s: float = 0.0  # test time of the first firing evaluation
    group_interval_s: float = 0.0  # the route's, scaled: when a resolved notification goes out
    notes: list[str] = field(default_factory=list)


def _key(a: LiveAlert) -> tuple[str, tuple[tuple[str, str], ...]]:
    return a.name, tuple(sorted(a.labels.items()))


def first_firing(seen: Evaluations, alert: LiveAlert, upto: int) -> int:
    """The evaluation from which `alert` fired without a break up to evaluation `upto`: the first
    after the last one read not firing it (an evaluation that went unread on a busy machine may have
    fired it, so the earliest it can have begun)."""
    k = upto
    while k > 0 and (
        k - 1 not in seen.by_k or any(_key(a) == _key(alert) and a.state == "firing" for a in seen.by_k[k - 1])
    ):
        k -= 1
    return k


def _fires(seen: Evaluations, alert: LiveAlert, k: int) -> bool:
    return any(_key(a) == _key(alert) and a.state == "firing" for a in seen.by_k.get(k, []))


def receivers_for(
    labels: dict[str, str], cases: list[RouteCase], am: dict[str, Any]
) -> tuple[list[routing.RouteMatch], str]:
    """The routes the alert takes and where that was read from."""
    tree = routing.match_routes(am, labels)
    for case in cases:
        if case.labels.get("alertname") == labels.get("alertname") and all(
            labels.get(k) == v for k, v in case.labels.items()
        ):
            by_name = {m.receiver: m for m in tree}
            picked = [by_name[r] for r in case.receivers if r in by_name]
            if len(picked) == len(case.receivers):
                return picked, f"routing test {case.name!r}"
    return tree, "routing tree"


def expectations(
    seen: Evaluations,
    fired: list[tuple[LiveAlert, int, int]],
    clock: Clock,
    scaled_am: dict[str, Any],
    cases: list[RouteCase],
    external_labels: dict[str, str],
    slack_s: float,
) -> tuple[list[PageExpectation], list[str]]:
    """Pages due while watched, and notes on what was not due (with why)."""
    out, notes = [], []
    for alert, k_fire, k_test in fired:
        labels = {**external_labels, **alert.labels}
        routes, source = receivers_for(labels, cases, scaled_am)
        for route in routes:
            why_not = _not_due(seen, clock, scaled_am, alert, route, k_fire)
            if why_not:
                notes.append(f"{alert.name} {alert.labels} → {route.receiver}: {why_not}")
                continue
            fired_ms = clock.t0_ms + k_fire * seen.interval_ms
            # the bound runs from the first evaluation read firing it: an unread one before it
            # may have fired it too (so messages count from k_fire), but never tightens the bound
            k_read = next((k for k in range(k_fire, k_test + 1) if _fires(seen, alert, k)), k_fire)
            terms = {
                "group_wait": route.group_wait_s,
                "evaluation interval": seen.interval_ms / 1000,
                DELIVERY_TERM: slack_s,
            }
            if _group_flushed_before(seen, alert, route, k_fire):
                terms["next group_interval tick (group flushed before)"] = route.group_interval_s
            bound_ms = clock.t0_ms + k_read * seen.interval_ms + round(sum(terms.values()) * 1000)
            exp = PageExpectation(alert, labels, route.receiver, source, fired_ms, bound_ms, terms, route.group_by)
            exp.fired_s = clock.test_time(fired_ms)
            exp.group_interval_s = route.group_interval_s
            # The config's intent, read where the test looks: alerts the test sees firing together
            inhibitor = _inhibitor(seen.by_k.get(k_test, []), alert, labels, external_labels, scaled_am)
            if inhibitor is not None:
                rule, src = inhibitor
                src_fired = clock.test_time(clock.t0_ms + first_firing(seen, src, k_test) * seen.interval_ms)
                exp.inhibited_by = (rule, ident(src.name, src.labels, route.group_by), src_fired)
            out.append(exp)
    return out, notes


def _not_due(
    seen: Evaluations, clock: Clock, am: dict[str, Any], alert: LiveAlert, route: routing.RouteMatch, k_fire: int
) -> str:
    """Why no page is expected from this route while watched ("" when one is)."""
    if not _has_integrations(am, route.receiver):
        return "a receiver without integrations sends nothing"
    due_ms = clock.t0_ms + k_fire * seen.interval_ms + round(route.group_wait_s * 1000)
    k_due = -(-(due_ms - clock.t0_ms) // seen.interval_ms)
    if k_due > max(seen.by_k, default=-1):
        return "due after the watched window"
    if not any(_key(a) == _key(alert) and a.state == "firing" for a in seen.by_k.get(k_due, [])):
        return "resolved before group_wait (nothing is sent)"
    return ""


def _has_integrations(am: dict[str, Any], receiver: str) -> bool:
    item: dict[str, Any] = next((r for r in am.get("receivers") or [] if r.get("name") == receiver), {})
    return any(k.endswith("_configs") and v for k, v in item.items())


def _group_flushed_before(seen: Evaluations, alert: LiveAlert, route: routing.RouteMatch, k_fire: int) -> bool:
    group = {k: alert.labels.get(k, "") for k in route.group_by}
    return any(
        a.state == "firing" and _key(a) != _key(alert) and {k: a.labels.get(k, "") for k in route.group_by} == group
        for k in range(k_fire)
        for a in seen.by_k.get(k, [])
    )


def _inhibitor(
    live: list[LiveAlert], alert: LiveAlert, labels: dict[str, str], external: dict[str, str], am: dict[str, Any]
) -> tuple[int, LiveAlert] | None:
    for src in live:
        if src.state != "firing" or _key(src) == _key(alert):
            continue
        rules = routing.inhibits(am, {**external, **src.labels}, labels)
        if rules:
            return rules[0], src
    return None


def carries(m: Message, exp: PageExpectation) -> bool:
    """The message carries this very alert: by the alerts it lists (every label of the alert),
    else, for a message that lists none, by its text naming the alert and its group's labels."""
    if m.alerts:
        return any(
            a.alertname == exp.alert.name and all(a.labels.get(k) == v for k, v in exp.alert.labels.items())
            for a in m.alerts
        )
    picked = {k: exp.labels[k] for k in exp.group_by if k in exp.labels and k != "alertname"}
    return m.mentions(exp.alert.name, picked)


def _delivered(messages: list[Message], exp: PageExpectation) -> list[Message]:
    return [
        m
        for m in messages
        if m.receiver == exp.receiver
        and m.arrived_at * 1000 >= exp.fired_ms
        and m.status != "resolved"
        and carries(m, exp)
    ]


_REF = re.compile(r"\.(CommonLabels|CommonAnnotations|GroupLabels)\.([A-Za-z_][A-Za-z0-9_]*)")


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for v in node.values() for t in _strings(v)]
    if isinstance(node, list):
        return [t for v in node for t in _strings(v)]
    return []


def empty_refs(am: dict[str, Any], receiver: str, message: Message, group_by: tuple[str, ...]) -> list[str]:
    """Template references of `receiver`'s integrations that render empty for the alerts this
    message really carried: a common label they do not share, a group label not grouped by.
    (Go's templates print a missing key of Alertmanager's label maps as nothing at all.)"""
    item: dict[str, Any] = next((r for r in am.get("receivers") or [] if r.get("name") == receiver), {})
    refs = {m.group(0): (m.group(1), m.group(2)) for t in _strings(item) for m in _REF.finditer(t)}
    labels = [a.labels for a in message.alerts] or [{}]
    common = {k: v for k, v in labels[0].items() if all(other.get(k) == v for other in labels[1:])}
    out = []
    for ref, (kind, name) in refs.items():
        if kind == "CommonLabels" and name not in common or kind == "GroupLabels" and name not in group_by:
            out.append(ref)
    return sorted(out)


def _log_error(log_tail: str, receiver: str) -> tuple[str, str] | None:
    """Alertmanager's own complaint about `receiver` (warn or error level): template or integration."""
    for line in log_tail.splitlines():
        if receiver in line and ("level=ERROR" in line or "level=WARN" in line or "level=error" in line):
            kind = "template" if re.search(r"templat", line, re.I) else "integration"
            return kind, line.strip()[-300:]
    return None


def ident(name: str, labels: dict[str, str], keys: tuple[str, ...]) -> str:
    """`ServiceDown{job="bff", severity="critical"}`: the alert by its group's labels and its severity
    (what tells an inhibiting alert from the one it mutes)."""
    picked = {k: v for k, v in labels.items() if (k in keys or k == "severity") and k != "alertname"}
    return name + ("{" + ", ".join(f'{k}="{v}"' for k, v in sorted(picked.items())) + "}" if picked else "")


def _short(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname")


def check_page(exp: PageExpectation, messages: list[Message], am_log: str, am: dict[str, Any]) -> Check:
    name = f"{exp.alert.name} → {exp.receiver}"
    at_s = exp.fired_s
    got = _delivered(messages, exp)
    facts = {"alert": ident(exp.alert.name, exp.alert.labels, exp.group_by), "receiver": exp.receiver}
    if exp.inhibited_by is not None:
        rule, source, source_s = exp.inhibited_by
        if got:
            cause = INHIBITION_ORDER if source_s > exp.fired_s else INHIBITION_RACE
            why = cause.explain(**facts, rule=rule, source=source, at=exp.fired_s)
            return Check("page", name, at_s, False, f"paged at {got[0].arrived_at:.3f}", cause.code, why)
        if exp.source != "routing tree":  # the team's routing test says it reaches them; live it never does
            why = INHIBITED.explain(**facts, rule=rule, source=source)
            return Check("page", name, at_s, False, f"no page ({exp.source} expects one)", INHIBITED.code, why)
        return Check("page", name, at_s, True, f"inhibited by rule {rule} ({source} firing), as configured")
    if got:
        first = got[0]
        late_s = first.arrived_at - exp.bound_ms / 1000
        empty = empty_refs(am, exp.receiver, first, exp.group_by)
        if empty or NO_VALUE in f"{first.subject}\n{first.text}":
            why = TEMPLATE_NO_VALUE.explain(
                receiver=exp.receiver,
                refs=", ".join(empty) or NO_VALUE,
                count=max(1, len(first.alerts)),
                alerts="; ".join(_short(a.labels) for a in first.alerts),
            )
            return Check("page", name, at_s, False, f"subject {first.subject!r}", TEMPLATE_NO_VALUE.code, why)
        if late_s > 0:
            bound = " + ".join(f"{k} {v:g}s" for k, v in exp.terms.items())
            why = PAGE_LATE.explain(**facts, late=late_s, bound=bound)
            return Check("page", name, at_s, False, f"arrived {late_s:.2f}s late", PAGE_LATE.code, why)
        took = first.arrived_at - exp.fired_ms / 1000
        return Check(
            "page",
            name,
            at_s,
            True,
            f"paged {took:.2f}s after firing (bound {sum(exp.terms.values()):.2f}s; {exp.source})",
        )
    error = _log_error(am_log, exp.receiver)
    if error is not None:
        cause = TEMPLATE_FAILED if error[0] == "template" else INTEGRATION_FAILED
        return Check(
            "page", name, at_s, False, "no page", cause.code, cause.explain(receiver=exp.receiver, error=error[1])
        )
    detail = f"no page by its bound ({exp.source})"
    return Check("page", name, at_s, False, detail, UNEXPLAINED.code, UNEXPLAINED.explain(detail=detail))
