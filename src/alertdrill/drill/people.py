"""Then-steps about people: who is emailed (by address), what the page says, and SOP-004's
escalation timeline.

Why addresses, not receiver names: a receiver name is the config's own word for itself, so a
mistyped `to:` or a route to the wrong receiver with the right name would pass. The addresses a
step names come from the feature (SOP-004), never from the config under test, and what is
compared is the envelope of the mail Alertmanager's real email integration delivered.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from alertdrill.config.routing import receiver_emails
from alertdrill.drill import chain, paging
from alertdrill.drill.expectations import CLOCK_EPSILON_S
from alertdrill.drill.paging import Page
from alertdrill.drill.session import DrillSession
from alertdrill.errors import DrillFailure
from alertdrill.notify.message import NO_VALUE, Message
from alertdrill.notify.webhook import Notification
from alertdrill.runtime.wait import sleep_until

log = logging.getLogger(__name__)

#: What a template prints for a missing value: never in a page a person reads.


def firing_for(page: Page, ns: list[Notification]) -> list[Notification]:
    return [n for n in ns if n.status == "firing" and page.is_target(n)]


def addresses(ns: list[Notification]) -> set[str]:
    return {r for n in ns for r in n.recipients}


def first_messages(ns: list[Notification]) -> dict[str, Notification]:
    """The first notification each address got."""
    out: dict[str, Notification] = {}
    for n in sorted(ns, key=lambda n: n.arrived_at):
        for r in n.recipients:
            out.setdefault(r, n)
    return out


def first_page_end(drill: DrillSession, page: Page) -> float:
    """When the first page is over: halfway to the next, later route's group_wait (an escalation),
    or, when every route waits the same, shortly after the first message (within the bound)."""
    if page.notified_at is None:
        raise DrillFailure(f"no page of {page.what} was observed; a 'fires' step must come first")
    waits = sorted({r.group_wait_s for r in drill.expect.routes(page.alert, page.match)})
    later = [w for w in waits if w > waits[0] + CLOCK_EPSILON_S]
    if later:
        return page.notified_at + (later[0] - waits[0]) / 2
    # Routes with one group_wait start their groups on the same dispatch and flush together (ms
    # apart): an evaluation interval plus the slack after the first message covers them all.
    together = page.notified_at + drill.stack.timing.eval_interval_s + drill.expect.slack_s
    return max(page.notified_at, min(together, page.fault.fault_at + page.bound.total))


def _where(drill: DrillSession) -> str:
    return str(drill.expect.monitoring.alertmanager_path)


def _describe(ns: list[Notification]) -> str:
    seen = {(n.receiver, tuple(n.recipients)) for n in ns}
    return ", ".join(f"{r} → {', '.join(rs) or '?'}" for r, rs in sorted(seen)) or "no message"


def assert_emailed(drill: DrillSession, page: Page, expected: list[str]) -> Page:
    """The first page reached exactly these addresses (and no other) through the email integration."""
    want = {a.lower() for a in expected}
    drill.evidence.receivers = sorted(want)
    end = first_page_end(drill, page)
    recorder = drill.stack.recorder
    since = page.fault.fault_at

    def in_window(ns: list[Notification]) -> list[Notification]:
        return [n for n in firing_for(page, ns) if n.arrived_at <= end]

    log.info(
        "checking that exactly %s get the first page of %s: watching %.0fs more (to %.1fs after the fault)",
        sorted(want),
        page.what,
        max(0.0, end - time.time()),
        end - since,
    )
    recorder.wait_for(lambda ns: want <= addresses(in_window(ns)), timeout=max(0.0, end - time.time()), since=since)
    sleep_until(end)  # anyone else paged in the window must be seen too
    got_ns = in_window(recorder.notifications(since))
    got = addresses(got_ns)
    drill.timeline.receivers = sorted(got)
    if got != want:
        missing, extra = sorted(want - got), sorted(got - want)
        raise chain.failure(
            drill,
            f"alert {page.what}'s first page (within {end - since:.2f}s of the fault) was emailed to "
            f"{sorted(got) or 'nobody'}, expected exactly {sorted(want)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; not expected {extra}" if extra else "")
            + f" (messages: {_describe(got_ns)}); check the receivers' `to:` and routes in {_where(drill)}",
            page.alert,
            page.match,
            since,
            end,
            chain.Expected(addresses=tuple(sorted(want)), exactly=True),
        )
    return replace(page, recipients=tuple(sorted(got)))


def unreadable(message: Message, alert: str, service: str, severity: str | None, runbook: str | None) -> list[str]:
    """What a person could not act on in this message (empty when it is readable)."""
    text = f"{message.subject}\n{message.text}"
    problems = []
    if message.kind == "email" and not message.subject.strip():
        problems.append("the subject is empty")
    if NO_VALUE in text:
        problems.append(f"it prints {NO_VALUE!r} (a template reads a label or annotation that is not there)")
    if alert not in text:
        problems.append(f"it does not name the alert {alert}")
    if service and service not in text:
        problems.append(f"it does not name the service {service!r}")
    if severity and severity not in text:
        problems.append(f"it does not say the severity {severity!r}")
    if runbook is not None and runbook not in text and runbook not in message.links:
        problems.append(f"it does not link the runbook {runbook}")
    return problems


def assert_readable(drill: DrillSession, page: Page, ns: list[Notification], what: str) -> None:
    """Every message a person got names the alert, its service and severity and links the runbook."""
    rule = drill.expect.rule(page.alert)
    runbook = rule.annotations.get("runbook_url")
    if runbook is None:
        raise DrillFailure(f"rule {page.alert} in {rule.file} has no runbook_url annotation for its pages to link")
    service = next(iter(page.match.values()), "")
    severity = page.labels.get("severity") or rule.labels.get("severity")
    seen: set[int] = set()
    for n in ns:
        if n.message is None or id(n.message) in seen:
            continue
        seen.add(id(n.message))
        problems = unreadable(n.message, page.alert, service, severity, runbook)
        if problems:
            raise DrillFailure(
                f"the {what} of {page.what} to {', '.join(n.recipients) or n.receiver} "
                f"(subject {n.message.subject!r}) is not readable: {'; '.join(problems)}; check the templates "
                f"of receiver {n.receiver} in {_where(drill)} and the rule's annotations in {rule.file}"
            )


def assert_page_readable(drill: DrillSession, page: Page) -> None:
    end = first_page_end(drill, page)
    ns = [n for n in firing_for(page, drill.stack.recorder.notifications(page.fault.fault_at)) if n.arrived_at <= end]
    if not ns:
        raise DrillFailure(f"no page of {page.what} arrived to read")
    assert_readable(drill, page, ns, "page")


@dataclass(frozen=True)
class EscalationStep:
    """One address the SOP escalates to, after `after_s` (scaled) of an unresolved, unacknowledged page."""

    address: str
    after_production_s: float
    after_s: float
    bound_s: float
    arrived_s: float | None = None  # since the alert fired
    bound_explain: str = ""  # set when a pipeline outage the drill caused pushed the bound out

    @property
    def slip_s(self) -> float | None:
        """How much later than the SOP's delay it arrived (an outage's cost, measured)."""
        return None if self.arrived_s is None else self.arrived_s - self.after_s

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "address": self.address,
            "after_s": round(self.after_s, 3),
            "bound_s": round(self.bound_s, 3),
            "arrived_s": None if self.arrived_s is None else round(self.arrived_s, 3),
        }
        if self.bound_explain:
            out |= {"slip_s": None if self.slip_s is None else round(self.slip_s, 3), "bound": self.bound_explain}
        return out


def assert_held_back_from(drill: DrillSession, page: Page, expected: list[str], hours: float) -> None:
    """Deferred (P2): Alertmanager routes it to receivers that will email exactly these addresses
    once the deferral is over (nothing is sent yet, so the config says who), and nobody got it yet."""
    want = {a.lower() for a in expected}
    routed = drill.watch.routed(page.alert, page.match)
    am = drill.expect.monitoring.alertmanager
    will_email = {a for r in routed for a in receiver_emails(am, r)}
    drill.evidence.receivers = sorted(want)
    if will_email != want:
        raise DrillFailure(
            f"alert {page.what} is routed to {sorted(routed) or 'nobody'}, which would email "
            f"{sorted(will_email) or 'nobody'}, expected exactly {sorted(want)}; check {_where(drill)}"
        )
    paging.assert_held_back(drill, page, sorted(routed), hours)
    drill.evidence.receivers, drill.timeline.receivers = sorted(want), sorted(will_email)
