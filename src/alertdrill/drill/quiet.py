"""Then-steps about the rest of the alerting state: the other alerts a fault must fire, the ones
that must stay quiet below their threshold, and that nothing unexpected fired; plus a check that
the fault really took the system where the drill needs it."""

from __future__ import annotations

import logging
import time

from alertdrill.drill import chain
from alertdrill.drill.expectations import FaultWindow
from alertdrill.drill.paging import Page
from alertdrill.drill.session import DrillSession
from alertdrill.errors import DrillFailure
from alertdrill.notify.webhook import Notification
from alertdrill.observe.alerts import describe, selector
from alertdrill.runtime.wait import sleep_until

log = logging.getLogger(__name__)
#: Resolution of the subquery that looks back over the fault for a metric's extreme.
REACHED_STEP = "1s"


def wait_for_also_firing(
    drill: DrillSession, fault: FaultWindow, alert: str, match: dict[str, str], for_production_s: float
) -> Page:
    """Another alert this fault must fire (in Prometheus, within its own bound), followed to its
    page: an inhibit rule or route that swallows it fails the drill."""
    drill.expect.rule(alert)  # an unknown alert is a located setup error
    bound = drill.expect.fire_bound(alert, for_production_s, 0.0, fault)
    deadline = fault.fault_at + bound.total

    def fired_in_time() -> list[dict[str, str]]:
        # Firing at any moment from the fault to now or the deadline, whichever is first: an alert
        # that fired in time and resolved while the primary alert was awaited still counts; one that
        # fired only after its deadline does not, however late this step looks.
        return drill.watch.fired_between(fault.fault_at, min(time.time(), deadline), alert, match)

    def progress() -> None:
        drill.watch.log_progress(alert, match, "fire", fault.fault_at, bound.total)

    found = drill.watch.poll(fired_in_time, deadline, progress) or fired_in_time()
    if not found:
        raise chain.failure(
            drill,
            f"alert {selector(alert, match)} did not also fire within {bound.total:.2f}s of the fault; "
            f"bound: {bound.explain()}",
            alert,
            match,
            fault.fault_at,
            deadline,
        )
    return _follow_to_page(drill, fault, alert, match, for_production_s)


def _follow_to_page(
    drill: DrillSession, fault: FaultWindow, alert: str, match: dict[str, str], for_production_s: float
) -> Page:
    wait = min(r.group_wait_s for r in drill.expect.routes(alert, match))
    bound = drill.expect.fire_bound(alert, for_production_s, wait, fault)
    recorder = drill.stack.recorder

    def pages(ns: list[Notification]) -> list[Notification]:
        return [n for n in ns if n.status == "firing" and n.matches(alert, match)]

    recorder.wait_for(
        lambda ns: bool(pages(ns)), timeout=max(0.0, fault.fault_at + bound.total - time.time()), since=fault.fault_at
    )
    got = pages(recorder.notifications(fault.fault_at))
    if not got:
        states = [
            f"{a.state} (receivers {list(a.receivers)})"
            for a in drill.alertmanager.alerts()
            if a.name == alert and all(a.labels.get(k) == v for k, v in match.items())
        ]
        raise chain.failure(
            drill,
            f"alert {selector(alert, match)} also fired but its page reached nobody within {bound.total:.2f}s of the "
            f"fault (Alertmanager: {', '.join(states) or 'not held'}); is it inhibited or routed nowhere? check "
            f"{drill.expect.monitoring.alertmanager_path}; bound: {bound.explain()}",
            alert,
            match,
            fault.fault_at,
            fault.fault_at + bound.total,
        )
    first = min(got, key=lambda n: n.arrived_at)
    return Page(
        alert,
        dict(match),
        drill.expect.scaled(for_production_s),
        bound,
        fault,
        drill.watch.started_at(alert, match),
        first.arrived_at,
        None,
        first.labels,
    )


def assert_stays_quiet(drill: DrillSession, fault: FaultWindow, alert: str, for_production_s: float) -> None:
    """Below the threshold: wait out the whole bound, then check it never fired."""
    drill.expect.rule(alert)
    bound = drill.expect.fire_bound(alert, for_production_s, 0.0, fault)
    drill.evidence.alert, drill.evidence.fire_bound = alert, bound
    log.info("checking that %s stays quiet for its bound: %s", alert, bound.explain())
    sleep_until(fault.fault_at + bound.total)
    fired = drill.watch.fired_since(fault.fault_at, alert)
    if fired:
        raise DrillFailure(f"alert {alert} fired below its threshold: {', '.join(sorted(fired))}")


def assert_not_fired(drill: DrillSession, fault: FaultWindow, alert: str) -> None:
    fired = drill.watch.fired_since(fault.fault_at, alert)
    if fired:
        raise DrillFailure(f"alert {alert} fired during the drill: {', '.join(sorted(fired))}")


def assert_reached(
    drill: DrillSession, fault: FaultWindow, expr: str, at_least: float | None = None, at_most: float | None = None
) -> float:
    """The fault really moved the metric: `expr` reached the value at some point since the fault.

    `expr` speaks production time, like the rules: its range windows are scaled the same way (at
    least MIN_RANGE_SCRAPES scrapes), so a `[5m]` holds enough samples at any stack's interval.
    """
    expr = drill.expect.scaled_expr(expr)
    window_ms = max(1000, int((time.time() - fault.fault_at) * 1000))
    fn = "max_over_time" if at_least is not None else "min_over_time"
    values = [s.value for s in drill.prometheus.query(f"{fn}(({expr})[{window_ms}ms:{REACHED_STEP}])")]
    seen = (max(values) if at_least is not None else min(values)) if values else None
    ok = seen is not None and (seen >= at_least if at_least is not None else seen <= (at_most or 0))
    if not ok or seen is None:
        want = f">= {at_least:g}" if at_least is not None else f"<= {at_most:g}"
        raise DrillFailure(
            f"Prometheus never saw {expr} {want} since the fault (extreme: {seen}); the fault "
            "did not take the system where the drill needs it"
        )
    return seen


def assert_no_unexpected_alerts(drill: DrillSession, fault: FaultWindow) -> None:
    """No alert outside the scenario's expected set fired (in Prometheus or at a receiver) since the fault."""
    # A message that names no alert in a machine-readable way (PagerDuty's default payload) is
    # skipped here: every alert that reaches a receiver fired in Prometheus first, and is judged there.
    seen = {
        describe(name, labels)
        for name, labels in drill.watch.firing_since(fault.fault_at)
        if name and not drill.expect.allows(name, labels)
    }
    drill.evidence.unexpected = sorted(seen)
    if seen:
        raise DrillFailure(
            f"unexpected alerts fired during the drill: {', '.join(sorted(seen))} "
            f"(expected only {drill.expect.describe_allowed()})"
        )
