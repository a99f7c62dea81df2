"""Then-steps about SOP-004's P0 timeline: escalation to the next person after 5, 15 and 30 minutes
unresolved, none for an incident that ended first, and none after an acknowledgement.

Why a silence is the acknowledgement: Alertmanager has no "acknowledged" state (SOP-004's
`POST /api/v1/alerts {"status": "acknowledged"}` creates nothing; API v1 is gone since 0.27).
A silence on the alert's identity mutes every later notification of it, including the
escalation groups' first ones, which is what an acknowledgement must do. The drill creates it
through the real API v2 and always expires it when the drill ends.
"""

from __future__ import annotations

import logging
import time

from alertdrill.config.routing import receiver_emails
from alertdrill.drill import chain
from alertdrill.drill.acknowledge import acknowledge as ack_with
from alertdrill.drill.bounds import SOP_RECOVERY_S
from alertdrill.drill.expectations import CLOCK_EPSILON_S
from alertdrill.drill.outages import RouteTimers
from alertdrill.drill.paging import Page
from alertdrill.drill.people import (
    EscalationStep,
    addresses,
    assert_readable,
    firing_for,
    first_messages,
    first_page_end,
)
from alertdrill.drill.session import DrillSession
from alertdrill.drill.watch import POLL_S
from alertdrill.errors import DrillFailure, Inconclusive
from alertdrill.faults.injection import ALERTMANAGER
from alertdrill.notify.webhook import Notification
from alertdrill.observe.alertmanager import AlertmanagerClient, AmAlert
from alertdrill.runtime.wait import poll, sleep_until

log = logging.getLogger(__name__)

#: How long an acknowledgement silence lasts (production seconds; scaled, and expired at drill end).
ACK_SILENCE_S = 3600.0


def _firing_at(page: Page) -> float:
    if page.firing_at is None:
        raise DrillFailure(f"when {page.what} started firing is unknown (Alertmanager did not say)")
    return page.firing_at


def _bound_after(drill: DrillSession, after_s: float) -> float:
    """Latest arrival after firing for a group whose group_wait is `after_s`: Prometheus hands the
    alert to Alertmanager at the evaluation it fires (one interval at most), then the slack."""
    return after_s + drill.stack.timing.eval_interval_s + drill.expect.slack_s


def _escalation_bound(drill: DrillSession, page: Page, after_s: float) -> tuple[float, str]:
    """Seconds after firing by which the step must arrive, and why when an outage pushed it out."""
    fired = _firing_at(page)
    usual = _bound_after(drill, after_s)
    group_interval = max(r.group_interval_s for r in drill.expect.routes(page.alert, page.match))
    term = drill.outage_term(
        fired,
        fired + usual,
        RouteTimers(after_s, group_interval, page.for_s),
        drill.pipeline_policy.escalation_slip_allowance_s,
    )
    if term is None:
        return usual, ""
    return term.deadline - fired, f"; {term.explain(fired)}"


def assert_escalates(drill: DrillSession, page: Page, steps: list[tuple[str, float]]) -> None:
    """Unacknowledged and unresolved, the page reaches each address no earlier than its delay after
    the alert fired, and within its bound; nobody on the list hears of it before their turn."""
    fired = _firing_at(page)
    recorder = drill.stack.recorder
    for address, after_production_s in steps:
        addr = address.lower()
        after_s = drill.expect.scaled(after_production_s)
        bound, why = _escalation_bound(drill, page, after_s)
        log.info("waiting for %s to reach %s: %gs after firing (bound %.2fs%s)", page.what, addr, after_s, bound, why)

        def reached(ns: list[Notification], addr: str = addr) -> bool:
            return addr in addresses(firing_for(page, ns))

        recorder.wait_for(reached, timeout=max(0.0, fired + bound - time.time()), since=page.fault.fault_at)
        first = first_messages(firing_for(page, recorder.notifications(page.fault.fault_at))).get(addr)
        step = EscalationStep(
            addr, after_production_s, after_s, bound, None if first is None else first.arrived_at - fired, why
        )
        drill.evidence.escalations.append(step.as_dict())
        if first is None:
            am = drill.expect.monitoring.alertmanager
            to_addr = tuple(r["name"] for r in am.get("receivers") or [] if addr in receiver_emails(am, r["name"]))
            raise chain.failure(
                drill,
                f"alert {page.what} did not escalate to {addr} within {bound:.2f}s of firing{why} (SOP-004: after "
                f"{after_production_s / 60:g} minutes, {after_s:g}s scaled); check the escalation route to {addr} "
                f"(`continue: true` on the routes before it, group_wait {after_production_s / 60:g}m) in "
                f"{drill.expect.monitoring.alertmanager_path}" + drill.outages_behind(fired, fired + bound),
                page.alert,
                page.match,
                page.fault.fault_at,
                fired + bound,
                chain.Expected(receivers=to_addr, addresses=(addr,)),
            )
        if first.arrived_at - fired < after_s - CLOCK_EPSILON_S:
            raise DrillFailure(
                f"alert {page.what} escalated to {addr} {first.arrived_at - fired:.2f}s after firing, before the "
                f"SOP's {after_production_s / 60:g} minutes ({after_s:g}s scaled); check that route's group_wait"
            )
        assert_readable(drill, page, [first], f"escalation to {addr}")
    paged = firing_for(page, recorder.notifications(page.fault.fault_at))
    first_page = set(page.recipients) or addresses([n for n in paged if n.arrived_at <= first_page_end(drill, page)])
    extra = addresses(paged) - first_page - {a.lower() for a, _ in steps}
    if extra:
        raise DrillFailure(
            f"alert {page.what} also reached {sorted(extra)}, who are neither its first page nor SOP-004's "
            f"escalation steps; check the routes in {drill.expect.monitoring.alertmanager_path}"
        )


