"""Step definitions for alert drills: parse the step, call alertdrill.drill, nothing more.

Values a later step needs travel by `target_fixture`: the When step binds `fault`, a fires-step
binds `page` (an also-fires step `also_page`), and the notified/emailed steps bind it again with
the receivers or addresses they confirmed.
"""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from alertdrill import grammar as g
from alertdrill.drill import escalation, paging, people, pipeline, quiet, recovery
from alertdrill.drill.expectations import FaultWindow
from alertdrill.drill.outages import Outage
from alertdrill.drill.paging import Page
from alertdrill.drill.runbook import RunbookRun, remedy, run_runbook
from alertdrill.drill.session import DrillSession
from alertdrill.drill.told import Told, told_again, told_by_alert, told_by_heartbeat


@given(g.HEALTHY)
def _(drill: DrillSession) -> None:
    drill.prepare()


@when(parsers.parse(g.INJECTS), target_fixture="fault")
def _(drill: DrillSession, scenario: str) -> FaultWindow:
    return drill.inject(scenario)


@when(parsers.parse(g.STRIKES), target_fixture="outages")
@then(parsers.parse(g.STRIKES), target_fixture="outages")
def _(drill: DrillSession, scenario: str) -> list[Outage]:
    return drill.strike(scenario)


@when(parsers.parse(g.BREAKS), target_fixture="fault")
def _(drill: DrillSession, scenario: str) -> FaultWindow:
    return drill.breaks(scenario)


@then(parsers.parse(g.TOLD_BY_HEARTBEAT), target_fixture="told")
def _(drill: DrillSession, addresses: str) -> Told:
    return told_by_heartbeat(drill, g.receiver_names(addresses))


@then(parsers.parse(g.TOLD_BY_ALERT), target_fixture="told")
def _(drill: DrillSession, alert: str, receivers: str, request: pytest.FixtureRequest) -> Told:
    try:  # the incident whose email is the first to fail, when the drill has one
        page: Page | None = request.getfixturevalue("page")
    except pytest.FixtureLookupError:
        page = None
    return told_by_alert(drill, alert, g.receiver_names(receivers), page)


@then(g.TOLD_AGAIN)
def _(drill: DrillSession, told: Told) -> None:
    told_again(drill, told)


@then(parsers.parse(g.FIRES), target_fixture="page")
def _(drill: DrillSession, fault: FaultWindow, alert: str, label: str, value: str, seconds: int) -> Page:
    return paging.wait_for_page(drill, fault, alert, {label: value}, for_production_s=float(seconds))


@then(parsers.parse(g.FIRES_DEFERRED), target_fixture="page")
def _(drill: DrillSession, fault: FaultWindow, alert: str, label: str, value: str, seconds: int) -> Page:
    return paging.wait_for_held(drill, fault, alert, {label: value}, for_production_s=float(seconds))


@then(parsers.parse(g.ALSO_FIRES), target_fixture="also_page")
def _(drill: DrillSession, fault: FaultWindow, alert: str, label: str, value: str, seconds: int) -> Page:
    return quiet.wait_for_also_firing(drill, fault, alert, {label: value}, for_production_s=float(seconds))


@then(parsers.parse(g.ALSO_EMAILED))
def _(drill: DrillSession, also_page: Page, addresses: str) -> None:
    people.assert_emailed(drill, also_page, g.receiver_names(addresses))


@then(parsers.parse(g.EMAILED), target_fixture="page")
def _(drill: DrillSession, page: Page, addresses: str) -> Page:
    return people.assert_emailed(drill, page, g.receiver_names(addresses))


@then(g.READABLE)
def _(drill: DrillSession, page: Page) -> None:
    people.assert_page_readable(drill, page)


@then(parsers.parse(g.HELD_BACK_FROM))
def _(drill: DrillSession, page: Page, addresses: str, hours: int) -> None:
    people.assert_held_back_from(drill, page, g.receiver_names(addresses), hours=float(hours))


@then(parsers.parse(g.ESCALATES))
def _(drill: DrillSession, page: Page, steps: str) -> None:
    escalation.assert_escalates(drill, page, g.escalation_steps(steps))


