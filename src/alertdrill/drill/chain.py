"""When an expected page did not come: follow the alert down its chain and name the first link that
broke, with the evidence and its time, in one line.

Why a chain: "ServiceDown was not notified within 4.7s" sends a reader through alerts, targets,
notifications and log tails to find where it stopped. The chain is the path every page takes, in
order, each link answered from its source of truth:

    expression true  ->  held for `for`  ->  received by Alertmanager  ->  not suppressed
    (inhibit rule, silence)  ->  routed to a receiver with an integration  ->  the integration
    delivered (Alertmanager's failed-request counter, its log)  ->  arrived (to whom, when)

The first link that did not hold is the diagnosis; the ones before it held (with their times),
the ones after it were not reached. Nothing here judges: the verdict was already reached by the
step; this only says where it broke. A link that cannot be read (an API that does not answer) is
reported as unknown, never guessed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from alertdrill.config import promql
from alertdrill.drill.record import CHAIN_LINKS
from alertdrill.drill.session import DrillSession
from alertdrill.errors import DrillFailure, ObserveError
from alertdrill.observe.alertmanager import AlertmanagerClient, AmAlert
from alertdrill.observe.alerts import matches, selector
from alertdrill.observe.prometheus import Sample

log = logging.getLogger(__name__)
#: What Alertmanager logs when an integration gives up or fails an attempt.
_NOTIFY_FAILED = re.compile(r"Notify for alerts failed|Notify attempt failed|notify retry canceled", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    name: str
    held: bool | None  # None: could not be read
    evidence: str
    at: float | None = None  # when it held (or broke), Unix seconds


@dataclass(frozen=True)
class Chain:
    """The links followed, in order, up to and including the first that broke."""

    alert: str
    origin: float
    links: tuple[Link, ...] = field(default_factory=tuple)

    @property
    def broken(self) -> Link | None:
        return next((link for link in self.links if link.held is not True), None)

    def line(self) -> str:
        """The one line a red drill starts with."""
        b = self.broken
        if b is None:
            return f"{self.alert}: every link of its chain held (unexplained)"
        at = f" (+{b.at - self.origin:.2f}s)" if b.at is not None else ""
        verb = "could not be read" if b.held is None else "broke"
        return f"first broken link: {b.name} {verb}{at}: {b.evidence}"

    def as_evidence(self) -> dict[str, object]:
        return {
            "alert": self.alert,
            "line": self.line(),
            "broken": self.broken.name if self.broken else None,
            "links": [
                {
                    "name": link.name,
                    "held": link.held,
                    "evidence": link.evidence,
                    "at_s": None if link.at is None else round(link.at - self.origin, 3),
                }
                for link in self.links
            ],
        }


@dataclass(frozen=True)
class Expected:
    """Whom the page was due to: receivers (default: the routing tree's) and addresses (any)."""

    receivers: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    #: These addresses and no others (the first page); else at least these (an escalation step).
    exactly: bool = False


def failure(
    drill: DrillSession,
    message: str,
    alert: str,
    match: dict[str, str],
    start: float,
    end: float,
    expected: Expected = Expected(),
) -> DrillFailure:
    """The step's verdict, with the chain's one line first and the step's own account under it."""
    try:
        line = follow(drill, alert, match, start, end, expected).line()
    except Exception as exc:  # noqa: BLE001 - a diagnosis that fails must not hide the verdict
        log.warning("could not follow %s down its chain: %s", alert, exc)
        line = f"first broken link: unknown (the chain could not be followed: {exc})"
    return DrillFailure(f"{line}\n{message}")


def follow(
    drill: DrillSession,
    alert: str,
    match: dict[str, str],
    start: float,
    end: float,
    expected: Expected = Expected(),
) -> Chain:
    """Walk the chain for `alert` from `start` to `end` (the bound it was due by); stops at the first
    link that did not hold."""
    links: list[Link] = []
    for step in (_expression, _held_for, _received, _not_suppressed, _routed, _integration, _delivered):
        try:
            link = step(drill, alert, match, start, end, expected)
        except ObserveError as exc:
            link = Link(CHAIN_LINKS[len(links)], None, f"its source did not answer ({exc})")
        links.append(link)
        if link.held is not True:
            break
    chain = Chain(alert, start, tuple(links))
    drill.evidence.chains.append(chain.as_evidence())
    return chain


def _window(start: float, end: float) -> str:
    return f"{max(1, int((end - start) * 1000))}ms"


def _alerts_series(
    drill: DrillSession, alert: str, match: dict[str, str], state: str, start: float, end: float
) -> list[Sample]:
    q = f'ALERTS{{alertname="{alert}",alertstate="{state}"}}'
    found = drill.prometheus.query(f"max_over_time({q}[{_window(start, end)}])", at=end)
    return [s for s in found if matches(alert, s.labels, alert, match)]


def _expression(drill: DrillSession, alert: str, match: dict[str, str], start: float, end: float, _e: Expected) -> Link:
    if _alerts_series(drill, alert, match, "pending", start, end) or _alerts_series(
        drill, alert, match, "firing", start, end
    ):
        return Link("expression", True, "true", drill.watch.active_at(alert, match))
    expr = drill.expect.scaled_expr(drill.expect.rule(alert).expr)
    comparison = promql.top_comparison(expr)
    if comparison is None:
        what = f"{expr} returned nothing matching {selector(alert, match)} in the window"
        return Link("expression", False, what, end)
    lhs, op, threshold = comparison
    best = "max" if op in (">", ">=") else "min"
    found = drill.prometheus.query(f"{best}_over_time(({lhs})[{_window(start, end)}:1s])", at=end)
    values = [s.value for s in found if all(s.labels.get(k) == v for k, v in match.items() if k in s.labels)]
    seen = (max(values) if best == "max" else min(values)) if values else None
    shown = "no series" if seen is None else f"at {'most' if best == 'max' else 'least'} {seen:.6g}"
    what = f"never true in the window: {lhs} reached {shown}, needs {op} {threshold:g}"
    return Link("expression", False, what, end)


def _held_for(drill: DrillSession, alert: str, match: dict[str, str], start: float, end: float, _e: Expected) -> Link:
    if _alerts_series(drill, alert, match, "firing", start, end):
        return Link("for", True, "fired", drill.watch.started_at(alert, match))
    for_s = drill.expect.scaled(drill.expect.rule(alert).for_s)
    active = drill.watch.active_at(alert, match)
    held = f"pending since +{active - start:.2f}s" if active else "pending, then inactive again"
    return Link("for", False, f"{held}, never held for its `for` of {for_s:g}s", active)


def _am_alerts(drill: DrillSession, alert: str, match: dict[str, str]) -> list[AmAlert]:
    """The alert as every Alertmanager that answers holds it (a peer the drill killed is skipped;
    none answering cannot be read)."""
    out: list[AmAlert] = []
    errors = []
    for url in drill.stack.alertmanager_urls:
        with AlertmanagerClient(url) as am:
            try:
                out += [a for a in am.alerts() if matches(a.name, a.labels, alert, match)]
            except ObserveError as exc:
                errors.append(exc)
    if errors and len(errors) == len(drill.stack.alertmanager_urls):
        raise _NoAlertmanager(str(errors[0]))
    return out


class _NoAlertmanager(ObserveError):
    """No Alertmanager answered: a link in itself when the page was due (see _received)."""


def _received(drill: DrillSession, alert: str, match: dict[str, str], start: float, end: float, _e: Expected) -> Link:
    try:
        held = _am_alerts(drill, alert, match)
    except _NoAlertmanager as exc:
        own = [o.describe(start) for o in drill.outages if o.component == "alertmanager"]
        why = f" ({'; '.join(own)})" if own else ""
        return Link("Alertmanager", False, f"no Alertmanager answers{why}: {exc}", end)
    if held:
        return Link("Alertmanager", True, "received", min((a.starts_at or end) for a in held))
    q = f"sum(increase(prometheus_notifications_errors_total[{_window(start, end)}]))"
    errors = drill.prometheus.query(q, at=end)
    failed = f"; Prometheus: {errors[0].value:g} failed sends in the window" if errors and errors[0].value else ""
    return Link("Alertmanager", False, f"firing in Prometheus, but no Alertmanager holds it{failed}", end)


def _not_suppressed(
    drill: DrillSession, alert: str, match: dict[str, str], start: float, end: float, _e: Expected
) -> Link:
    held = _am_alerts(drill, alert, match)
    free = [a for a in held if a.state != "suppressed"]
    if free:
        return Link("not suppressed", True, "active", None)
    a = held[0]
    if a.inhibited_by:
        return Link("not suppressed", False, f"inhibited by {_inhibitor(drill, a)}", None)
    with AlertmanagerClient(drill.stack.alertmanager_url) as am:
        silence = am.silence(a.silenced_by[0]) if a.silenced_by else {}
    who = f"silence {a.silenced_by[0] if a.silenced_by else '?'} by {silence.get('createdBy', '?')}"
    return Link("not suppressed", False, f"silenced: {who} ({silence.get('comment', '')})", None)


def _inhibitor(drill: DrillSession, target: AmAlert) -> str:
    """The inhibit rule (by position in the config) and the alert that set it off."""
    with AlertmanagerClient(drill.stack.alertmanager_url) as am:
        sources = [a for a in am.alerts() if a.fingerprint in target.inhibited_by]
    rules = drill.stack.monitoring.alertmanager.get("inhibit_rules") or []
    for i, rule in enumerate(rules):
        src = " ".join(rule.get("source_matchers") or [])
        if any(s.name in src for s in sources):
            target_text = " ".join(rule.get("target_matchers") or [])
            return f"inhibit_rules[{i}] ({src} mutes {target_text}), set off by {sources[0].name}{sources[0].labels}"
    return f"{', '.join(a.name for a in sources) or 'an alert'} (no inhibit rule of the config names it)"


def _routed(
    drill: DrillSession, alert: str, match: dict[str, str], start: float, end: float, expected: Expected
) -> Link:
    got = sorted({r for a in _am_alerts(drill, alert, match) for r in a.receivers})
    if expected.receivers:  # any receiver that holds the address will do (an escalation step)
        missing = [] if set(expected.receivers) & set(got) else list(expected.receivers)
    else:  # the routing tree's receivers, every one
        missing = [r for r in (r.receiver for r in drill.expect.routes(alert, match)) if r not in got]
    if missing:
        what = f"routed to {got}, not {missing} (check the route tree's matchers and `continue`)"
        return Link("routed", False, what)
    return Link("routed", True, f"to {got}")


def _integration(
    drill: DrillSession, alert: str, match: dict[str, str], start: float, end: float, _e: Expected
) -> Link:
    # at least four scrapes, so increase() has samples on any stack; absent: not scraped, not known
    window = _window(min(start, end - 4 * drill.stack.timing.scrape_interval_s), end)
    q = f"sum by (integration) (increase(alertmanager_notification_requests_failed_total[{window}]))"
    found = drill.prometheus.query(q, at=end)
    if not found:
        return Link("integration", None, "Alertmanager's failed-request counter is not scraped here", end)
    failed = {s.labels.get("integration", "?"): s.value for s in found if s.value > 0}
    if not failed:
        return Link("integration", True, "no failed notification request")
    counts = ", ".join(f"{n:g} failed {k} requests" for k, n in sorted(failed.items()))
    line = _last_notify_error(drill)
    return Link("integration", False, f"{counts}{f'; Alertmanager: {line}' if line else ''}", end)


def _last_notify_error(drill: DrillSession) -> str:
    """Alertmanager's last log line about a failed notification (local stack: its log file)."""
    for path in sorted((drill.stack.run_dir / "logs").glob("alertmanager*.log"), reverse=True):
        lines = [line for line in path.read_text(errors="replace").splitlines() if _NOTIFY_FAILED.search(line)]
        if lines:
            return lines[-1][-300:]
    return ""


def _delivered(
    drill: DrillSession, alert: str, match: dict[str, str], start: float, end: float, expected: Expected
) -> Link:
    got = [n for n in drill.stack.recorder.notifications(start) if n.status == "firing" and n.matches(alert, match)]
    if not got:
        return Link("delivered", False, "no message arrived at any receiver", end)
    first = min(got, key=lambda n: n.arrived_at)
    if first.arrived_at > end:
        late = f"the first message arrived late, at +{first.arrived_at - start:.2f}s"
        return Link("delivered", False, late, first.arrived_at)
    who = sorted({r for n in got if n.message and n.arrived_at <= end for r in n.message.recipients})
    missing = [a for a in expected.addresses if a not in who]
    extra = [a for a in who if expected.exactly and a not in expected.addresses]
    if extra and not missing:
        what = f"delivered at +{first.arrived_at - start:.2f}s, to {expected.addresses} and also to {extra}"
        return Link("delivered", False, what + " (check the receivers' `to:` and routes)", first.arrived_at)
    if missing:
        what = (
            f"delivered at +{first.arrived_at - start:.2f}s, but to {who}, not {missing} (check the receivers' `to:`)"
        )
        return Link("delivered", False, what, first.arrived_at)
    return Link("delivered", True, f"to {who} at +{first.arrived_at - start:.2f}s", first.arrived_at)
