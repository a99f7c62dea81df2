"""The questions a drill asks about alert state, answered from the sources of truth (Prometheus,
Alertmanager, the recorder): what fired since a moment, when an alert became active, its state."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from alertdrill.errors import ObserveError
from alertdrill.notify.recorder import NotificationRecorder
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.observe.alerts import Selector, describe, matches, selector
from alertdrill.observe.prometheus import PromAlert, PrometheusClient
from alertdrill.runtime.wait import poll
from alertdrill.stack.base import MonitoringStack

log = logging.getLogger(__name__)
POLL_S = 0.1  # state polls, only where no push exists (deferred, quiet and also-firing alerts)
T = TypeVar("T")


#: An alert a drill will expect, as Alertmanager will group it: the labels known before it fires
#: (alertname, the rule's static labels, the step's match) and the route's `group_by`.
GroupKey = tuple[dict[str, str], tuple[str, ...]]


def shares_group(name: str, labels: dict[str, str], key: GroupKey) -> bool:
    """Whether a fired alert may sit in the same aggregation group as the expected one.

    A `group_by` label the drill cannot know before the alert fires counts as equal: when in
    doubt, isolate. `...` groups by every label, so only the known ones can tell them apart.
    """
    known, group_by = key
    fired = {**labels, "alertname": name}
    keys = tuple(known) if "..." in group_by else group_by
    return name == "*" or all(fired.get(k, "") == known[k] for k in keys if k in known)


@dataclass
class AlertHistory:
    """Alerts that fired on one stack so far: a later drill whose alert would share an Alertmanager
    aggregation group with one of them skips group_wait, so it needs a reset first."""

    fired: list[Selector] = field(default_factory=list)

    def collides(self, planned: list[GroupKey]) -> bool:
        return any(shares_group(name, labels, key) for key in planned for name, labels in self.fired)


class AlertWatch:
    """Read-only questions about alert state, answered from the sources of truth."""

    def __init__(
        self, prometheus: PrometheusClient, alertmanager: AlertmanagerClient, recorder: NotificationRecorder
    ) -> None:
        self.prometheus = prometheus
        self.alertmanager = alertmanager
        self.recorder = recorder

    def firing_since(self, since: float, alertname: str | None = None) -> list[tuple[str, dict[str, str]]]:
        """Every alert that was firing (in Prometheus) or paged (at a receiver) since `since`."""
        window_ms = max(1000, int((time.time() - since) * 1000))
        name = f',alertname="{alertname}"' if alertname else ""
        query = f'max_over_time(ALERTS{{alertstate="firing"{name}}}[{window_ms}ms])'
        out = [(s.labels.get("alertname", ""), s.labels) for s in self.prometheus.query(query)]
        out += [
            (n.alertname, n.labels)
            for n in self.recorder.notifications(since)
            if n.status == "firing" and (alertname is None or n.alertname == alertname)
        ]
        return out

    def fired_between(self, start: float, end: float, alert: str, match: dict[str, str]) -> list[dict[str, str]]:
        """Label sets of `alert` (with `match`) that were firing in Prometheus at some point in
        (start, end]: the ALERTS series, evaluated at `end` over exactly that window."""
        window_ms = max(1, int((end - start) * 1000))
        query = f'max_over_time(ALERTS{{alertstate="firing",alertname="{alert}"}}[{window_ms}ms])'
        return [s.labels for s in self.prometheus.query(query, at=end) if matches(alert, s.labels, alert, match)]

    def fired_since(self, since: float, alert: str) -> set[str]:
        return {describe(name, labels) for name, labels in self.firing_since(since, alert)}

    def active(self, alert: str, match: dict[str, str]) -> list[PromAlert]:
        return [a for a in self.prometheus.alerts() if matches(a.name, a.labels, alert, match)]

    def is_inactive_by(self, alert: str, match: dict[str, str], until: float) -> bool:
        """Whether the alert is neither pending nor firing in Prometheus by wall time `until`."""
        return poll(f"{alert} inactive", lambda: not self.active(alert, match), poll_s=POLL_S, until=until).met

    def active_at(self, alert: str, match: dict[str, str]) -> float | None:
        """When the rule first matched (Prometheus `activeAt`), or None if it cannot be read."""
        try:
            found = [a.active_at for a in self.active(alert, match) if a.active_at]
        except ObserveError as exc:  # an observation gap, not a verdict
            log.debug("could not read activeAt: %s", exc)
            return None
        return min(found) if found else None

    def started_at(self, alert: str, match: dict[str, str]) -> float | None:
        """When Alertmanager says the alert started firing (its `startsAt` = the rule's FiredAt)."""
        try:
            found = [a.starts_at for a in self.alertmanager.alerts() if matches(a.name, a.labels, alert, match)]
        except ObserveError as exc:  # an observation gap, not a verdict
            log.debug("could not read startsAt: %s", exc)
            return None
        return min((t for t in found if t), default=None)

    def routed(self, alert: str, match: dict[str, str]) -> set[str]:
        """The receivers Alertmanager's tree sends this alert to."""
        return {r for a in self.alertmanager.alerts() if matches(a.name, a.labels, alert, match) for r in a.receivers}

    def last_state(self, alert: str, match: dict[str, str]) -> str:
        try:
            found = self.active(alert, match)
        except ObserveError as exc:
            return f"Prometheus state unknown ({exc})"
        if not found:
            return "Prometheus shows it inactive"
        a = found[0]
        since = f" (active for {time.time() - a.active_at:.1f}s)" if a.active_at else ""
        return f"last state in Prometheus '{a.state}'{since}"

    def log_progress(self, alert: str, match: dict[str, str], phase: str, start: float, bound: float) -> None:
        """One progress line on a long wait: what is awaited, its state, how much of the bound passed."""
        log.info(
            "… %s (%s): %s; %.1fs of %.1fs bound",
            selector(alert, match),
            phase,
            self.last_state(alert, match),
            time.time() - start,
            bound,
        )

    @staticmethod
    def poll(probe: Callable[[], list[T]], deadline: float, on_tick: Callable[[], None]) -> list[T]:
        """Ask `probe` every 100 ms until it finds something or `deadline` passes.

        Only a probe that began by the deadline counts: an answer from a probe that started late
        (a slow reply, an overslept poll) would let an alert past its bound.
        """
        if time.time() > deadline:
            return []
        waited = poll(
            "an answer from the probe",
            probe,
            poll_s=POLL_S,
            until=deadline,
            tolerate=(ObserveError,),  # an observation gap, not a verdict; the deadline decides
            on_progress=lambda _: on_tick(),
        )
        return (waited.value or []) if waited.met else []


def alerts_fired_since(stack: MonitoringStack, since: float) -> list[Selector]:
    """What fired while the stack was starting (e.g. an `absent()` rule before the first scrape):
    the first drill whose alert shares a group with one of them must be isolated like any other."""
    with PrometheusClient(stack.prometheus_url) as prom, AlertmanagerClient(stack.alertmanager_url) as am:
        try:
            return AlertWatch(prom, am, stack.recorder).firing_since(since)
        except ObserveError as exc:  # unknown: treat as "something fired" so the first drill isolates
            log.warning("could not read the alerts of the stack's start: %s", exc)
            return [("*", {})]
