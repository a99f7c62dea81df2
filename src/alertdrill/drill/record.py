"""A drill's evidence while it runs, and the frozen record the reports are built from.

The units of a drill (paging, recovery, quiet checks, SLOs) write what they expected and saw into
`Evidence` as they go; no step reads it back to decide anything. At teardown it becomes a
`DrillRecord`, the one thing alertdrill.report consumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from alertdrill.drill.bounds import FireBound, RecoveryBound
from alertdrill.observe.timeline import Timeline
from alertdrill.slo.probe import Measurement

#: "interrupted": Ctrl-C or SIGTERM arrived while the drill ran (its fault was still rolled back).
#: failed: the monitoring did something wrong; error: the drill could not be carried out;
#: inconclusive: the system was not in its steady state before the fault (drill/outcome.py).
#: The chain every page takes, in order (drill/chain.py follows it; the report draws it).
CHAIN_LINKS = ("expression", "for", "Alertmanager", "not suppressed", "routed", "integration", "delivered")
Outcome = Literal["passed", "failed", "skipped", "error", "inconclusive", "interrupted"]


@dataclass
class Evidence:
    """What one drill expected and observed so far (mutable while it runs)."""

    timeline: Timeline = field(default_factory=Timeline)
    alert: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    receivers: list[str] = field(default_factory=list)
    for_s: float | None = None
    fire_bound: FireBound | None = None
    recovery_bound: RecoveryBound | None = None
    unexpected: list[str] = field(default_factory=list)
    slos: list[Measurement] = field(default_factory=list)  # steady state before/after, or under load
    slo_return_s: float | None = None  # rollback -> every steady-state SLO met again
    load: dict[str, float] | None = None  # the SLO load generator's own summary
    #: Every message about the drill's alerts, as people got it (recipients, subject, arrival).
    messages: list[dict[str, object]] = field(default_factory=list)
    #: SOP-004 escalation steps: address, delay, bound and arrival (seconds after firing).
    escalations: list[dict[str, object]] = field(default_factory=list)
    acknowledged_at: float | None = None
    #: Pipeline faults the drill struck (component, down and back since the fault) and what they
    #: cost: duplicate pages by address.
    pipeline: list[dict[str, object]] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)
    #: When alerting itself broke: who was told, how, when and within what bound (issue 26).
    told: list[dict[str, object]] = field(default_factory=list)
    #: Each expectation about an alert that did not hold, followed down its chain (drill/chain.py).
    chains: list[dict[str, object]] = field(default_factory=list)
    #: The team's runbook as the on-call ran it mid-drill: each step's command, line, verdict
    #: (ok, finding, failed) and why (drill/runbook.py, issue 31).
    runbook: list[dict[str, object]] = field(default_factory=list)
    #: Queue-depth autoscaling (kind): peak replicas, seconds to scale out and to drain.
    scaling: dict[str, float] = field(default_factory=dict)

    def record(self, feature: str, scenario: str, outcome: Outcome, message: str) -> DrillRecord:
        return DrillRecord(
            feature=feature,
            scenario=scenario,
            outcome=outcome,
            message=message,
            alert=self.alert,
            expected_labels=dict(self.labels),
            expected_receivers=tuple(self.receivers),
            for_s=self.for_s,
            fire_bound=self.fire_bound,
            recovery_bound=self.recovery_bound,
            timeline=replace(self.timeline, receivers=list(self.timeline.receivers), labels=dict(self.timeline.labels)),
            unexpected=tuple(self.unexpected),
            slos=tuple(self.slos),
            slo_return_s=self.slo_return_s,
            load=dict(self.load) if self.load is not None else None,
            messages=tuple(dict(m) for m in self.messages),
            escalations=tuple(dict(e) for e in self.escalations),
            acknowledged_at=self.acknowledged_at,
            pipeline=tuple(dict(o) for o in self.pipeline),
            duplicates=dict(self.duplicates),
            told=tuple(dict(t) for t in self.told),
            chains=tuple(dict(c) for c in self.chains),
            runbook=tuple(dict(s) for s in self.runbook),
            scaling=dict(self.scaling),
        )


@dataclass(frozen=True)
class DrillRecord:
    """One drill, finished: the verdict, what was expected, what was seen (a private copy)."""

    feature: str
    scenario: str
    outcome: Outcome
    message: str
    alert: str | None = None
    expected_labels: dict[str, str] = field(default_factory=dict)
    expected_receivers: tuple[str, ...] = ()
    for_s: float | None = None
    fire_bound: FireBound | None = None
    recovery_bound: RecoveryBound | None = None
    timeline: Timeline = field(default_factory=Timeline)
    unexpected: tuple[str, ...] = ()
    slos: tuple[Measurement, ...] = ()
    slo_return_s: float | None = None
    load: dict[str, float] | None = None
    messages: tuple[dict[str, object], ...] = ()
    escalations: tuple[dict[str, object], ...] = ()
    acknowledged_at: float | None = None
    pipeline: tuple[dict[str, object], ...] = ()
    duplicates: dict[str, int] = field(default_factory=dict)
    told: tuple[dict[str, object], ...] = ()
    chains: tuple[dict[str, object], ...] = ()
    runbook: tuple[dict[str, object], ...] = ()
    scaling: dict[str, float] = field(default_factory=dict)
