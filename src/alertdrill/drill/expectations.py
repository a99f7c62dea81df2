"""What a drill expects, known before it starts, and the bounds derived from the config under test.

Why up front: the feature (the SOP) states every alert the fault must fire; the plugin reads them
from the scenario's steps through alertdrill.grammar before the first step runs. So the
"no other alert fired" check, isolation between drills and the bounds never depend on which
earlier step happened to run.
"""

from __future__ import annotations

from dataclasses import dataclass

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.config.routing import RouteMatch, receiver_names
from alertdrill.config.ruleset import AlertRule, has_range_window
from alertdrill.config.timescale import ScaleNote, scale_expr
from alertdrill.drill.bounds import FireBound, RecoveryBound, fire_bound, recovery_bound
from alertdrill.drill.watch import GroupKey
from alertdrill.errors import ConfigError
from alertdrill.grammar import ExpectedAlert
from alertdrill.observe.alerts import matches, selector
from alertdrill.stack.base import MIN_RANGE_SCRAPES, Timing

#: FiredAt has millisecond resolution; compare `for` holds with this tolerance.
CLOCK_EPSILON_S = 0.002


@dataclass(frozen=True)
class FaultWindow:
    """The fault as the bounds see it: when it started counting, its ramp, how it fails targets."""

    scenario: str
    fault_at: float  # when the last action started (Unix seconds)
    ramp_s: float  # how long that action took to be in place
    hangs_target: bool  # a scrape target hangs instead of refusing: add the scrape timeout
    leaves_discovery: bool = False  # its targets left service discovery: add how long that takes
    adds_target: bool = False  # a new pod's target must be discovered and scraped first


class Expectations:
    """The scenario's expected alerts, and bounds from the config, its timing and the slack."""

    def __init__(
        self,
        monitoring: MonitoringConfig,
        timing: Timing,
        slack_s: float,
        planned: list[ExpectedAlert],
        breaks_pipeline: bool = False,
    ) -> None:
        self.monitoring = monitoring
        self.timing = timing
        self.slack_s = slack_s
        self.planned = planned
        #: The drill breaks the pipeline on purpose: the team's alerts about it may fire.
        self.breaks_pipeline = breaks_pipeline

    def group_keys(self) -> list[GroupKey]:
        """How Alertmanager will group each expected alert (for isolation from earlier drills)."""
        keys = []
        for e in self.planned:
            known = {**self.rule(e.alert).labels, **e.match, "alertname": e.alert}
            group_by = {g for route in self.routes(e.alert, e.match) for g in route.group_by}
            keys.append((known, tuple(sorted(group_by))))
        return keys

    def allows(self, name: str, labels: dict[str, str]) -> bool:
        """Whether an alert that fired is one this scenario expects: planned, the team's heartbeat
        (always firing), or one of its alerts about the pipeline in a drill that breaks it."""
        meta = self.monitoring.meta
        if meta is not None and meta.heartbeat is not None and name == meta.heartbeat.alert:
            return True
        if meta is not None and self.breaks_pipeline and name in meta.names:
            return True
        return any(matches(name, labels, e.alert, e.match) for e in self.planned)

    def describe_allowed(self) -> list[str]:
        return [selector(e.alert, e.match) for e in self.planned]

    def rule(self, alert: str) -> AlertRule:
        """The alert's rule; an unknown alert is a ConfigError (the step names it, exit 2)."""
        return self.monitoring.rule(alert)

    def scaled(self, production_s: float) -> float:
        return production_s / self.timing.time_scale

    def scaled_expr(self, expr: str) -> str:
        """A feature's PromQL with its range windows scaled as the rules' are on this stack."""
        notes: list[ScaleNote] = []
        min_range = MIN_RANGE_SCRAPES * self.timing.scrape_interval_s
        return scale_expr(expr, self.timing.time_scale, min_range, "the step's expression", notes)

    def routes(self, alert: str, match: dict[str, str]) -> list[RouteMatch]:
        """The routes the alert takes, with timers as the scaled stack runs them."""
        labels = {**self.rule(alert).labels, **match, "alertname": alert}
        return self.monitoring.routes_for(labels, self.timing.time_scale)

    def fire_bound(self, alert: str, for_production_s: float, group_wait_s: float, fault: FaultWindow) -> FireBound:
        return fire_bound(
            self.scaled(for_production_s),
            self.timing,
            group_wait_s,
            self.slack_s,
            target_hangs=fault.hangs_target,
            leaves_discovery=fault.leaves_discovery,
            adds_target=fault.adds_target,
            windowed=has_range_window(self.rule(alert).expr),
            ramp_s=fault.ramp_s,
        )

    def recovery_bound(
        self, sop_recovery_production_s: float, group_interval_s: float, rollback_s: float = 0.0
    ) -> RecoveryBound:
        return recovery_bound(sop_recovery_production_s, self.timing, group_interval_s, self.slack_s, rollback_s)

    def check_receivers(self, expected: list[str]) -> None:
        """Receivers named by a step must exist in the config (a typo is bad input, exit 2)."""
        defined = receiver_names(self.monitoring.alertmanager)
        unknown = [r for r in expected if r not in defined]
        if unknown:
            raise ConfigError(
                f"unknown receiver(s) {unknown} in the step: {self.monitoring.alertmanager_path} "
                f"defines {', '.join(defined)}"
            )