@then(parsers.parse(g.ACKNOWLEDGES))
def _(drill: DrillSession, page: Page, minutes: int) -> None:
    escalation.acknowledge(drill, page, within_production_s=minutes * 60.0)


@then(parsers.parse(g.NOBODY_AFTER_ACK))
def _(drill: DrillSession, page: Page, minutes: int) -> None:
    escalation.assert_nobody_paged_after_ack(drill, page, minutes=float(minutes))


@then(parsers.parse(g.RESOLVES_ACKNOWLEDGED))
def _(drill: DrillSession, page: Page, minutes: int) -> None:
    escalation.assert_resolves_quietly_when_acknowledged(drill, page, minutes=float(minutes))


@then(parsers.parse(g.EARLY_RESOLVE))
def _(drill: DrillSession, page: Page, minutes: int, address: str) -> None:
    escalation.assert_no_escalation_after_early_resolve(drill, page, float(minutes), address)


@then(parsers.parse(g.LABELS))
def _(drill: DrillSession, page: Page, severity: str, priority: str) -> None:
    paging.assert_labels(drill, page, {"severity": severity, "priority": priority})


@then(parsers.parse(g.NOTIFIED), target_fixture="page")
def _(drill: DrillSession, page: Page, receivers: str) -> Page:
    return paging.assert_receivers(drill, page, g.receiver_names(receivers))


@then(parsers.parse(g.ROUTED_DEFERRED))
def _(drill: DrillSession, page: Page, receivers: str, hours: int) -> None:
    paging.assert_held_back(drill, page, g.receiver_names(receivers), hours=float(hours))


@then(parsers.parse(g.PAGES_AFTER_DEFERRAL))
def _(drill: DrillSession, page: Page, hours: int) -> None:
    paging.assert_paged_after_deferral(drill, page, hours=float(hours))


@then(parsers.parse(g.RESOLVES))
def _(drill: DrillSession, page: Page, minutes: int) -> None:
    recovery.wait_for_resolved(drill, page, sop_recovery_production_s=minutes * 60.0)


@then(parsers.parse(g.RUNS_RUNBOOK), target_fixture="runbook_run")
def _(drill: DrillSession, page: Page, runbook: str, deployment: str) -> RunbookRun:
    return run_runbook(drill, page, runbook, deployment)


@then(parsers.parse(g.REMEDY_RESOLVES))
def _(drill: DrillSession, page: Page, runbook: str, deployment: str, minutes: int) -> None:
    fix = remedy(drill, page, runbook, deployment)
    recovery.wait_for_resolved(drill, page, sop_recovery_production_s=minutes * 60.0, remedy=fix)


@then(parsers.parse(g.CLEARS_QUIETLY))
def _(drill: DrillSession, page: Page, minutes: int) -> None:
    recovery.wait_for_cleared_quietly(drill, page, sop_recovery_production_s=minutes * 60.0)


@then(parsers.parse(g.STAYS_QUIET))
def _(drill: DrillSession, fault: FaultWindow, alert: str, seconds: int) -> None:
    quiet.assert_stays_quiet(drill, fault, alert, for_production_s=float(seconds))


@then(parsers.parse(g.REACHED_AT_LEAST))
def _(drill: DrillSession, fault: FaultWindow, expr: str, value: float) -> None:
    quiet.assert_reached(drill, fault, expr, at_least=value)


@then(parsers.parse(g.FELL_TO_AT_MOST))
def _(drill: DrillSession, fault: FaultWindow, expr: str, value: float) -> None:
    quiet.assert_reached(drill, fault, expr, at_most=value)


@then(parsers.parse(g.DID_NOT_FIRE))
def _(drill: DrillSession, fault: FaultWindow, alert: str) -> None:
    quiet.assert_not_fired(drill, fault, alert)


@then(g.NO_DUPLICATE)
def _(drill: DrillSession, page: Page) -> None:
    pipeline.assert_no_duplicates(drill, page)


@then(g.CONFIG_REFUSED)
def _(drill: DrillSession) -> None:
    pipeline.assert_config_refused(drill)


@then(g.NO_OTHER_ALERT)
def _(drill: DrillSession, fault: FaultWindow) -> None:
    quiet.assert_no_unexpected_alerts(drill, fault)
