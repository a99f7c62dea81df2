"""Then-steps about recovery: after rollback the alert resolves and the resolved notification
reaches every receiver that sends one within the SOP's recovery bound (or, for a deferred alert,
it clears without ever paging); then the system is back at its SLOs."""

from __future__ import annotations

import time
from collections.abc import Callable

from alertdrill.config.routing import sends_resolved
from alertdrill.drill.bounds import SOP_RECOVERY_S
from alertdrill.drill.paging import Page
from alertdrill.drill.people import assert_readable
from alertdrill.drill.session import DrillSession
from alertdrill.errors import DrillFailure
from alertdrill.notify.webhook import Notification
from alertdrill.observe.alerts import describe


def wait_for_resolved(
    drill: DrillSession,
    page: Page,
    sop_recovery_production_s: float = SOP_RECOVERY_S,
    remedy: Callable[[], None] | None = None,
) -> None:
    """Roll back (through `remedy` first: the runbook's own, drill/runbook.py), then wait for the
    resolved message on every receiver that was paged and sends one (an escalation that went out
    before the rollback included), and read it as a person would."""
    rollback = drill.roll_back(remedy)
    rollback_at = rollback.started_at
    routes = drill.expect.routes(page.alert, page.match)
    gi = max(r.group_interval_s for r in routes)
    bound = drill.expect.recovery_bound(sop_recovery_production_s, gi, rollback.duration_s)
    drill.evidence.recovery_bound = bound
    am = drill.expect.monitoring.alertmanager
    recorder = drill.stack.recorder

    def want(ns: list[Notification]) -> set[str]:
        paged = {n.receiver for n in ns if n.status == "firing" and page.is_target(n)} | set(page.receivers)
        return {r for r in paged if sends_resolved(am, r)}

    def resolved(ns: list[Notification]) -> list[Notification]:
        return [n for n in ns if n.status == "resolved" and page.is_target(n) and n.arrived_at >= rollback_at]

    ok = recorder.wait_for(
        lambda ns: bool(want(ns)) and want(ns) <= {n.receiver for n in resolved(ns)},
        timeout=bound.total,
        since=page.fault.fault_at,
        on_tick=lambda _: drill.watch.log_progress(page.alert, page.match, "resolve", rollback_at, bound.total),
    )
    seen = recorder.notifications(page.fault.fault_at)
    got = resolved(seen)
    if got:
        first = min(got, key=lambda n: n.arrived_at)
        drill.timeline.resolved_notified_at = first.arrived_at
        drill.timeline.resolved_at = first.ends_at
    if not want(seen):
        raise DrillFailure(
            f"no receiver that paged {page.what} sends resolved notifications "
            f"(send_resolved is off on {sorted(page.receivers) or 'every paging receiver'})"
        )
    if not ok:
        missing = sorted(want(seen) - {n.receiver for n in got})
        raise DrillFailure(
            f"alert {page.what}: resolved notification to {missing} did not arrive within {bound.total:.2f}s of "
            f"the rollback; {drill.watch.last_state(page.alert, page.match)}; bound: {bound.explain()}"
        )
    assert_readable(drill, page, got, "resolved message")
    _assert_every_identity_inactive(drill, page, rollback_at, rollback_at + bound.total, bound.explain())
    drill.assert_returned_to_slos()


def _assert_every_identity_inactive(drill: DrillSession, page: Page, since: float, deadline: float, why: str) -> None:
    """A resolved message is about the identities it carries: one job can fire one alert under
    several label sets (on Kubernetes `up{instance} == 0` and `absent(up{job})`), and one of them
    resolving says nothing of the others. Recovered means every identity that fired is inactive."""
    if drill.watch.is_inactive_by(page.alert, page.match, until=deadline):
        return
    seen = drill.watch.fired_between(page.fault.fault_at, time.time(), page.alert, page.match)
    still = sorted(describe(a.name, a.labels) for a in drill.watch.active(page.alert, page.match))
    raise DrillFailure(
        f"alert {page.what}: the resolved message came, but {', '.join(still)} still active "
        f"{time.time() - since:.2f}s after the rollback ({len(seen)} label set(s) of it fired during the drill; "
        f"recovery waits for every one); bound: {why}"
    )


def wait_for_cleared_quietly(
    drill: DrillSession, page: Page, sop_recovery_production_s: float = SOP_RECOVERY_S
) -> None:
    """Roll back; the alert clears within the recovery bound and nobody was ever paged."""
    rollback = drill.roll_back()
    start = rollback.started_at
    bound = drill.expect.recovery_bound(sop_recovery_production_s, 0.0, rollback.duration_s)
    drill.evidence.recovery_bound = bound
    if not drill.watch.is_inactive_by(page.alert, page.match, until=start + bound.total):
        raise DrillFailure(
            f"alert {page.what} still active {bound.total:.2f}s after the rollback; "
            f"{drill.watch.last_state(page.alert, page.match)}; bound: {bound.explain()}"
        )
    drill.timeline.resolved_at = time.time()
    paged = [n for n in drill.stack.recorder.notifications(page.fault.fault_at) if page.is_target(n)]
    if paged:
        raise DrillFailure(f"alert {page.what} paged {paged[0].receiver} although it cleared within its deferral")
    drill.assert_returned_to_slos()
