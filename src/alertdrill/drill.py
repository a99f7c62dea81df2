"""One drill: inject a scenario's fault, watch the alert travel, roll back, watch it clear.

Steps call these methods; each either records an observation on the timeline or raises
`DrillFailure` with what was expected, what was seen, where and for how long.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alertdrill.bounds import SOP_RECOVERY_S, FireBound, RecoveryBound, fire_bound, recovery_bound
from alertdrill.errors import DrillFailure
from alertdrill.faults.actions import FaultSession, active_session
from alertdrill.faults.ledger import FaultLedger
from alertdrill.faults.scenario import Scenario, find_scenario
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.observe.recorder import Notification
from alertdrill.observe.timeline import Timeline
from alertdrill.rules import routing
from alertdrill.rules.ruleset import has_range_window
from alertdrill.stack.base import Stack

log = logging.getLogger(__name__)
#: FiredAt has millisecond resolution; compare `for` holds with this tolerance.
CLOCK_EPSILON_S = 0.002


@dataclass
class Expected:
    labels: dict[str, str] = field(default_factory=dict)
    receivers: list[str] = field(default_factory=list)
    for_s: float | None = None
    fire_bound: FireBound | None = None
    recovery_bound: RecoveryBound | None = None


def _selector(alert: str, match: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(match.items()))
    return f"{alert}{{{inner}}}"


class Drill:
    """The state of one drill, built up by its steps; closed by `finish()`."""

    def __init__(self, stack: Stack, scenarios_dir: Path, run_dir: Path, isolate: bool) -> None:
        self.stack = stack
        self.scenarios_dir = scenarios_dir
        self.ledger = FaultLedger(run_dir / "faults")
        self.timeline = Timeline()
        self.expected = Expected()
        self.alert: str | None = None
        self.match: dict[str, str] = {}
        self.scenario: Scenario | None = None
        self.unexpected: list[str] = []
        self._isolate = isolate
        self.prometheus = PrometheusClient(stack.prometheus_url)
        self.alertmanager = AlertmanagerClient(stack.alertmanager_url)

    # -- Given -----------------------------------------------------------------------------
    def prepare(self) -> None:
        """Fresh alerting state (after the first drill) and a healthy stack."""
        if self._isolate:
            self.stack.isolate()
        else:
            self.stack.wait_until_healthy(timeout=30.0)

    # -- When ------------------------------------------------------------------------------
    def inject(self, scenario_name: str) -> None:
        self.scenario = find_scenario(self.scenarios_dir, scenario_name)
        with active_session(FaultSession(self.stack.faults(), self.ledger)):
            outputs = self.scenario.inject()
        times = [o["injected_at"] for o in outputs if isinstance(o, dict) and "injected_at" in o]
        self.timeline.fault_at = min(times) if times else time.time()

    def roll_back(self) -> None:
        self.timeline.rollback_at = time.time()
        assert self.scenario is not None, "no scenario was injected"
        with active_session(FaultSession(self.stack.faults(), self.ledger)):
            self.scenario.roll_back()
        self.ledger.revert_all()  # anything the scenario's rollbacks did not cover

    def finish(self) -> None:
        """Revert what is still injected and close clients (teardown; never masks a failure)."""
        try:
            self.ledger.revert_all()
        finally:
            self.prometheus.close()
            self.alertmanager.close()

    # -- Then: firing ------------------------------------------------------------------------
    def _routes(self, alert: str, match: dict[str, str]) -> list[routing.RouteMatch]:
        rule = self.stack.monitoring.rule(alert)
        labels = {**rule.labels, **match, "alertname": alert}
        return self.stack.monitoring.routes_for(labels, self.stack.timing.time_scale)

    def _is_target(self, n: Notification) -> bool:
        return self.alert is not None and n.matches(self.alert, self.match)

    def wait_for_firing(self, alert: str, match: dict[str, str], for_production_s: float) -> None:
        """Wait for the first firing notification; check it did not come before `for`."""
        self.alert, self.match = alert, dict(match)
        fault_at = self._fault_at()
        timing = self.stack.timing
        for_s = for_production_s / timing.time_scale
        routes = self._routes(alert, match)
        hangs = self.scenario is not None and any(
            s.func.__name__ == "freeze_workload" for s in self.scenario.method
        )
        windowed = has_range_window(self.stack.monitoring.rule(alert).expr)
        bound = fire_bound(
            for_s,
            timing,
            min(r.group_wait_s for r in routes),
            self.stack.settings.slack_s,
            target_hangs=hangs,
            windowed=windowed,
        )
        self.expected.for_s, self.expected.fire_bound = for_s, bound
        what = _selector(alert, match)
        log.info("waiting for %s to fire: bound %s", what, bound.explain())
        arrived = self.stack.recorder.wait_for(
            lambda ns: any(n.status == "firing" and self._is_target(n) for n in ns),
            timeout=max(0.0, fault_at + bound.total - time.time()),
            since=fault_at,
            on_tick=lambda _: self._progress(what, fault_at, bound.total),
        )
        if not arrived:
            raise DrillFailure(
                f"alert {what} was not notified within {bound.total:.2f}s of the fault; "
                f"{self._last_state(alert, match)}; bound: {bound.explain()} "
                f"(rule for={for_production_s:g}s at time scale {timing.time_scale:g})"
            )
        first = min(
            (
                n
                for n in self.stack.recorder.notifications(fault_at)
                if n.status == "firing" and self._is_target(n)
            ),
            key=lambda n: n.arrived_at,
        )
        self.timeline.notified_at = first.arrived_at
        self.timeline.firing_at = first.starts_at
        self.timeline.labels = first.labels
        self.timeline.pending_at = self._active_at(alert, match)
        self._assert_held_for(what, for_s)

    def _assert_held_for(self, what: str, for_s: float) -> None:
        t = self.timeline
        if (
            t.firing_at is not None
            and t.pending_at is not None
            and (t.firing_at - t.pending_at < for_s - CLOCK_EPSILON_S)
        ):
            raise DrillFailure(
                f"alert {what} fired {t.firing_at - t.pending_at:.3f}s after it "
                f"became pending, before its for of {for_s:g}s"
            )
        if (
            t.notified_at is not None
            and t.fault_at is not None
            and (t.notified_at - t.fault_at < for_s - CLOCK_EPSILON_S)
        ):
            raise DrillFailure(
                f"alert {what} was notified {t.notified_at - t.fault_at:.3f}s after "
                f"the fault, earlier than its for of {for_s:g}s"
            )

    def assert_labels(self, expected: dict[str, str]) -> None:
        self.expected.labels.update(expected)
        seen = {k: self.timeline.labels.get(k) for k in expected}
        if seen != expected:
            raise DrillFailure(
                f"alert {_selector(self._alert(), self.match)} carries {seen}, "
                f"expected {expected} (all labels: {self.timeline.labels})"
            )

    def assert_receivers(self, expected: list[str]) -> None:
        """Every expected receiver notified within its bound, and no other receiver routed to."""
        alert, fault_at = self._alert(), self._fault_at()
        self.expected.receivers = sorted(expected)
        routes = self._routes(alert, self.match)
        assert self.expected.fire_bound is not None
        slowest = max(r.group_wait_s for r in routes)
        deadline = fault_at + self.expected.fire_bound.total + slowest - self.expected.fire_bound.group_wait_s

        def receivers(ns: list[Notification]) -> set[str]:
            return {n.receiver for n in ns if n.status == "firing" and self._is_target(n)}

        self.stack.recorder.wait_for(
            lambda ns: set(expected) <= receivers(ns),
            timeout=max(0.0, deadline - time.time()),
            since=fault_at,
        )
        notified = receivers(self.stack.recorder.notifications(fault_at))
        routed = {
            r
            for a in self.alertmanager.alerts()
            if a.name == alert and all(a.labels.get(k) == v for k, v in self.match.items())
            for r in a.receivers
        }
        self.timeline.receivers = sorted(notified | routed)
        if notified != set(expected) or (routed and routed != set(expected)):
            raise DrillFailure(
                f"alert {_selector(alert, self.match)} went to {sorted(notified) or 'nobody'} "
                f"(Alertmanager routes it to {sorted(routed) or 'nobody'}), expected exactly "
                f"{sorted(expected)}; check the routes in {self.stack.monitoring.alertmanager_path}"
            )

    # -- Then: recovery ----------------------------------------------------------------------
    def wait_for_resolved(self, sop_recovery_production_s: float = SOP_RECOVERY_S) -> None:
        """Roll back, then wait for the resolved notification on every receiver that sends one."""
        alert = self._alert()
        self.roll_back()
        rollback_at = self.timeline.rollback_at
        assert rollback_at is not None
        routes = self._routes(alert, self.match)
        bound = recovery_bound(
            sop_recovery_production_s,
            self.stack.timing,
            max(r.group_interval_s for r in routes),
            self.stack.settings.slack_s,
        )
        self.expected.recovery_bound = bound
        want = {
            r
            for r in (self.expected.receivers or [r.receiver for r in routes])
            if routing.sends_resolved(self.stack.monitoring.alertmanager, r)
        }
        what = _selector(alert, self.match)

        def resolved(ns: list[Notification]) -> set[str]:
            return {n.receiver for n in ns if n.status == "resolved" and self._is_target(n)}

        ok = self.stack.recorder.wait_for(
            lambda ns: bool(want) and want <= resolved(ns),
            timeout=bound.total,
            since=rollback_at,
            on_tick=lambda _: self._progress(what, rollback_at, bound.total, phase="resolve"),
        )
        got = [
            n
            for n in self.stack.recorder.notifications(rollback_at)
            if n.status == "resolved" and self._is_target(n)
        ]
        if got:
            first = min(got, key=lambda n: n.arrived_at)
            self.timeline.resolved_notified_at = first.arrived_at
            self.timeline.resolved_at = first.ends_at
        if not want:
            raise DrillFailure(
                f"no receiver of {what} sends resolved notifications "
                f"(send_resolved is off on {sorted(self.expected.receivers)})"
            )
        if not ok:
            raise DrillFailure(
                f"alert {what}: resolved notification to {sorted(want - resolved(got))} did not "
                f"arrive within {bound.total:.2f}s of the rollback; {self._last_state(alert, self.match)}; "
                f"bound: {bound.explain()}"
            )

    def assert_no_unexpected_alerts(self) -> None:
        """No alert but the expected one fired (in Prometheus or at a receiver) since the fault."""
        fault_at = self._fault_at()
        window = max(1, int(time.time() - fault_at) + 2)
        seen: set[str] = set()
        for sample in self.prometheus.query(f'max_over_time(ALERTS{{alertstate="firing"}}[{window}s])'):
            name = sample.labels.get("alertname", "")
            if not (name == self.alert and all(sample.labels.get(k) == v for k, v in self.match.items())):
                seen.add(self._describe(name, sample.labels))
        for n in self.stack.recorder.notifications(fault_at):
            if n.status == "firing" and not self._is_target(n):
                seen.add(self._describe(n.alertname, n.labels))
        self.unexpected = sorted(seen)
        if self.unexpected:
            raise DrillFailure(f"unexpected alerts fired during the drill: {', '.join(self.unexpected)}")

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _describe(name: str, labels: dict[str, str]) -> str:
        keep = {k: v for k, v in labels.items() if k in ("job", "instance", "severity")}
        return _selector(name, keep)

    def _alert(self) -> str:
        if self.alert is None:
            raise DrillFailure("no alert was awaited yet: a 'fires' step must come first")
        return self.alert

    def _fault_at(self) -> float:
        if self.timeline.fault_at is None:
            raise DrillFailure("no fault was injected yet: a 'When ... injects' step must come first")
        return self.timeline.fault_at

    def _matching(self, alert: str, match: dict[str, str]) -> list[Any]:
        return [
            a
            for a in self.prometheus.alerts()
            if a.name == alert and all(a.labels.get(k) == v for k, v in match.items())
        ]

    def _active_at(self, alert: str, match: dict[str, str]) -> float | None:
        try:
            found = [a.active_at for a in self._matching(alert, match) if a.active_at]
        except Exception as exc:  # an observation gap, not a verdict
            log.debug("could not read activeAt: %s", exc)
            return None
        return min(found) if found else None

    def _last_state(self, alert: str, match: dict[str, str]) -> str:
        try:
            found = self._matching(alert, match)
        except Exception as exc:
            return f"Prometheus state unknown ({exc})"
        if not found:
            return "Prometheus shows it inactive"
        a = found[0]
        since = f" since {time.time() - a.active_at:.1f}s" if a.active_at else ""
        return f"last state in Prometheus '{a.state}'{since}"

    def _progress(self, what: str, start: float, bound: float, phase: str = "fire") -> None:
        log.info(
            "… %s (%s): %s; %.1fs of %.1fs bound",
            what,
            phase,
            self._last_state(*self._split(what)),
            time.time() - start,
            bound,
        )

    def _split(self, what: str) -> tuple[str, dict[str, str]]:
        return self._alert(), self.match
