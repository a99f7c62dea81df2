"""Then-steps about the primary alert's page: it fires (not before `for`, within its bound), with
these labels, to exactly these receivers; or, for a deferred P2, held back by its route."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from alertdrill.drill import chain
from alertdrill.drill.bounds import FireBound
from alertdrill.drill.expectations import CLOCK_EPSILON_S, FaultWindow
from alertdrill.drill.outages import RouteTimers
from alertdrill.drill.session import DrillSession
from alertdrill.errors import DrillFailure
from alertdrill.notify.webhook import Notification
from alertdrill.observe.alerts import matches, selector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    """The primary alert as first seen firing (and, unless deferred, notified)."""

    alert: str
    match: dict[str, str]
    for_s: float  # scaled
    bound: FireBound
    fault: FaultWindow
    firing_at: float | None
    notified_at: float | None
    pending_at: float | None
    labels: dict[str, str]
    #: The receivers a notified-step confirmed (the recovery waits for their resolved messages).
    receivers: tuple[str, ...] = ()
    #: The addresses an emailed-step confirmed for the first page.
    recipients: tuple[str, ...] = ()

    @property
    def what(self) -> str:
        return selector(self.alert, self.match)

    def is_target(self, n: Notification) -> bool:
        return n.matches(self.alert, self.match)

    def is_target_labels(self, labels: dict[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match.items())


def _expect_primary(drill: DrillSession, alert: str, for_production_s: float) -> float:
    drill.expect.rule(alert)  # an unknown alert is a located setup error
    for_s = drill.expect.scaled(for_production_s)
    drill.evidence.alert, drill.evidence.for_s = alert, for_s
    return for_s


def wait_for_page(
    drill: DrillSession, fault: FaultWindow, alert: str, match: dict[str, str], for_production_s: float
) -> Page:
    """The first firing notification, within the bound; it did not come before `for`."""
    for_s = _expect_primary(drill, alert, for_production_s)
    routes = drill.expect.routes(alert, match)
    group_wait = min(r.group_wait_s for r in routes)
    bound = drill.expect.fire_bound(alert, for_production_s, group_wait, fault)
    timers = RouteTimers(group_wait, max(r.group_interval_s for r in routes), for_s)
    bound = drill.extend_for_outages(bound, fault, timers)
    drill.evidence.fire_bound = bound
    what = selector(alert, match)
    log.info("waiting for %s to page: bound %s", what, bound.explain())
    recorder = drill.stack.recorder

    def targets(ns: list[Notification]) -> list[Notification]:
        return [n for n in ns if n.status == "firing" and n.matches(alert, match)]

    arrived = recorder.wait_for(
        lambda ns: bool(targets(ns)),
        timeout=max(0.0, fault.fault_at + bound.total - time.time()),
        since=fault.fault_at,
        on_tick=lambda _: drill.watch.log_progress(alert, match, "fire", fault.fault_at, bound.total),
    )
    if not arrived:
        lost = drill.outages_behind(fault.fault_at, fault.fault_at + bound.total)
        raise chain.failure(
            drill,
            f"alert {what} was not notified within {bound.total:.2f}s of the fault{lost}; "
            f"{drill.watch.last_state(alert, match)}; bound: {bound.explain()} (rule for={for_production_s:g}s "
            f"at time scale {drill.stack.timing.time_scale:g})",
            alert,
            match,
            fault.fault_at,
            fault.fault_at + bound.total,
        )
    first = min(targets(recorder.notifications(fault.fault_at)), key=lambda n: n.arrived_at)
    firing_at = first.starts_at or drill.watch.started_at(alert, match)  # an email carries no startsAt
    labels = first.labels or _am_labels(drill, alert, match)
    page = Page(
        alert,
        dict(match),
        for_s,
        bound,
        fault,
        firing_at,
        first.arrived_at,
        drill.watch.active_at(alert, match),
        labels,
    )
    _note(drill, page)
    _assert_held_for(page)
    return page


def _am_labels(drill: DrillSession, alert: str, match: dict[str, str]) -> dict[str, str]:
    """The alert's labels as Alertmanager holds them (a custom template may not print them)."""
    found = [a.labels for a in drill.alertmanager.alerts() if matches(a.name, a.labels, alert, match)]
    return dict(found[0]) if found else {}


def wait_for_held(
    drill: DrillSession, fault: FaultWindow, alert: str, match: dict[str, str], for_production_s: float
) -> Page:
    """Deferred (P2): firing in Prometheus and held by Alertmanager within the bound (deferral excluded)."""
    for_s = _expect_primary(drill, alert, for_production_s)
    bound = drill.expect.fire_bound(alert, for_production_s, 0.0, fault)
    drill.evidence.fire_bound = bound
    found = drill.watch.poll(
        lambda: [a for a in drill.alertmanager.alerts() if matches(a.name, a.labels, alert, match) and a.starts_at],
        fault.fault_at + bound.total,
        lambda: drill.watch.log_progress(alert, match, "fire", fault.fault_at, bound.total),
    )
    if not found:
        raise chain.failure(
            drill,
            f"alert {selector(alert, match)} did not fire within {bound.total:.2f}s of the fault; "
            f"{drill.watch.last_state(alert, match)}; bound: {bound.explain()}",
            alert,
            match,
            fault.fault_at,
            fault.fault_at + bound.total,
        )
    firing_at = min(a.starts_at for a in found if a.starts_at)
    page = Page(
        alert, dict(match), for_s, bound, fault, firing_at, None, drill.watch.active_at(alert, match), found[0].labels
    )
    _note(drill, page)
    _assert_held_for(page)
    return page


