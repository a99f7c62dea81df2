"""Step definitions for alert drills: parse the step, call the drill, nothing more."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from alertdrill.drill import Drill

FIRES = 'alert "{alert}" fires for {label} "{value}" after holding for {seconds:d} seconds'


def _names(text: str) -> list[str]:
    return [r.strip().strip('"') for r in text.replace(" and ", ",").split(",") if r.strip()]


@given("the stack is healthy")
def _(drill: Drill) -> None:
    drill.prepare()


@when(parsers.parse('the scenario "{scenario}" injects its fault'))
def _(drill: Drill, scenario: str) -> None:
    drill.inject(scenario)


@then(parsers.parse(FIRES))
def _(drill: Drill, alert: str, label: str, value: str, seconds: int) -> None:
    drill.wait_for_firing(alert, {label: value}, for_production_s=float(seconds))


@then(parsers.parse(FIRES + ", held back from paging"))
def _(drill: Drill, alert: str, label: str, value: str, seconds: int) -> None:
    drill.wait_for_firing_deferred(alert, {label: value}, for_production_s=float(seconds))


@then(parsers.parse('alert "{alert}" also fires for {label} "{value}" after holding for {seconds:d} seconds'))
def _(drill: Drill, alert: str, label: str, value: str, seconds: int) -> None:
    drill.wait_for_also_firing(alert, {label: value}, for_production_s=float(seconds))


@then(parsers.parse('the alert has severity "{severity}" and priority "{priority}"'))
def _(drill: Drill, severity: str, priority: str) -> None:
    drill.assert_labels({"severity": severity, "priority": priority})


@then(parsers.parse("it is notified to exactly {receivers}"))
def _(drill: Drill, receivers: str) -> None:
    drill.assert_receivers(_names(receivers))


@then(parsers.parse("it is routed to exactly {receivers} and deferred for {hours:d} hours"))
def _(drill: Drill, receivers: str, hours: int) -> None:
    drill.assert_held_back(_names(receivers), hours=float(hours))


@then(parsers.parse("it pages only after its {hours:d} hour deferral"))
def _(drill: Drill, hours: int) -> None:
    drill.assert_paged_after_deferral(hours=float(hours))


@then(parsers.parse("after rollback it resolves and the resolved notification arrives within {minutes:d} minutes"))
def _(drill: Drill, minutes: int) -> None:
    drill.wait_for_resolved(sop_recovery_production_s=minutes * 60.0)


@then(parsers.parse("after rollback it clears within {minutes:d} minutes without ever paging"))
def _(drill: Drill, minutes: int) -> None:
    drill.wait_for_resolved_quietly(sop_recovery_production_s=minutes * 60.0)


@then(parsers.parse('alert "{alert}" stays quiet for the whole bound of its {seconds:d} second hold'))
def _(drill: Drill, alert: str, seconds: int) -> None:
    drill.assert_stays_quiet(alert, for_production_s=float(seconds))


@then(parsers.parse('Prometheus saw "{expr}" reach at least {value:g}'))
def _(drill: Drill, expr: str, value: float) -> None:
    drill.assert_reached(expr, at_least=value)


@then(parsers.parse('Prometheus saw "{expr}" fall to at most {value:g}'))
def _(drill: Drill, expr: str, value: float) -> None:
    drill.assert_reached(expr, at_most=value)


@then(parsers.parse('alert "{alert}" did not fire'))
def _(drill: Drill, alert: str) -> None:
    drill.assert_not_fired(alert)


@then("no other alert fired")
def _(drill: Drill) -> None:
    drill.assert_no_unexpected_alerts()
