"""Step definitions for the SLO features: parse the step, call alertdrill.drill.load, nothing more."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from alertdrill import grammar as g
from alertdrill.drill import load as slo
from alertdrill.drill.autoscale import assert_scales_out_and_drains
from alertdrill.drill.expectations import FaultWindow
from alertdrill.drill.session import DrillSession
from alertdrill.slo.under_load import LoadWindow
from alertdrill.workload.plan import LoadPlan


@when(parsers.parse(g.LOAD), target_fixture="load")
def _(drill: DrillSession, subs: int, jobs: int, reads: int, seconds: int) -> LoadWindow:
    return slo.drive(drill, LoadPlan(float(subs), jobs, float(reads), float(seconds)))


@then(g.SLOS_HOLD)
def _(drill: DrillSession, load: LoadWindow, datatable: list[list[str]]) -> None:
    slo.assert_slos(drill, load, datatable)


@then(g.NO_ALERT_UNDER_LOAD)
def _(drill: DrillSession, load: LoadWindow) -> None:
    slo.assert_no_alert_fired(drill, load)


@then(parsers.parse(g.SCALES_OUT))
def _(drill: DrillSession, fault: FaultWindow, replicas: int, seconds: int) -> None:
    assert_scales_out_and_drains(drill, fault, replicas, float(seconds))


@then(g.DASHBOARDS)
def _(drill: DrillSession) -> None:
    slo.check_dashboards(drill)