def acknowledge(drill: DrillSession, page: Page, within_production_s: float) -> Page:
    """The on-call acknowledges within the SOP's time, the way the run says (a silence by default)."""
    if page.notified_at is None:
        raise DrillFailure(f"no page of {page.what} was observed to acknowledge")
    now = time.time()
    within = drill.expect.scaled(within_production_s)
    duration = max(drill.expect.scaled(ACK_SILENCE_S), 60.0)
    ack = ack_with(
        drill.acknowledge_with,
        drill.alertmanager,
        {"alertname": page.alert, **page.match},
        duration,
        drill.expect.monitoring.bin_path,
    )
    drill.evidence.acknowledged_at = now
    drill.acknowledgement = ack
    log.info("acknowledged %s %.2fs after the page: %s", page.what, now - page.notified_at, ack.answer)
    if ack.silence_id is not None:
        drill.silences.append(ack.silence_id)
        _wait_muted(drill, page, ack.silence_id)
    if now - page.notified_at > within + drill.expect.slack_s:
        raise DrillFailure(
            f"acknowledged {page.what} {now - page.notified_at:.2f}s after the page, later than the SOP's "
            f"{within_production_s / 60:g} minutes ({within:g}s scaled)"
        )
    return page


def _wait_muted(drill: DrillSession, page: Page, silence: str) -> None:
    """Every Alertmanager marks the alert suppressed by the silence (every route of it is muted
    from now). With peers, an acknowledgement is in force once gossip carried it to all of them."""
    clients = [AlertmanagerClient(url) for url in drill.stack.alertmanager_urls]

    def held() -> list[list[AmAlert]]:
        return [[a for a in am.alerts() if a.name == page.alert and page.is_target_labels(a.labels)] for am in clients]

    try:
        waited = poll(
            f"{page.what} muted by silence {silence} on every Alertmanager",
            held,
            done=lambda per_am: all(alerts and all(a.state == "suppressed" for a in alerts) for alerts in per_am),
            poll_s=POLL_S,
            until=time.time() + drill.stack.timing.eval_interval_s + drill.expect.slack_s,
        )
    finally:
        for am in clients:
            am.close()
    if not waited.met:
        states = [sorted({a.state for a in alerts}) or ["not held"] for alerts in waited.value or []]
        raise DrillFailure(
            f"silence {silence} did not mute {page.what} on all {len(clients)} Alertmanager(s) "
            f"(states by peer {states})"
        )


def assert_nobody_paged_after_ack(drill: DrillSession, page: Page, minutes: float) -> None:
    """After the acknowledgement nobody hears of the alert again, through the last escalation."""
    acked = drill.evidence.acknowledged_at
    if acked is None:
        raise DrillFailure("no acknowledgement was made: an 'acknowledges' step must come first")
    # An Alertmanager restarted after the acknowledgement rebuilds its escalation groups, whose
    # group_wait starts again: the window reaches as far as the outage pushes the last step.
    until = _firing_at(page) + _escalation_bound(drill, page, drill.expect.scaled(minutes * 60))[0]
    log.info("checking that nobody is paged about %s until %.1fs after firing", page.what, until - _firing_at(page))
    sleep_until(until)
    late = [n for n in drill.stack.recorder.notifications(acked + POLL_S) if page.is_target(n)]
    if late:
        n = late[0]
        how = drill.acknowledgement.answer if drill.acknowledgement else "?"
        raise DrillFailure(
            f"alert {page.what} was acknowledged ({how}) but {', '.join(n.recipients) or n.receiver} was still "
            f"emailed ({n.status}) {n.arrived_at - acked:.2f}s later: the acknowledgement did not stop the page"
            + _lost_with_outage(drill, page)
        )


