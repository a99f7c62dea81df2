"""One drill: inject a scenario's fault, watch the alerts travel, roll back, watch them clear.

Steps call these methods; each either records an observation on the timeline or raises
`DrillFailure` with what was expected, what was seen, where and for how long.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from alertdrill.bounds import SOP_RECOVERY_S, FireBound, RecoveryBound, fire_bound, recovery_bound
from alertdrill.errors import ConfigError, DrillFailure
from alertdrill.faults.actions import FaultSession, active_session
from alertdrill.faults.ledger import FaultLedger
from alertdrill.faults.scenario import Scenario, find_scenario
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.observe.alerts import POLL_S, AlertHistory, AlertWatch, describe, matches, selector
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.observe.recorder import Notification
from alertdrill.observe.timeline import Timeline
from alertdrill.rules import routing
from alertdrill.rules.ruleset import has_range_window
from alertdrill.slo.hypothesis import ProbeSession, rule_window_s, run_hypothesis
from alertdrill.slo.probe import Measurement
from alertdrill.stack.base import Stack

log = logging.getLogger(__name__)
#: FiredAt has millisecond resolution; compare `for` holds with this tolerance.
CLOCK_EPSILON_S = 0.002
T = TypeVar("T")


@dataclass
class Expected:
    labels: dict[str, str] = field(default_factory=dict)
    receivers: list[str] = field(default_factory=list)
    for_s: float | None = None
    fire_bound: FireBound | None = None
    recovery_bound: RecoveryBound | None = None
    alerts: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # every alert allowed to fire


class Drill:
    """The state of one drill, built up by its steps; closed by `finish()`."""

    def __init__(self, stack: Stack, scenarios_dir: Path, run_dir: Path, history: AlertHistory) -> None:
        self.stack = stack
        self.scenarios_dir = scenarios_dir
        self.ledger = FaultLedger(run_dir / "faults")
        self.timeline = Timeline()
        self.expected = Expected()
        self.alert: str | None = None
        self.match: dict[str, str] = {}
        self.scenario: Scenario | None = None
        self.ramp_s = 0.0
        self.unexpected: list[str] = []
        self.slos: list[Measurement] = []  # steady-state SLOs before the fault and after rollback
        self.slo_return_s: float | None = None  # rollback -> every steady-state SLO met again
        self.load_summary: dict[str, float] | None = None  # the SLO load generator's own figures
        self.load_window: Any = None  # alertdrill.slo.under_load.LoadWindow, set by a load step
        self.history = history
        self.planned: list[tuple[str, dict[str, str]]] | None = None
        self.prometheus = PrometheusClient(stack.prometheus_url)
        self.alertmanager = AlertmanagerClient(stack.alertmanager_url)
        self.watch = AlertWatch(self.prometheus, self.alertmanager, stack.recorder)

    # -- Given / When / teardown -----------------------------------------------------------
    def plan(self, alerts: list[tuple[str, dict[str, str]]]) -> None:
        """The alerts this drill's steps will expect, known before it starts (for isolation)."""
        self.planned = alerts

    def prepare(self) -> None:
        """A healthy stack whose alerting state cannot shortcut this drill's timing."""
        self.stack.isolate(reset_rules=self.history.collides(self.planned))

    def inject(self, scenario_name: str) -> None:
        """Run the scenario's method. The fault counts from when its last action started."""
        self.scenario = find_scenario(self.scenarios_dir, scenario_name)
        window = rule_window_s(self.stack.timing.time_scale, self.stack.timing.scrape_interval_s)
        before = self._hypothesis("before fault", timeout_s=3 * window + 10)
        if before is not None and not all(m.met for m in before.measurements):
            raise DrillFailure(
                "steady state not met before the fault (the system was not at its SLOs to begin with): "
                + "; ".join(m.describe() for m in before.measurements if not m.met)
            )
        with active_session(FaultSession(self.stack.faults(), self.ledger)):
            outputs = self.scenario.inject()
        done = [o for o in outputs if isinstance(o, dict) and "injected_at" in o]
        now = time.time()
        self.timeline.fault_at = max((o["started_at"] for o in done), default=now)
        self.ramp_s = max((o["injected_at"] for o in done), default=now) - self.timeline.fault_at

    def roll_back(self) -> None:
        self.timeline.rollback_at = time.time()
        assert self.scenario is not None, "no scenario was injected"
        with active_session(FaultSession(self.stack.faults(), self.ledger)):
            self.scenario.roll_back()
        self.ledger.revert_all()  # anything the scenario's rollbacks did not cover

    def _hypothesis(self, phase: str, timeout_s: float) -> ProbeSession | None:
        """The scenario's steady-state hypothesis (SOP-004's SLOs), if it has one."""
        if self.scenario is None or not self.scenario.hypothesis or not self.stack.monitoring.slos:
            return None
        session = run_hypothesis(
            self.scenario.hypothesis, self.prometheus, self.stack.monitoring.slos, phase, timeout_s
        )
        self.slos.extend(session.measurements)
        return session

    def assert_returned_to_slos(self) -> None:
        """After rollback and recovery: the system is back at its SLOs within one SOP recovery plus
        two SLI windows (a fault lingers in the 5-minute windows for one window after it ends)."""
        window = rule_window_s(self.stack.timing.time_scale, self.stack.timing.scrape_interval_s)
        timeout = SOP_RECOVERY_S / self.stack.timing.time_scale + 2 * window + self.stack.settings.slack_s
        after = self._hypothesis("after rollback", timeout_s=timeout)
        if after is None:
            return
        missed = [m.describe() for m in after.measurements if not m.met]
        if missed:
            raise DrillFailure(f"did not return to its SLOs within {timeout:.1f}s of recovery: " + "; ".join(missed))
        if self.timeline.rollback_at is not None:
            self.slo_return_s = round(time.time() - self.timeline.rollback_at, 3)

    def finish(self) -> None:
        """Revert what is still injected, note what fired, close clients (teardown)."""
        try:
            self.ledger.revert_all()
        finally:
            if self.timeline.fault_at is not None:
                try:
                    self.history.fired.extend(self.watch.firing_since(self.timeline.fault_at))
                except Exception as exc:  # cleanup boundary: the next drill then resets to be safe
                    log.warning("could not record the alerts of this drill: %s", exc)
                    self.history.fired.append(("*", {}))

            self.prometheus.close()
            self.alertmanager.close()

    # -- bounds ----------------------------------------------------------------------------
    def _routes(self, alert: str, match: dict[str, str]) -> list[routing.RouteMatch]:
        rule = self.stack.monitoring.rule(alert)
        labels = {**rule.labels, **match, "alertname": alert}
        return self.stack.monitoring.routes_for(labels, self.stack.timing.time_scale)

    def _fire_bound(self, alert: str, for_production_s: float, group_wait_s: float) -> FireBound:
        hangs = self.scenario is not None and any(s.func.__name__ == "freeze_workload" for s in self.scenario.method)
        windowed = has_range_window(self.stack.monitoring.rule(alert).expr)
        return fire_bound(
            for_production_s / self.stack.timing.time_scale,
            self.stack.timing,
            group_wait_s,
            self.stack.settings.slack_s,
            target_hangs=hangs,
            windowed=windowed,
            ramp_s=self.ramp_s,
        )

    # -- Then: the primary alert is paged ----------------------------------------------------
    def _is_target(self, n: Notification) -> bool:
        return self.alert is not None and n.matches(self.alert, self.match)

    def _expect(self, alert: str, match: dict[str, str], for_production_s: float, primary: bool) -> None:
        self.stack.monitoring.rule(alert)  # an unknown alert is a located setup error
        if primary:
            self.alert, self.match = alert, dict(match)
            self.expected.for_s = for_production_s / self.stack.timing.time_scale
        self.expected.alerts.append((alert, dict(match)))

    def wait_for_firing(self, alert: str, match: dict[str, str], for_production_s: float) -> None:
        """Wait for the first firing notification; check it did not come before `for`."""
        self._expect(alert, match, for_production_s, primary=True)
        fault_at = self._fault_at()
        bound = self._fire_bound(alert, for_production_s, min(r.group_wait_s for r in self._routes(alert, match)))
        self.expected.fire_bound = bound
        what = selector(alert, match)
        log.info("waiting for %s to page: bound %s", what, bound.explain())
        arrived = self.stack.recorder.wait_for(
            lambda ns: any(n.status == "firing" and self._is_target(n) for n in ns),
            timeout=max(0.0, fault_at + bound.total - time.time()),
            since=fault_at,
            on_tick=lambda _: self._progress(fault_at, bound.total, "fire"),
        )
        if not arrived:
            raise DrillFailure(
                f"alert {what} was not notified within {bound.total:.2f}s of the fault; {self._last_state()}; "
                f"bound: {bound.explain()} (rule for={for_production_s:g}s at time scale "
                f"{self.stack.timing.time_scale:g})"
            )
        first = min(
            (n for n in self.stack.recorder.notifications(fault_at) if n.status == "firing" and self._is_target(n)),
            key=lambda n: n.arrived_at,
        )
        self.timeline.notified_at = first.arrived_at
        self.timeline.firing_at = first.starts_at
        self.timeline.labels = first.labels
        self.timeline.pending_at = self.watch.active_at(alert, match)
        self._assert_held_for(what, self.expected.for_s or 0.0)

    def _assert_held_for(self, what: str, for_s: float) -> None:
        t = self.timeline
        if t.firing_at and t.pending_at and t.firing_at - t.pending_at < for_s - CLOCK_EPSILON_S:
            raise DrillFailure(
                f"alert {what} fired {t.firing_at - t.pending_at:.3f}s after it became pending, "
                f"before its for of {for_s:g}s"
            )
        first_seen = t.notified_at or t.firing_at
        if first_seen and t.fault_at and first_seen - t.fault_at < for_s - CLOCK_EPSILON_S:
            raise DrillFailure(
                f"alert {what} fired {first_seen - t.fault_at:.3f}s after the fault, earlier than its for of {for_s:g}s"
            )

    def assert_labels(self, expected: dict[str, str]) -> None:
        self.expected.labels.update(expected)
        seen = {k: self.timeline.labels.get(k) for k in expected}
        if seen != expected:
            raise DrillFailure(
                f"alert {selector(self._alert(), self.match)} carries {seen}, expected {expected} "
                f"(all labels: {self.timeline.labels})"
            )

    def _known_receivers(self, expected: list[str]) -> None:
        defined = routing.receiver_names(self.stack.monitoring.alertmanager)
        unknown = [r for r in expected if r not in defined]
        if unknown:
            raise ConfigError(
                f"unknown receiver(s) {unknown} in the step: {self.stack.monitoring.alertmanager_path} "
                f"defines {', '.join(defined)}"
            )

    def assert_receivers(self, expected: list[str]) -> None:
        """Every expected receiver notified within its bound, and no other receiver routed to."""
        self._known_receivers(expected)
        alert, fault_at = self._alert(), self._fault_at()
        self.expected.receivers = sorted(expected)
        bound = self.expected.fire_bound
        assert bound is not None
        slowest = max(r.group_wait_s for r in self._routes(alert, self.match))
        deadline = fault_at + bound.total + slowest - bound.group_wait_s

        def receivers(ns: list[Notification]) -> set[str]:
            return {n.receiver for n in ns if n.status == "firing" and self._is_target(n)}

        self.stack.recorder.wait_for(
            lambda ns: set(expected) <= receivers(ns),
            timeout=max(0.0, deadline - time.time()),
            since=fault_at,
        )
        notified = receivers(self.stack.recorder.notifications(fault_at))
        routed = self.watch.routed(self._alert(), self.match)
        self.timeline.receivers = sorted(notified | routed)
        if notified != set(expected) or (routed and routed != set(expected)):
            raise DrillFailure(
                f"alert {selector(alert, self.match)} went to {sorted(notified) or 'nobody'} (Alertmanager routes "
                f"it to {sorted(routed) or 'nobody'}), expected exactly {sorted(expected)}; check the routes in "
                f"{self.stack.monitoring.alertmanager_path}"
            )

    def assert_paged_after_deferral(self, hours: float) -> None:
        """The page came no earlier than the route's deferral (`group_wait`) after firing."""
        defer = hours * 3600 / self.stack.timing.time_scale
        t = self.timeline
        if t.notified_at is None or t.firing_at is None:
            raise DrillFailure("no page was observed; a 'fires' step must come first")
        if t.notified_at - t.firing_at < defer - CLOCK_EPSILON_S:
            raise DrillFailure(
                f"alert {selector(self._alert(), self.match)} paged {t.notified_at - t.firing_at:.2f}s "
                f"after firing, before its {hours:g} h deferral ({defer:g}s scaled)"
            )

    # -- Then: deferred (P2) alerts: firing in Prometheus, held back by Alertmanager -----------
    def wait_for_firing_deferred(self, alert: str, match: dict[str, str], for_production_s: float) -> None:
        """Firing in Prometheus and held by Alertmanager within the bound (its deferral excluded)."""
        self._expect(alert, match, for_production_s, primary=True)
        fault_at = self._fault_at()
        bound = self._fire_bound(alert, for_production_s, group_wait_s=0.0)
        self.expected.fire_bound = bound
        found = self._poll_bound(
            lambda: [a for a in self.alertmanager.alerts() if matches(a.name, a.labels, alert, match) and a.starts_at],
            fault_at,
            bound,
        )
        if not found:
            raise DrillFailure(
                f"alert {selector(alert, match)} did not fire within {bound.total:.2f}s of the fault; "
                f"{self._last_state()}; bound: {bound.explain()}"
            )
        self.timeline.firing_at = min(a.starts_at for a in found if a.starts_at)
        self.timeline.labels = found[0].labels
        self.timeline.pending_at = self.watch.active_at(alert, match)
        self._assert_held_for(selector(alert, match), self.expected.for_s or 0.0)

    def assert_held_back(self, expected: list[str], hours: float) -> None:
        """Routed to exactly `expected`, whose route defers the page by `hours`; nobody paged yet."""
        self._known_receivers(expected)
        alert = self._alert()
        self.expected.receivers = sorted(expected)
        routed = self.watch.routed(self._alert(), self.match)
        self.timeline.receivers = sorted(routed)
        if routed != set(expected):
            raise DrillFailure(
                f"alert {selector(alert, self.match)} is routed to {sorted(routed) or 'nobody'}, "
                f"expected exactly {sorted(expected)}; check {self.stack.monitoring.alertmanager_path}"
            )
        defer = hours * 3600 / self.stack.timing.time_scale
        waits = {r.receiver: r.group_wait_s for r in self._routes(alert, self.match)}
        short = {r: w for r, w in waits.items() if w < defer - CLOCK_EPSILON_S}
        if short:
            raise DrillFailure(
                f"alert {selector(alert, self.match)}: route group_wait {short} (scaled seconds) is "
                f"shorter than the {hours:g} h deferral ({defer:g}s scaled)"
            )
        paged = [n for n in self.stack.recorder.notifications(self._fault_at()) if self._is_target(n)]
        if paged:
            raise DrillFailure(
                f"alert {selector(alert, self.match)} paged {paged[0].receiver} already, "
                f"{paged[0].arrived_at - self._fault_at():.2f}s after the fault, before its deferral"
            )

    def wait_for_resolved_quietly(self, sop_recovery_production_s: float = SOP_RECOVERY_S) -> None:
        """Roll back; the alert clears within the recovery bound and nobody was ever paged."""
        alert = self._alert()
        self.roll_back()
        start = self.timeline.rollback_at
        assert start is not None
        bound = recovery_bound(sop_recovery_production_s, self.stack.timing, 0.0, self.stack.settings.slack_s)
        self.expected.recovery_bound = bound

        deadline = start + bound.total
        while self.watch.active(alert, self.match):
            if time.time() > deadline:
                raise DrillFailure(
                    f"alert {selector(alert, self.match)} still active {bound.total:.2f}s after the "
                    f"rollback; {self._last_state()}; bound: {bound.explain()}"
                )
            time.sleep(POLL_S)
        self.timeline.resolved_at = time.time()
        paged = [n for n in self.stack.recorder.notifications(self._fault_at()) if self._is_target(n)]
        if paged:
            raise DrillFailure(
                f"alert {selector(alert, self.match)} paged {paged[0].receiver} although it cleared within its deferral"
            )
        self.assert_returned_to_slos()

    # -- Then: the other alerts of the fault -------------------------------------------------
    def wait_for_also_firing(self, alert: str, match: dict[str, str], for_production_s: float) -> None:
        """Another alert this fault must fire (in Prometheus, within its own bound)."""
        self._expect(alert, match, for_production_s, primary=False)
        fault_at = self._fault_at()
        bound = self._fire_bound(alert, for_production_s, group_wait_s=0.0)
        found = self._poll_bound(
            lambda: [
                a for a in self.prometheus.alerts() if matches(a.name, a.labels, alert, match) and a.state == "firing"
            ],
            fault_at,
            bound,
        )
        if not found:
            raise DrillFailure(
                f"alert {selector(alert, match)} did not also fire within {bound.total:.2f}s of the "
                f"fault; bound: {bound.explain()}"
            )

    def assert_stays_quiet(self, alert: str, for_production_s: float) -> None:
        """Below the threshold: wait out the whole bound, then check it never fired."""
        self.stack.monitoring.rule(alert)
        self.alert = alert
        fault_at = self._fault_at()
        bound = self._fire_bound(alert, for_production_s, group_wait_s=0.0)
        self.expected.fire_bound = bound
        log.info("checking that %s stays quiet for its bound: %s", alert, bound.explain())
        time.sleep(max(0.0, fault_at + bound.total - time.time()))
        fired = self.watch.fired_since(fault_at, alert)
        if fired:
            raise DrillFailure(f"alert {alert} fired below its threshold: {', '.join(sorted(fired))}")

    def assert_not_fired(self, alert: str) -> None:
        fired = self.watch.fired_since(self._fault_at(), alert)
        if fired:
            raise DrillFailure(f"alert {alert} fired during the drill: {', '.join(sorted(fired))}")

    def assert_reached(self, expr: str, at_least: float | None = None, at_most: float | None = None) -> float:
        """The fault really moved the metric: `expr` reached the value at some point since the fault."""
        window_ms = max(1000, int((time.time() - self._fault_at()) * 1000))
        fn = "max_over_time" if at_least is not None else "min_over_time"
        samples = self.prometheus.query(f"{fn}(({expr})[{window_ms}ms:1s])")
        values = [s.value for s in samples]
        seen = (max(values) if at_least is not None else min(values)) if values else None
        ok = seen is not None and (seen >= at_least if at_least is not None else seen <= (at_most or 0))
        if not ok:
            want = f">= {at_least:g}" if at_least is not None else f"<= {at_most:g}"
            raise DrillFailure(
                f"Prometheus never saw {expr} {want} since the fault (extreme: {seen}); the fault "
                "did not take the system where the drill needs it"
            )
        assert seen is not None
        return seen

    def assert_no_unexpected_alerts(self) -> None:
        """No alert outside the expected set fired (in Prometheus or at a receiver) since the fault."""
        fault_at = self._fault_at()
        seen = {
            describe(name, labels)
            for name, labels in self.watch.firing_since(fault_at)
            if not any(matches(name, labels, a, m) for a, m in self.expected.alerts)
        }
        self.unexpected = sorted(seen)
        if self.unexpected:
            raise DrillFailure(
                f"unexpected alerts fired during the drill: {', '.join(self.unexpected)} "
                f"(expected only {[selector(a, m) for a, m in self.expected.alerts]})"
            )

    # -- Then: recovery --------------------------------------------------------------------
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
        what = selector(alert, self.match)

        def resolved(ns: list[Notification]) -> set[str]:
            return {n.receiver for n in ns if n.status == "resolved" and self._is_target(n)}

        ok = self.stack.recorder.wait_for(
            lambda ns: bool(want) and want <= resolved(ns),
            timeout=bound.total,
            since=rollback_at,
            on_tick=lambda _: self._progress(rollback_at, bound.total, "resolve"),
        )
        got = [
            n for n in self.stack.recorder.notifications(rollback_at) if n.status == "resolved" and self._is_target(n)
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
                f"alert {what}: resolved notification to {sorted(want - resolved(got))} did not arrive "
                f"within {bound.total:.2f}s of the rollback; {self._last_state()}; "
                f"bound: {bound.explain()}"
            )
        self.assert_returned_to_slos()

    # -- helpers ---------------------------------------------------------------------------
    def _alert(self) -> str:
        if self.alert is None:
            raise DrillFailure("no alert was awaited yet: a 'fires' step must come first")
        return self.alert

    def _fault_at(self) -> float:
        if self.timeline.fault_at is None:
            raise DrillFailure("no fault was injected yet: a 'When ... injects' step must come first")
        return self.timeline.fault_at

    def _last_state(self) -> str:
        return self.watch.last_state(self._alert(), self.match)

    def _poll_bound(self, probe: Callable[[], list[T]], start: float, bound: FireBound) -> list[T]:
        return self.watch.poll(probe, start + bound.total, lambda: self._progress(start, bound.total, "fire"))

    def _progress(self, start: float, bound: float, phase: str) -> None:
        log.info(
            "… %s (%s): %s; %.1fs of %.1fs bound",
            selector(self._alert(), self.match),
            phase,
            self._last_state(),
            time.time() - start,
            bound,
        )