def _note(drill: DrillSession, page: Page) -> None:
    t = drill.timeline
    t.notified_at, t.firing_at, t.pending_at, t.labels = page.notified_at, page.firing_at, page.pending_at, page.labels


def _assert_held_for(page: Page) -> None:
    if page.firing_at and page.pending_at and page.firing_at - page.pending_at < page.for_s - CLOCK_EPSILON_S:
        raise DrillFailure(
            f"alert {page.what} fired {page.firing_at - page.pending_at:.3f}s after it became pending, "
            f"before its for of {page.for_s:g}s"
        )
    first_seen = page.notified_at or page.firing_at
    if first_seen and first_seen - page.fault.fault_at < page.for_s - CLOCK_EPSILON_S:
        raise DrillFailure(
            f"alert {page.what} fired {first_seen - page.fault.fault_at:.3f}s after the fault, "
            f"earlier than its for of {page.for_s:g}s"
        )


def assert_labels(drill: DrillSession, page: Page, expected: dict[str, str]) -> None:
    drill.evidence.labels.update(expected)
    seen = {k: page.labels.get(k) for k in expected}
    if seen != expected:
        raise DrillFailure(f"alert {page.what} carries {seen}, expected {expected} (all labels: {page.labels})")


def assert_receivers(drill: DrillSession, page: Page, expected: list[str]) -> Page:
    """Every expected receiver notified within its bound, and no other receiver routed to.

    Returns the page with its receivers, for the recovery step that waits for their resolved messages.
    """
    drill.expect.check_receivers(expected)
    drill.evidence.receivers = sorted(expected)
    slowest = max(r.group_wait_s for r in drill.expect.routes(page.alert, page.match))
    deadline = page.fault.fault_at + page.bound.total + slowest - page.bound.group_wait_s
    recorder = drill.stack.recorder

    def receivers(ns: list[Notification]) -> set[str]:
        return {n.receiver for n in ns if n.status == "firing" and page.is_target(n)}

    recorder.wait_for(
        lambda ns: set(expected) <= receivers(ns), timeout=max(0.0, deadline - time.time()), since=page.fault.fault_at
    )
    notified = receivers(recorder.notifications(page.fault.fault_at))
    routed = drill.watch.routed(page.alert, page.match)
    drill.timeline.receivers = sorted(notified | routed)
    if notified != set(expected) or (routed and routed != set(expected)):
        raise DrillFailure(
            f"alert {page.what} went to {sorted(notified) or 'nobody'} (Alertmanager routes it to "
            f"{sorted(routed) or 'nobody'}), expected exactly {sorted(expected)}; check the routes in "
            f"{drill.expect.monitoring.alertmanager_path}"
        )
    return replace(page, receivers=tuple(sorted(expected)))


def assert_paged_after_deferral(drill: DrillSession, page: Page, hours: float) -> None:
    """The page came no earlier than the route's deferral (`group_wait`) after firing."""
    defer = drill.expect.scaled(hours * 3600)
    if page.notified_at is None or page.firing_at is None:
        raise DrillFailure(f"no page of {page.what} was observed; a 'fires' step (not 'held back') must come first")
    if page.notified_at - page.firing_at < defer - CLOCK_EPSILON_S:
        raise DrillFailure(
            f"alert {page.what} paged {page.notified_at - page.firing_at:.2f}s after firing, before its "
            f"{hours:g} h deferral ({defer:g}s scaled)"
        )


def assert_held_back(drill: DrillSession, page: Page, expected: list[str], hours: float) -> None:
    """Routed to exactly `expected`, whose route defers the page by `hours`; nobody paged yet."""
    drill.expect.check_receivers(expected)
    drill.evidence.receivers = sorted(expected)
    routed = drill.watch.routed(page.alert, page.match)
    drill.timeline.receivers = sorted(routed)
    where = drill.expect.monitoring.alertmanager_path
    if routed != set(expected):
        raise DrillFailure(
            f"alert {page.what} is routed to {sorted(routed) or 'nobody'}, expected exactly {sorted(expected)}; "
            f"check {where}"
        )
    defer = drill.expect.scaled(hours * 3600)
    waits = {r.receiver: r.group_wait_s for r in drill.expect.routes(page.alert, page.match)}
    short = {r: w for r, w in waits.items() if w < defer - CLOCK_EPSILON_S}
    if short:
        raise DrillFailure(
            f"alert {page.what}: route group_wait {short} (scaled seconds) is shorter than the "
            f"{hours:g} h deferral ({defer:g}s scaled)"
        )
    paged = [n for n in drill.stack.recorder.notifications(page.fault.fault_at) if page.is_target(n)]
    if paged:
        raise DrillFailure(
            f"alert {page.what} paged {paged[0].receiver} already, "
            f"{paged[0].arrived_at - page.fault.fault_at:.2f}s after the fault, before its deferral"
        )
