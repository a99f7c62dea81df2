"""Step definitions for alert drills: parse the step, call the drill, nothing more."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from alertdrill.drill import Drill


@given("the stack is healthy")
def _(drill: Drill) -> None:
    drill.prepare()


@when(parsers.parse('the scenario "{scenario}" injects its fault'))
def _(drill: Drill, scenario: str) -> None:
    drill.inject(scenario)


@then(parsers.parse('alert "{alert}" fires for {label} "{value}" after holding for {seconds:d} seconds'))
def _(drill: Drill, alert: str, label: str, value: str, seconds: int) -> None:
    drill.wait_for_firing(alert, {label: value}, for_production_s=float(seconds))


@then(parsers.parse('the alert has severity "{severity}" and priority "{priority}"'))
def _(drill: Drill, severity: str, priority: str) -> None:
    drill.assert_labels({"severity": severity, "priority": priority})


@then(parsers.parse("it is notified to exactly {receivers}"))
def _(drill: Drill, receivers: str) -> None:
    drill.assert_receivers([r.strip().strip('"') for r in receivers.replace(" and ", ",").split(",")])


@then(
    parsers.parse(
        "after rollback it resolves and the resolved notification arrives within {minutes:d} minutes"
    )
)
def _(drill: Drill, minutes: int) -> None:
    drill.wait_for_resolved(sop_recovery_production_s=minutes * 60.0)


@then("no other alert fired")
def _(drill: Drill) -> None:
    drill.assert_no_unexpected_alerts()
