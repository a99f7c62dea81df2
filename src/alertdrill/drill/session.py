"""One drill's lifetime: isolation from the drills before it, the scenario's fault and rollback
(with its steady-state hypothesis around them), and the evidence the report is made from.

Steps call the small units of alertdrill.drill (paging, recovery, quiet) with this session; each
either records an observation or raises `DrillFailure` with what was expected, what was seen,
where and for how long.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from alertdrill.config.pipeline import PipelinePolicy
from alertdrill.drill.acknowledge import Acknowledgement
from alertdrill.drill.bounds import SOP_RECOVERY_S, FireBound
from alertdrill.drill.expectations import Expectations, FaultWindow
from alertdrill.drill.outages import Outage, OutageTerm, RouteTimers, latest_term
from alertdrill.drill.record import Evidence
from alertdrill.drill.watch import AlertHistory, AlertWatch
from alertdrill.errors import ConfigError, DrillFailure, Inconclusive, ObserveError
from alertdrill.faults.injection import ALERTMANAGER
from alertdrill.faults.ledger import FaultLedger
from alertdrill.faults.pipeline import PIPELINE_FAULTS
from alertdrill.faults.scenario import Scenario, find_scenario
from alertdrill.faults.session import SESSION, FaultSession
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.observe.timeline import Timeline
from alertdrill.slo.hypothesis import PROBES, ProbeSession, rule_window_s, run_hypothesis
from alertdrill.stack.base import Stack

log = logging.getLogger(__name__)
#: SOP-004 "System Recovery Time: < 5 minutes" (production seconds).
#: The steady state before a fault is measured over three SLI windows, plus this much start-up.
HYPOTHESIS_SETTLE_S = 10.0


@dataclass(frozen=True)
class Rollback:
    started_at: float
    finished_at: float

    @property
    def duration_s(self) -> float:
        return self.finished_at - self.started_at


class DrillSession:
    """The state of one drill that outlives a step: its stack, fault ledger, clients and evidence."""

    def __init__(self, stack: Stack, scenarios_dir: Path, history: AlertHistory, expect: Expectations) -> None:
        self.stack = stack
        self.scenarios_dir = scenarios_dir
        self.history = history
        self.expect = expect
        self.ledger = FaultLedger(stack.run_dir / "faults")
        self.evidence = Evidence()
        self.scenario: Scenario | None = None
        self.prometheus = PrometheusClient(stack.prometheus_url)
        self.alertmanager = AlertmanagerClient(stack.alertmanager_url)
        self.watch = AlertWatch(self.prometheus, self.alertmanager, stack.recorder)
        #: Acknowledgements (silences) this drill made: always expired when it ends.
        self.silences: list[str] = []
        self.acknowledge_with = "silence-api"
        self.acknowledgement: Acknowledgement | None = None
        #: Pipeline faults this drill struck, with their scenarios (rolled back with the drill's).
        self.outages: list[Outage] = []
        self._pipeline_scenarios: list[Scenario] = []

    @property
    def pipeline_policy(self) -> PipelinePolicy:
        return self.stack.monitoring.pipeline

    @property
    def timeline(self) -> Timeline:
        return self.evidence.timeline

    def prepare(self) -> None:
        """A healthy stack whose alerting state cannot shortcut this drill's timing."""
        started = time.time()
        if self.stack.isolate(reset_rules=self.history.collides(self.expect.group_keys())):
            # a fresh alerting state: the history starts again, with whatever fired while it was reset
            firing = self.stack.monitoring.always_firing
            fired = [(name, labels) for name, labels in self.watch.firing_since(started) if name not in firing]
            self.history.fired[:] = fired

    def inject(self, scenario_name: str) -> FaultWindow:
        """Check the steady state, then run the scenario's method; the fault counts from when its
        last action started."""
        self.scenario = find_scenario(self.scenarios_dir, scenario_name, PROBES)
        window = rule_window_s(self.stack.timing.time_scale, self.stack.timing.scrape_interval_s)
        before = self._hypothesis("before fault", timeout_s=3 * window + HYPOTHESIS_SETTLE_S)
        measured = before.measurements if before else []
        unmeasured = [m.describe() for m in measured if m.value is None and self._no_sli(m.slo)]
        if unmeasured:  # an SLI that was never recorded is the monitoring's failure, not the system's
            raise DrillFailure(
                "steady state not met before the fault: the monitoring cannot measure its SLOs: "
                + "; ".join(unmeasured)
            )
        if before is not None and not all(m.met for m in before.measurements):
            raise Inconclusive(
                "steady state not met before the fault (the system was not at its SLOs to begin with), so no "
                "verdict on the alert: " + "; ".join(m.describe() for m in before.measurements if not m.met)
            )
        first = len(self.ledger.applied)
        with SESSION.active(self._fault_session()):
            self.scenario.inject()
        applied = self.ledger.applied[first:]
        now = time.time()
        fault_at = max((a.started_at for a in applied), default=now)
        fault = FaultWindow(
            scenario=scenario_name,
            fault_at=fault_at,
            ramp_s=max((a.injected_at for a in applied), default=now) - fault_at,
            hangs_target=any(a.hangs_target for a in applied),
            leaves_discovery=any(a.leaves_discovery for a in applied),
            adds_target=any(a.adds_target for a in applied),
        )
        self.timeline.fault_at = fault.fault_at
        return fault

    def _no_sli(self, slo_name: str) -> bool:
        """The SLO's recorded series does not exist at all (a missing or broken recording rule), as
        opposed to a NaN from no traffic in the window, which is the system not being steady."""
        slo = next((s for s in self.stack.monitoring.slos if s.name == slo_name), None)
        series = [s for s in (slo.series, slo.numerator, slo.denominator) if s] if slo else []
        return any(not self.prometheus.query(f"count({s})") for s in series)

    def strike(self, scenario_name: str) -> list[Outage]:
        """A pipeline scenario, mid-drill: it breaks Prometheus, Alertmanager, the relay or the
        link (its subject, not the harness's trouble), for a while or until the rollback."""
        scenario = find_scenario(self.scenarios_dir, scenario_name, PROBES)
        if not any(step.func in PIPELINE_FAULTS for step in scenario.method):  # checked before it runs
            raise ConfigError(f"scenario {scenario_name!r} breaks no part of the alerting pipeline; use 'injects'")
        first = len(self.ledger.applied)
        with SESSION.active(self._fault_session()):
            outputs = scenario.inject()
        self._pipeline_scenarios.append(scenario)
        healed = {o["started_at"]: o.get("healed_at") for o in outputs if isinstance(o, dict) and "started_at" in o}
        struck = [
            Outage(scenario_name, a.pipeline, a.started_at, healed.get(a.started_at))
            for a in self.ledger.applied[first:]
            if a.pipeline
        ]
        self.outages += struck
        for outage in struck:
            log.info("pipeline fault: %s", outage.describe(self.timeline.fault_at or outage.struck_at))
        return struck

    def breaks(self, scenario_name: str) -> FaultWindow:
        """A drill whose only fault is a pipeline fault: it counts from when the part broke."""
        struck = self.strike(scenario_name)
        fault_at = min((o.struck_at for o in struck), default=time.time())
        if self.timeline.fault_at is None:
            self.timeline.fault_at = fault_at
        return FaultWindow(scenario=scenario_name, fault_at=fault_at, ramp_s=0.0, hangs_target=False)

    def outage_term(
        self, start: float, usual_deadline: float, route: RouteTimers, allowance_production_s: float
    ) -> OutageTerm | None:
        """The latest outage this drill caused that pushes a message due by `usual_deadline` out."""
        return latest_term(
            self.outages,
            start,
            usual_deadline,
            self.stack.timing,
            route,
            self.pipeline_policy.alertmanager_replicas,
            self.expect.slack_s,
            self.expect.scaled(allowance_production_s),
        )

    def outages_behind(self, start: float, deadline: float) -> str:
        """ "; lost to the pipeline fault: …" for each outage this drill caused that overlaps the
        window a message was due in (empty when none did: the config, not the fault, is to blame)."""
        return "".join(
            f"; lost to the pipeline fault: {o.describe(start)}" for o in self.outages if o.overlaps(start, deadline)
        )

    def extend_for_outages(self, bound: FireBound, fault: FaultWindow, route: RouteTimers) -> FireBound:
        """The page's bound, pushed out by the latest outage the drill caused that overlaps it."""
        allowance = self.pipeline_policy.page_delay_allowance_s
        term = self.outage_term(fault.fault_at, fault.fault_at + bound.total, route, allowance)
        if term is None:
            return bound
        extra = term.deadline - (fault.fault_at + bound.total)
        return replace(bound, outage_s=extra, outage_note=term.explain(fault.fault_at))

    def _fault_session(self) -> FaultSession:
        return FaultSession(self.stack.faults(), self.ledger, self.stack.timing.time_scale)

    def roll_back(self, remedy: Callable[[], None] | None = None) -> Rollback:
        """Run the scenario's rollbacks, then anything they did not cover; return when it began and
        when it was done (a node that must restart and turn Ready takes a while). `remedy`: what
        the team's runbook does to recover, run first (the scenario's own undo still runs after
        it, so nothing is left behind whatever the remedy did)."""
        rollback_at = time.time()
        self.timeline.rollback_at = rollback_at
        if self.scenario is None and not self._pipeline_scenarios:
            raise DrillFailure("no scenario was injected yet: a 'When ... injects' step must come first")
        if remedy is not None:
            remedy()  # a failed remedy fails the drill; finish() still reverts every fault
        with SESSION.active(self._fault_session()):
            if self.scenario is not None:
                self.scenario.roll_back()
            for scenario in reversed(self._pipeline_scenarios):
                scenario.roll_back()
        self.ledger.revert_all()
        done = time.time()
        self.outages = [replace(o, healed_at=done) if o.healed_at is None else o for o in self.outages]
        return Rollback(rollback_at, done)

    def _hypothesis(self, phase: str, timeout_s: float) -> ProbeSession | None:
        """The scenario's steady-state hypothesis (SOP-004's SLOs), if it has one."""
        if self.scenario is None or not self.scenario.hypothesis or not self.stack.monitoring.slos:
            return None
        session = run_hypothesis(
            self.scenario.hypothesis,
            self.prometheus,
            self.stack.monitoring.slos,
            phase,
            timeout_s,
            self.stack.timing.eval_interval_s,
        )
        self.evidence.slos.extend(session.measurements)
        return session

    def assert_returned_to_slos(self) -> None:
        """After rollback and recovery: the system is back at its SLOs within one SOP recovery plus
        two SLI windows (a fault lingers in the 5-minute windows for one window after it ends)."""
        timing = self.stack.timing
        window = rule_window_s(timing.time_scale, timing.scrape_interval_s)
        timeout = SOP_RECOVERY_S / timing.time_scale + 2 * window + self.expect.slack_s
        after = self._hypothesis("after rollback", timeout_s=timeout)
        if after is None:
            return
        missed = [m.describe() for m in after.measurements if not m.met]
        if missed:
            raise DrillFailure(f"did not return to its SLOs within {timeout:.1f}s of recovery: " + "; ".join(missed))
        if self.timeline.rollback_at is not None:
            self.evidence.slo_return_s = round(time.time() - self.timeline.rollback_at, 3)

    def _expire_silences(self) -> None:
        for silence in self.silences:
            try:
                self.alertmanager.expire_silence(silence)
            except ObserveError as exc:  # the next drill's isolation must not inherit it: say so loudly
                if any(o.component == ALERTMANAGER for o in self.outages):
                    log.warning("acknowledgement silence %s is gone (the drill killed Alertmanager): %s", silence, exc)
                else:
                    log.error("could not expire acknowledgement silence %s: %s", silence, exc)
        self.silences.clear()

    def _note_messages(self) -> None:
        """Every message about an alert this drill expects, for the report's timeline."""
        if self.timeline.fault_at is None:
            return
        for n in self.stack.recorder.notifications(self.timeline.fault_at):
            if not any(n.matches(e.alert, e.match) for e in self.expect.planned) or n.message is None:
                continue
            entry = {**n.message.summary(), "alert": n.alertname or "?", "status": n.status}
            entry["at_s"] = round(n.arrived_at - self.timeline.fault_at, 3)
            entry.pop("arrived_at", None)
            if entry not in self.evidence.messages:
                self.evidence.messages.append(entry)

    def finish(self) -> None:
        """Revert what is still injected, expire acknowledgements, note what fired and what people
        were sent, close clients (teardown)."""
        try:
            self.ledger.revert_all()
        finally:
            origin = self.timeline.fault_at or time.time()
            self.evidence.pipeline = [o.as_evidence(origin) for o in self.outages]
            self._expire_silences()
            self._note_messages()
            if self.timeline.fault_at is not None:
                try:
                    self.history.fired.extend(self.watch.firing_since(self.timeline.fault_at))
                except ObserveError as exc:  # cleanup boundary: the next drill then resets to be safe
                    log.warning("could not record the alerts of this drill: %s", exc)
                    self.history.fired.append(("*", {}))
            self.prometheus.close()
            self.alertmanager.close()
