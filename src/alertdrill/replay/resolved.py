"""Where a test says an alert stops, the people who were paged are told it resolved.

Why only there: a replay knows an alert should resolve only where a later `eval_time` of the same
test no longer expects it. Alertmanager tells a receiver that sends resolved notifications at its
group's next flush, so the bound is the first live evaluation that no longer fires it, plus the
route's group_interval, plus one evaluation interval and the delivery allowance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alertdrill.config import routing
from alertdrill.notify.message import Message
from alertdrill.replay.causes import RESOLVED_UNTOLD
from alertdrill.replay.compare import Check
from alertdrill.replay.feed import Clock
from alertdrill.replay.pages import DELIVERY_TERM, PageExpectation, carries, ident
from alertdrill.replay.plan import ReplayGroup
from alertdrill.replay.watch import Evaluations


@dataclass(frozen=True)
class ResolveExpectation:
    page: PageExpectation
    stopped_s: float  # the tested eval_time at which the test no longer expects the alert
    resolved_ms: int  # the first live evaluation that no longer fired it
    bound_ms: int
    terms: dict[str, float]


def _stops_at(group: ReplayGroup, page: PageExpectation) -> float | None:
    """The first tested eval_time after the page's alert fired at which the test does not expect it."""
    for case in sorted(group.alerts, key=lambda c: c.eval_time_s):
        if case.alertname != page.alert.name or case.eval_time_s <= page.fired_s:
            continue
        expected = [{**e["labels"], "alertname": case.alertname} for e in case.expected]
        if page.alert.labels not in expected:
            return case.eval_time_s
    return None


def resolve_expectations(
    group: ReplayGroup, seen: Evaluations, clock: Clock, pages: list[PageExpectation], am: dict[str, Any]
) -> list[ResolveExpectation]:
    out = []
    for page in pages:
        stop_s = _stops_at(group, page)
        if page.inhibited_by is not None or stop_s is None or not routing.sends_resolved(am, page.receiver):
            continue
        k_fire = round((page.fired_ms - clock.t0_ms) / seen.interval_ms)
        k_stop = int(stop_s // group.eval_interval_s)
        k_res = next(
            (
                k
                for k in range(k_fire + 1, k_stop + 1)
                if k in seen.by_k
                and not any(a.labels == page.alert.labels and a.state == "firing" for a in seen.by_k[k])
            ),
            None,
        )
        if k_res is None:
            continue  # still firing live where the test says it stopped: the alert check says so
        resolved_ms = clock.t0_ms + k_res * seen.interval_ms
        terms = {
            "group_interval": page.group_interval_s,
            "evaluation interval": seen.interval_ms / 1000,
            DELIVERY_TERM: group.slack_s,
        }
        out.append(
            ResolveExpectation(page, stop_s, resolved_ms, resolved_ms + round(sum(terms.values()) * 1000), terms)
        )
    return out


def check_resolved(r: ResolveExpectation, messages: list[Message]) -> Check:
    page = r.page
    name = f"{page.alert.name} → {page.receiver}"
    told = [
        m
        for m in messages
        if m.receiver == page.receiver
        and m.status == "resolved"
        and m.arrived_at * 1000 >= r.resolved_ms
        and m.arrived_at * 1000 <= r.bound_ms
        and carries(m, page)
    ]
    if told:
        took = told[0].arrived_at - r.resolved_ms / 1000
        return Check("resolved", name, r.stopped_s, True, f"told it resolved {took:.2f}s after it stopped firing")
    bound = " + ".join(f"{k} {v:g}s" for k, v in r.terms.items())
    why = RESOLVED_UNTOLD.explain(
        alert=ident(page.alert.name, page.alert.labels, page.group_by),
        at=r.stopped_s,
        receiver=page.receiver,
        bound=bound,
    )
    return Check("resolved", name, r.stopped_s, False, "no resolved notification", RESOLVED_UNTOLD.code, why)