def _lost_with_outage(drill: DrillSession, page: Page) -> str:
    """Why an acknowledgement can vanish: the Alertmanager holding it was killed before it wrote it."""
    killed = [o for o in drill.outages if o.component == ALERTMANAGER]
    if not killed:
        return ""
    replicas = drill.pipeline_policy.alertmanager_replicas
    return (
        f"; it was lost with the Alertmanager outage ({killed[0].describe(page.fault.fault_at)}): Alertmanager "
        f"writes silences to disk every {drill.stack.timing.pipeline.maintenance_interval_s / 60:g} minutes (not "
        f"scaled) and on a clean stop, so a SIGKILL loses them unless a peer holds them; this stack runs {replicas} "
        f"Alertmanager(s) ({drill.pipeline_policy.replicas_from})"
    )


def assert_resolves_quietly_when_acknowledged(drill: DrillSession, page: Page, minutes: float) -> None:
    """Rolled back while acknowledged: the alert resolves, and the silence mutes the resolved message
    too (Alertmanager drops muted alerts from every notification): nobody is emailed that it is over."""
    rollback = drill.roll_back()
    bound = drill.expect.recovery_bound(minutes * 60, 0.0, rollback.duration_s)
    drill.evidence.recovery_bound = bound
    _wait_inactive(drill, page, rollback.started_at + bound.total, bound.explain())
    group_interval = max(r.group_interval_s for r in drill.expect.routes(page.alert, page.match))
    time.sleep(group_interval + drill.stack.timing.eval_interval_s + drill.expect.slack_s)
    resolved = [n for n in drill.stack.recorder.notifications(rollback.started_at) if page.is_target(n)]
    if resolved:
        n = resolved[0]
        raise DrillFailure(
            f"acknowledged {page.what} resolved and {', '.join(n.recipients) or n.receiver} was emailed ({n.status}); "
            "an acknowledgement (silence) mutes the alert's resolved message too"
        )
    drill.assert_returned_to_slos()


def _wait_inactive(drill: DrillSession, page: Page, deadline: float, explain: str) -> None:
    if not drill.watch.is_inactive_by(page.alert, page.match, until=deadline):
        raise DrillFailure(f"alert {page.what} still active after the rollback; bound: {explain}")
    drill.timeline.resolved_at = time.time()


def assert_no_escalation_after_early_resolve(drill: DrillSession, page: Page, minutes: float, address: str) -> None:
    """Rolled back at once: resolved before the escalation, `address` never hears of it, and the
    people who were paged get the resolved message."""
    fired = _firing_at(page)
    after_s = drill.expect.scaled(minutes * 60)
    rollback = drill.roll_back()
    group_interval = max(r.group_interval_s for r in drill.expect.routes(page.alert, page.match))
    drill.evidence.recovery_bound = drill.expect.recovery_bound(SOP_RECOVERY_S, group_interval, rollback.duration_s)
    _wait_inactive(drill, page, fired + after_s, f"resolved before the {minutes:g} minute escalation")
    resolved_s = (drill.timeline.resolved_at or time.time()) - fired
    if resolved_s > after_s - drill.stack.timing.eval_interval_s:
        raise Inconclusive(
            f"inconclusive: {page.what} took {resolved_s:.2f}s from firing to resolve after the rollback, too close "
            f"to the {after_s:g}s escalation at time scale {drill.stack.timing.time_scale:g}; "
            "use a smaller --time-scale"
        )
    until = fired + _bound_after(drill, after_s)
    sleep_until(until)
    ns = drill.stack.recorder.notifications(page.fault.fault_at)
    addr = address.lower()
    reached = [n for n in firing_for(page, ns) if addr in n.recipients]
    if reached:
        raise DrillFailure(
            f"alert {page.what} resolved {resolved_s:.2f}s after firing, yet {addr} was emailed "
            f"{reached[0].arrived_at - fired:.2f}s after firing (escalation is for incidents still open after "
            f"{minutes:g} minutes); check that escalation route's group_wait in "
            f"{drill.expect.monitoring.alertmanager_path}"
        )
    paged = addresses(firing_for(page, ns))

    def told(ns: list[Notification]) -> set[str]:
        done = [n for n in ns if n.status == "resolved" and page.is_target(n) and n.arrived_at >= rollback.started_at]
        return addresses(done)

    recorder = drill.stack.recorder
    recorder.wait_for(lambda ns: paged <= told(ns), timeout=group_interval + drill.expect.slack_s, since=fired)
    done = [n for n in recorder.notifications(rollback.started_at) if n.status == "resolved" and page.is_target(n)]
    missing = paged - addresses(done)
    if missing:
        raise DrillFailure(f"alert {page.what} resolved but {sorted(missing)} got no resolved message")
    drill.timeline.resolved_notified_at = min(n.arrived_at for n in done) if done else None
    assert_readable(drill, page, done, "resolved message")
    drill.assert_returned_to_slos()
