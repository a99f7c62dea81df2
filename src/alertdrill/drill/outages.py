"""Outages of the alerting pipeline a drill caused on purpose, and how late they may make a page.

Why derived, term by term: "no page lost" means every alert that fired before or during an
outage still reaches its people once the pipeline is back. How long "once back" may take follows
from how each part recovers (facts in ../shared/reference/pipeline-failure-semantics.md):
- Alertmanager restarted: it held alerts in memory only; Prometheus re-sends a firing alert when
  its resend delay has passed, at an evaluation; the rebuilt group waits group_wait again (or
  flushes at once when the alert is older than that); clustered, peer N waits N × peer timeout.
- the link cut: a send in flight waits out Prometheus' send timeout; then resend and evaluation
  as above.
- the mail relay failing: Alertmanager retries within the flush's deadline, max(group_interval,
  10 s), and the next flush sends at once (no notification log entry was written).
- Prometheus restarted: a rule's `for` starts again from its first evaluation after the restart
  (a `for` of the grace period or longer is restored, after the second evaluation); then scrape,
  evaluation and group_wait as for any page.
An outage that lasts until the rollback extends nothing: a page that cannot leave before the
incident is over is lost for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from alertdrill.faults.injection import ALERTMANAGER, LINK, MAIL_RELAY, PROMETHEUS
from alertdrill.stack.base import Timing


@dataclass(frozen=True)
class Outage:
    """A pipeline fault as the drill saw it: what broke, when, and when it was back (None: until rollback)."""

    scenario: str
    component: str
    struck_at: float
    healed_at: float | None

    def overlaps(self, start: float, end: float) -> bool:
        return self.struck_at < end and (self.healed_at is None or self.healed_at > start)

    def as_evidence(self, origin: float) -> dict[str, object]:
        back = None if self.healed_at is None else round(self.healed_at - origin, 3)
        return {
            "scenario": self.scenario,
            "component": self.component,
            "down_s": round(self.struck_at - origin, 3),
            "back_s": back,
        }

    def describe(self, origin: float) -> str:
        back = "until the rollback" if self.healed_at is None else f"back at +{self.healed_at - origin:.2f}s"
        return f"{self.component} down from +{self.struck_at - origin:.2f}s, {back}"


@dataclass(frozen=True)
class RouteTimers:
    """The route's timers that a redelivery waits for (scaled, seconds)."""

    group_wait_s: float
    group_interval_s: float
    for_s: float = 0.0  # the rule's `for` (Prometheus restarts only)


@dataclass(frozen=True)
class OutageTerm:
    """The latest a page may arrive because of one outage: its heal time plus named terms."""

    outage: Outage
    terms: tuple[tuple[str, float], ...]

    @property
    def deadline(self) -> float:
        assert self.outage.healed_at is not None
        return self.outage.healed_at + sum(v for _, v in self.terms)

    def explain(self, origin: float) -> str:
        parts = " + ".join(f"{name} {value:g}s" for name, value in self.terms)
        return f"{self.outage.describe(origin)} + {parts} = +{self.deadline - origin:.2f}s"


def redelivery_terms(
    component: str, timing: Timing, route: RouteTimers, replicas: int, slack_s: float, allowance_s: float
) -> tuple[tuple[str, float], ...]:
    """What a page waits for after `component` is back, each term named (scaled seconds)."""
    t = timing.pipeline
    terms: list[tuple[str, float]] = []
    if component == LINK:
        terms.append(("Prometheus send timeout", t.alertmanager_timeout_s))
    if component in (ALERTMANAGER, LINK):
        terms += [
            ("resend delay", t.resend_delay_s),
            ("evaluation", timing.eval_interval_s),
            ("group_wait (group rebuilt)" if component == ALERTMANAGER else "group_wait", route.group_wait_s),
        ]
        if replicas > 1:
            terms.append((f"peer wait ({replicas - 1} × peer timeout)", (replicas - 1) * t.peer_timeout_s))
    elif component == MAIL_RELAY:
        terms.append(("flush deadline max(group_interval, 10s)", max(route.group_interval_s, t.flush_min_timeout_s)))
        if replicas > 1:  # the flush deadline of peer N includes its wait
            terms.append((f"peer wait ({replicas - 1} × peer timeout)", (replicas - 1) * t.peer_timeout_s))
    elif component == PROMETHEUS:
        if route.for_s >= t.for_grace_period_s:
            terms.append(("`for` restored after 2 evaluations", 2 * timing.eval_interval_s))
        terms += [
            ("scrape", timing.scrape_interval_s),
            ("evaluation", timing.eval_interval_s),
            ("for (clock restarted)" if route.for_s < t.for_grace_period_s else "for", route.for_s),
            ("evaluation", timing.eval_interval_s),
            ("group_wait", route.group_wait_s),
        ]
    else:  # a refused config changes nothing: the old one keeps routing
        return ()
    if allowance_s:
        terms.append(("policy allowance", allowance_s))
    terms.append(("slack", slack_s))
    return tuple(terms)


def latest_term(
    outages: list[Outage],
    start: float,
    usual_deadline: float,
    timing: Timing,
    route: RouteTimers,
    replicas: int,
    slack_s: float,
    allowance_s: float,
) -> OutageTerm | None:
    """The outage that pushes the page latest past `usual_deadline`, if any does."""
    latest: OutageTerm | None = None
    for outage in outages:
        if outage.healed_at is None or not outage.overlaps(start, usual_deadline):
            continue
        terms = redelivery_terms(outage.component, timing, route, replicas, slack_s, allowance_s)
        if not terms:
            continue
        term = OutageTerm(outage, terms)
        if term.deadline > usual_deadline and (latest is None or term.deadline > latest.deadline):
            latest = term
    return latest
