"""results.json: one object per run, one entry per drill (the contract in DESIGN.md §7)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypedDict

from alertdrill.drill.record import DrillRecord, Outcome
from alertdrill.runtime.atomic import write_text_atomic

__all__ = ["DrillJSON", "Outcome", "ResultsJSON", "drill_json", "write_results"]


class ExpectedJSON(TypedDict):
    labels: dict[str, str]
    receivers: list[str]
    for_s: float | None
    fire_bound_s: float | None
    recovery_bound_s: float | None
    #: Each bound's terms, named (bounds.FireBound.explain): why the bound is what it is.
    fire_bound_terms: str | None
    recovery_bound_terms: str | None


class DrillJSON(TypedDict):
    feature: str
    scenario: str
    alert: str | None
    outcome: Outcome
    expected: ExpectedJSON
    observed: dict[str, object]
    fire_latency_s: float | None
    notify_latency_s: float | None
    recovery_s: float | None
    unexpected_alerts: list[str]
    message: str
    #: SOP-004 SLOs measured for this drill: under load (features/slo/), or as the scenario's
    #: steady-state hypothesis before the fault and after rollback (an extension of DESIGN §7).
    slos: list[dict[str, object]]
    slo_return_s: float | None  # rollback -> every steady-state SLO met again
    load: dict[str, float] | None  # the load generator's own summary (features/slo/)
    #: Every message about the drill's alerts as people got it: at_s (since the fault), status,
    #: kind, receiver, recipients, subject, tls (an extension of DESIGN §7, issue 12).
    messages: list[dict[str, object]]
    #: SOP-004 escalation steps: address, after_s (scaled delay), bound_s, arrived_s (since firing).
    escalations: list[dict[str, object]]
    acknowledged_s: float | None  # fault -> acknowledgement (a silence), if the drill acknowledged
    #: Pipeline faults the drill struck: component, down_s and back_s since the fault (back_s None:
    #: until rollback); and duplicate pages by address (issue 25).
    pipeline: list[dict[str, object]]
    duplicates: dict[str, int]
    #: When alerting itself broke (issue 26): how and whom it told, told_s and bound_s since the
    #: pipeline fault, each bound term, and recovered_s when it said the part was back.
    told: list[dict[str, object]]
    #: Each expected page that did not come, followed down its chain: the one-line diagnosis
    #: (`line`), the first broken link, and every link followed with its time since the fault.
    chains: list[dict[str, object]]
    #: The team's runbook run during the drill (kind/cluster): per step `line`, `command`, `verdict`
    #: (ok | finding | failed), `why`, `exit` and an output tail.
    runbook: list[dict[str, object]]
    #: Queue-depth autoscaling (kind): replicas_peak, scaled_out_s and drained_s since the fault.
    scaling: dict[str, float]
    #: The run dir id of the stack that ran the drill: the run's id, or `<run_id>-gwN` for a
    #: parallel worker's own stack (its logs and fault records are under .alertdrill/runs/ by it).
    stack_id: str | None


class SummaryJSON(TypedDict):
    passed: int
    failed: int
    skipped: int
    error: int  # the drill could not be carried out (a fault, a tool, an API, the stack)
    inconclusive: int  # not in its steady state before the fault: no verdict
    interrupted: int


RunOutcome = Literal["completed", "interrupted"]


class ResultsJSON(TypedDict):
    run_id: str
    stack: str
    time_scale: float
    started_at: float
    finished_at: float
    summary: SummaryJSON
    #: "interrupted": Ctrl-C or SIGTERM ended the run early (an extension of DESIGN §7);
    #: `interrupted_drill` names the drill that was open then, whose fault was rolled back.
    outcome: RunOutcome
    interrupted_drill: str | None
    #: Every drill open at the interrupt (parallel workers run several at once); the first is
    #: `interrupted_drill`. And how many workers (each with its own stack) ran the drills.
    interrupted_drills: list[str]
    workers: int
    #: What the stack's servers reported they are, e.g. {"prometheus": "3.14.0", "alertmanager":
    #: "0.34.0"}: a verdict holds for these versions (an extension of DESIGN §7).
    versions: dict[str, str]
    drills: list[DrillJSON]


def drill_json(record: DrillRecord, stack_id: str | None = None) -> DrillJSON:
    t = record.timeline
    return DrillJSON(
        feature=record.feature,
        scenario=record.scenario,
        alert=record.alert,
        outcome=record.outcome,
        expected=ExpectedJSON(
            labels=dict(record.expected_labels),
            receivers=list(record.expected_receivers),
            for_s=record.for_s,
            fire_bound_s=round(record.fire_bound.total, 3) if record.fire_bound else None,
            recovery_bound_s=round(record.recovery_bound.total, 3) if record.recovery_bound else None,
            fire_bound_terms=record.fire_bound.explain() if record.fire_bound else None,
            recovery_bound_terms=record.recovery_bound.explain() if record.recovery_bound else None,
        ),
        observed=t.observed(),
        fire_latency_s=t.fire_latency_s,
        notify_latency_s=t.notify_latency_s,
        recovery_s=t.recovery_s,
        unexpected_alerts=list(record.unexpected),
        message=record.message,
        slos=[m.to_json() for m in record.slos],
        slo_return_s=record.slo_return_s,
        load=record.load,
        messages=[dict(m) for m in record.messages],
        escalations=[dict(e) for e in record.escalations],
        acknowledged_s=t.since_fault(record.acknowledged_at),
        pipeline=[dict(o) for o in record.pipeline],
        duplicates=dict(record.duplicates),
        told=[dict(t) for t in record.told],
        chains=[dict(c) for c in record.chains],
        runbook=[dict(s) for s in record.runbook],
        scaling=dict(record.scaling),
        stack_id=stack_id,
    )


def write_results(
    path: Path,
    *,
    run_id: str,
    stack: str,
    time_scale: float,
    started_at: float,
    drills: list[DrillJSON],
    outcome: RunOutcome = "completed",
    interrupted_drill: str | None = None,
    interrupted_drills: list[str] | None = None,
    workers: int = 1,
    versions: dict[str, str] | None = None,
) -> ResultsJSON:
    """Write results.json atomically (the previous file stays whole until this one is complete)."""
    summary = SummaryJSON(passed=0, failed=0, skipped=0, error=0, inconclusive=0, interrupted=0)
    for d in drills:
        summary[d["outcome"]] += 1
    results = ResultsJSON(
        run_id=run_id,
        stack=stack,
        time_scale=time_scale,
        started_at=started_at,
        finished_at=time.time(),
        summary=summary,
        outcome=outcome,
        interrupted_drill=interrupted_drill,
        interrupted_drills=list(interrupted_drills or ([interrupted_drill] if interrupted_drill else [])),
        workers=workers,
        versions=dict(versions or {}),
        drills=drills,
    )
    write_text_atomic(path, json.dumps(results, indent=2))
    return results


def told_cells(d: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """For a drill whose only fault was the pipeline: what broke, "told X / bound" (scaled seconds)
    and "recovered X / bound", for the summary tables in place of the alert's page (None: not one)."""
    told = d.get("told") or []
    if d.get("alert") or not told:
        return None
    t = told[0]
    if t.get("told_s") is None:
        return f"({t.get('fault')} down)", f"nobody told / {float(t['bound_s']):.2f}s", "-"
    back = t.get("recovered_s")
    recovered = f"told {back:.2f}s / {float(t['recovery_bound_s']):.2f}s" if back is not None else "-"
    return f"({t.get('fault')} down)", f"told {float(t['told_s']):.2f}s / {float(t['bound_s']):.2f}s", recovered


def slo_value(value: float, unit: str) -> str:
    """An SLO value as people read it: latencies under a second in milliseconds (0.004822 s is
    "4.82 ms"), ratios as percentages (0.245 is "24.5 %", 0.999 is "99.9 %", as SOP-004 writes
    them), the rest with their unit."""
    if unit == "s" and abs(value) < 1:
        return f"{value * 1000:.4g} ms"
    if unit == "ratio" and abs(value) <= 1:
        # enough digits to tell 99.949 % from an objective of 99.95 %
        return f"{value * 100:.6g} %"
    return f"{value:.4g} {unit}".strip()


def slo_objective(objective: str, unit: str) -> str:
    """`< 0.2` with unit s is "< 200 ms"; anything not `<op> <number>` as written."""
    op, _, number = str(objective).strip().partition(" ")
    try:
        return f"{op} {slo_value(float(number), unit)}"
    except ValueError:
        return f"{objective} {unit}".strip()
