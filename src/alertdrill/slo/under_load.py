"""SOP-004's SLOs under the SLO load: drive the BFF, then measure every SLO over the load.

Measured over the load minus its first SLI window (the 5-minute windows, scaled, still hold the
quiet time before the load); delivery is counted from the load's start until the workers have
caught up with what was published (or a drain bound passes).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from alertdrill.drill import Drill
from alertdrill.errors import ConfigError, DrillFailure
from alertdrill.slo.hypothesis import rule_window_s
from alertdrill.slo.load import LoadPlan, run_load
from alertdrill.slo.objectives import find
from alertdrill.slo.probe import measure

log = logging.getLogger(__name__)
DRAIN_BOUND_S = 30.0


@dataclass
class LoadWindow:
    started_at: float
    ended_at: float
    drained_at: float
    warmup_s: float


def drive(drill: Drill, plan: LoadPlan) -> LoadWindow:
    """Run the load; remember its window on the drill (for the Then steps) and its summary."""
    timing = drill.stack.timing
    warmup = rule_window_s(timing.time_scale, timing.scrape_interval_s) + timing.eval_interval_s
    if plan.seconds < 2 * warmup:
        raise ConfigError(f"a load of {plan.seconds:g}s is too short to measure: give at least {2 * warmup:.0f}s")
    log.info(
        "load: %g submissions/s × %d jobs + %g reads/s for %gs (%g messages/s planned)",
        plan.submissions_per_s,
        plan.jobs_per_submission,
        plan.reads_per_s,
        plan.seconds,
        plan.submissions_per_s * plan.jobs_per_submission,
    )
    started = time.time()
    drill.load_summary = run_load(drill.stack, plan)
    ended = time.time() + timing.eval_interval_s  # the last second's rate needs one more evaluation
    time.sleep(timing.eval_interval_s + timing.scrape_interval_s)
    window = LoadWindow(started, ended, _drained(drill, ended), warmup)
    drill.load_window = window
    log.info("load done: %s", drill.load_summary)
    return window


def _drained(drill: Drill, ended: float) -> float:
    """When the workers had delivered everything published by the end of the load."""
    published = drill.prometheus.query("slo:nats_messages_published:total", at=ended)
    target = published[0].value if published else 0.0
    deadline = time.monotonic() + DRAIN_BOUND_S
    while time.monotonic() < deadline:
        delivered = drill.prometheus.query("slo:nats_messages_delivered:total")
        if delivered and delivered[0].value >= target:
            break
        time.sleep(0.5)
    return time.time()


def assert_slos(drill: Drill, table: list[list[str]]) -> None:
    """Every SLO in the feature's table (name | objective) measured; objectives must match slo.yml."""
    window = getattr(drill, "load_window", None)
    if window is None:
        raise ConfigError("measure SLOs after a load step ('When the load generator sends ...')")
    header, *rows = table
    if [h.strip().lower() for h in header[:2]] != ["slo", "objective"]:
        raise ConfigError("the SLO table needs the columns | slo | objective |")
    missed = []
    for name, objective, *_ in rows:
        slo = find(drill.stack.monitoring.slos, name.strip())
        if " ".join(objective.split()) != slo.objective:
            raise ConfigError(
                f"SLO {slo.name}: the feature says {objective.strip()!r} but monitoring/slo.yml says "
                f"{slo.objective!r}; make them agree (the SOP's number)"
            )
        if slo.how == "delta_ratio":
            m = measure(drill.prometheus, slo, window.started_at - 1.0, window.drained_at, "under load")
        else:
            m = measure(drill.prometheus, slo, window.started_at + window.warmup_s, window.ended_at, "under load")
        drill.slos.append(m)
        log.info("SLO %s %s", "met   " if m.met else "MISSED", m.describe())
        if not m.met:
            missed.append(m.describe())
    if missed:
        raise DrillFailure("SLOs missed under load: " + "; ".join(missed))


def assert_no_alert_fired(drill: Drill) -> None:
    window = getattr(drill, "load_window", None)
    if window is None:
        raise ConfigError("check alerts after a load step ('When the load generator sends ...')")
    seconds = max(1, round(window.drained_at - window.started_at))
    fired = drill.prometheus.query(f'max_over_time(ALERTS{{alertstate="firing"}}[{seconds}s])', at=window.drained_at)
    if fired:
        names = sorted({s.labels.get("alertname", "?") for s in fired})
        raise DrillFailure(f"alerts fired under normal load: {', '.join(names)}")


def check_dashboards(drill: Drill) -> None:
    """The four SOP dashboards against this stack; the per-panel verdicts go into the log."""
    from alertdrill.dashboards import check_on_stack

    timing = drill.stack.timing
    results = check_on_stack(drill.stack, timeout_s=3 * rule_window_s(timing.time_scale, timing.scrape_interval_s) + 10)
    for r in results:
        log.info("dashboard %s", r.line())
    bad = [r.line() for r in results if not r.ok]
    if bad:
        raise DrillFailure(f"{len(bad)} of {len(results)} dashboard panel queries failed:\n" + "\n".join(bad))
