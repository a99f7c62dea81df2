"""Step definitions for the SLO features: parse the step, call alertdrill.slo, nothing more."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from alertdrill.drill import Drill
from alertdrill.slo.load import LoadPlan
from alertdrill.slo.under_load import assert_no_alert_fired, assert_slos, check_dashboards, drive

LOAD = (
    "the load generator sends {subs:d} job submissions/s of {jobs:d} jobs each "
    "and {reads:d} reads/s to the BFF for {seconds:d} seconds"
)


@when(parsers.parse(LOAD))
def _(drill: Drill, subs: int, jobs: int, reads: int, seconds: int) -> None:
    drive(drill, LoadPlan(float(subs), jobs, float(reads), float(seconds)))


@then("these SLOs hold over the load:")
def _(drill: Drill, datatable: list[list[str]]) -> None:
    assert_slos(drill, datatable)


@then("no alert fired during the load")
def _(drill: Drill) -> None:
    assert_no_alert_fired(drill)


@then("every panel of the SOP dashboards parses and returns data")
def _(drill: Drill) -> None:
    check_dashboards(drill)
