"""The SLO features' steps on a drill: load through the stack, SLOs and dashboards measured, all
of it kept as the drill's evidence for the report."""

from __future__ import annotations

import logging

from alertdrill.drill.session import DrillSession
from alertdrill.errors import DrillFailure
from alertdrill.slo import dashboards, under_load
from alertdrill.slo.hypothesis import rule_window_s
from alertdrill.slo.under_load import LoadWindow
from alertdrill.workload.plan import LoadPlan

log = logging.getLogger(__name__)
#: Dashboards get three SLI windows (a fresh stack fills its rate windows first) plus this.
DASHBOARD_SETTLE_S = 10.0


def drive(drill: DrillSession, plan: LoadPlan) -> LoadWindow:
    window = under_load.drive(drill.stack, drill.prometheus, drill.stack.timing, plan)
    drill.evidence.load = window.summary
    return window


def assert_slos(drill: DrillSession, window: LoadWindow, table: list[list[str]]) -> None:
    measurements = under_load.measure_table(drill.prometheus, drill.stack.monitoring.slos, window, table)
    drill.evidence.slos.extend(measurements)
    under_load.assert_met(measurements)


def assert_no_alert_fired(drill: DrillSession, window: LoadWindow) -> None:
    under_load.assert_no_alert_fired(drill.prometheus, window, drill.stack.monitoring.always_firing)


def check_dashboards(drill: DrillSession) -> None:
    """The four SOP dashboards against this stack; the per-panel verdicts go into the log."""
    timing = drill.stack.timing
    timeout = 3 * rule_window_s(timing.time_scale, timing.scrape_interval_s) + DASHBOARD_SETTLE_S
    results = dashboards.check_on_stack(drill.stack, timeout_s=timeout)
    for r in results:
        log.info("dashboard %s", r.line())
    bad = [r.line() for r in results if not r.ok]
    if bad:
        raise DrillFailure(f"{len(bad)} of {len(results)} dashboard panel queries failed:\n" + "\n".join(bad))
