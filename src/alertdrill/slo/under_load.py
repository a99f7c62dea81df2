"""SOP-004's SLOs under the SLO load: drive the BFF, then measure every SLO over the load.

Measured over the load minus its first SLI window (the 5-minute windows, scaled, still hold the
quiet time before the load); delivery is counted from the load's start until the workers have
caught up with what was published (or a drain bound passes).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass

from alertdrill.config.slos import Slo, find
from alertdrill.errors import ConfigError, DrillFailure
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll
from alertdrill.slo.hypothesis import rule_window_s
from alertdrill.slo.probe import Measurement, measure
from alertdrill.stack.base import PlatformStack, Timing
from alertdrill.workload.plan import LoadPlan

log = logging.getLogger(__name__)
DRAIN_POLL_S = 0.5


@dataclass(frozen=True)
class LoadWindow:
    """When the load ran, when the workers had drained it, its warm-up, and its own summary."""

    started_at: float
    ended_at: float
    drained_at: float
    warmup_s: float
    summary: dict[str, float]


def drive(platform: PlatformStack, prometheus: PrometheusClient, timing: Timing, plan: LoadPlan) -> LoadWindow:
    """Run the load through the stack's platform; return its window for the Then steps."""
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
    _await_counters(prometheus, timing)
    started = time.time()
    summary = platform.run_load(plan)
    ended = time.time() + timing.eval_interval_s  # the last second's rate needs one more evaluation
    time.sleep(timing.eval_interval_s + timing.scrape_interval_s)
    window = LoadWindow(started, ended, _drained(prometheus, ended), warmup, summary)
    log.info("load done: %s", summary)
    return window


#: The totals delivery is counted from (recording rules in the config under test).
COUNTERS = ("slo:nats_messages_published:total", "slo:nats_messages_delivered:total")


def _await_counters(prometheus: PrometheusClient, timing: Timing) -> None:
    """Delivery is a difference of totals from 1 s before the load: on a stack that has just
    started (the first drill of a parallel worker), the recorded totals may not exist yet, and
    the SLO would read "no data" (seen once in 10 parallel runs). Wait, bounded, until they do."""
    recorded = poll(
        "delivery totals recorded",
        lambda: all(prometheus.query(series, at=time.time() - 1.0) for series in COUNTERS),
        poll_s=DRAIN_POLL_S,
        # five scrape+evaluation rounds (a just-started stack), plus a second for a busy machine
        timeout_s=5 * (timing.scrape_interval_s + timing.eval_interval_s) + 5.0,
    )
    if not recorded.met:
        log.warning("%s not recorded yet; delivery may read 'no data'", " and ".join(COUNTERS))


def _drained(prometheus: PrometheusClient, ended: float) -> float:
    """When the workers had delivered everything published by the end of the load."""
    published = prometheus.query(COUNTERS[0], at=ended)
    target = published[0].value if published else 0.0
    poll(
        "published messages delivered",
        lambda: prometheus.query(COUNTERS[1]),
        done=lambda delivered: bool(delivered) and delivered[0].value >= target,
        poll_s=DRAIN_POLL_S,
        timeout_s=TIMEOUTS.load_drain,
    )
    return time.time()


def measure_table(
    prometheus: PrometheusClient, slos: list[Slo], window: LoadWindow, table: list[list[str]]
) -> list[Measurement]:
    """Every SLO in the feature's table (name | objective) measured; objectives must match slo.yml."""
    header, *rows = table
    if [h.strip().lower() for h in header[:2]] != ["slo", "objective"]:
        raise ConfigError("the SLO table needs the columns | slo | objective |")
    out = []
    for name, objective, *_ in rows:
        slo = find(slos, name.strip())
        if " ".join(objective.split()) != slo.objective:
            raise ConfigError(
                f"SLO {slo.name}: the feature says {objective.strip()!r} but monitoring/slo.yml says "
                f"{slo.objective!r}; make them agree (the SOP's number)"
            )
        if slo.how == "delta_ratio":
            m = measure(prometheus, slo, window.started_at - 1.0, window.drained_at, "under load")
        else:
            m = measure(prometheus, slo, window.started_at + window.warmup_s, window.ended_at, "under load")
        log.info("SLO %s %s", "met   " if m.met else "MISSED", m.describe())
        out.append(m)
    return out


def assert_met(measurements: list[Measurement]) -> None:
    missed = [m.describe() for m in measurements if not m.met]
    if missed:
        raise DrillFailure("SLOs missed under load: " + "; ".join(missed))


def assert_no_alert_fired(
    prometheus: PrometheusClient, window: LoadWindow, always_firing: Collection[str] = ()
) -> None:
    """No alert fired under normal load (the team's heartbeat, always firing by design, aside)."""
    seconds = max(1, round(window.drained_at - window.started_at))
    fired = prometheus.query(f'max_over_time(ALERTS{{alertstate="firing"}}[{seconds}s])', at=window.drained_at)
    names = sorted({s.labels.get("alertname", "?") for s in fired} - set(always_firing))
    if names:
        raise DrillFailure(f"alerts fired under normal load: {', '.join(names)}")
