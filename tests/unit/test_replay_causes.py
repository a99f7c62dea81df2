"""Every cause of the closed list, produced by the situation it names (and only a known cause or
UNEXPLAINED ever comes out): `alertdrill replay`'s disagreements (issue 28)."""

from __future__ import annotations

from pathlib import Path

from alertdrill.config.promtool_series import InputSeries
from alertdrill.config.ruleset import RuleFile
from alertdrill.notify.message import AlertRef, Message
from alertdrill.replay import causes
from alertdrill.replay.compare import compare_alert, same_text
from alertdrill.replay.feed import Clock
from alertdrill.replay.pages import PageExpectation, check_page, empty_refs
from alertdrill.replay.plan import AlertCase, ReplayGroup
from alertdrill.replay.resolved import check_resolved, resolve_expectations
from alertdrill.replay.watch import Evaluations, LiveAlert

DOWN = {"alertname": "ServiceDown", "job": "bff", "severity": "critical"}
AM = {
    "route": {"receiver": "oncall", "group_by": ["alertname"]},
    "receivers": [
        {"name": "oncall", "email_configs": [{"to": "a@b", "headers": {"Subject": "{{ .CommonLabels.job }}"}}]}
    ],
}


def _group(interval: str | None = None) -> ReplayGroup:
    doc = {
        "groups": [
            {
                "name": "critical",
                **({"interval": interval} if interval else {}),
                "rules": [{"alert": "ServiceDown", "expr": "up == 0", "labels": {"severity": "critical"}}],
            }
        ]
    }
    return ReplayGroup(
        Path("t.test.yml"),
        1,
        "g",
        15.0,
        15.0,
        [InputSeries({"__name__": "up"}, (0.0,))],
        [],
        [],
        [RuleFile(Path("r.yml"), doc)],
        time_scale=60.0,
    )


def _case() -> AlertCase:
    return AlertCase(60.0, "ServiceDown", [{"labels": {"job": "bff", "severity": "critical"}, "annotations": {}}])


def _seen(firing: bool) -> Evaluations:
    seen = Evaluations(250)
    seen.by_k[4] = [LiveAlert("ServiceDown", DOWN, {}, "firing", "g")] if firing else []
    return seen


def _expectation(**kw: object) -> PageExpectation:
    alert = LiveAlert("ServiceDown", DOWN, {}, "firing", "g")
    base = {
        "alert": alert,
        "labels": DOWN,
        "receiver": "oncall",
        "source": "routing tree",
        "fired_ms": 1000,
        "bound_ms": 3000,
        "terms": {"group_wait": 1.0},
        "group_by": ("alertname",),
    }
    return PageExpectation(**{**base, **kw})  # type: ignore[arg-type]


def _message(at_s: float, *alerts: dict[str, str], subject: str = "[FIRING] ServiceDown") -> Message:
    refs = tuple(AlertRef(a["alertname"], a, "firing") for a in alerts)
    return Message("oncall", "email-0", "email", at_s, "firing", subject=subject, text="ServiceDown bff", alerts=refs)


def _cause(code: str, got: str) -> None:
    assert got == code


def test_agreement_is_not_a_cause() -> None:
    assert compare_alert(_group(), _case(), _seen(True)).ok
    assert same_text("value 0.30000000000000004", "value 0.3") and not same_text("0.31", "0.3")


def test_group_interval() -> None:
    check = compare_alert(_group("1m"), _case(), _seen(False))
    _cause("group-interval", check.cause)
    assert "'critical' is evaluated every 1m" in check.explanation and "every 15s" in check.explanation


def test_promtool_fails_too() -> None:
    group = _group()
    group.promtool_failed = {("ServiceDown", 60.0)}
    group.promtool_version = "3.14.0"
    _cause("promtool-fails-too", compare_alert(group, _case(), _seen(False)).cause)


def test_unexplained_when_nothing_fits() -> None:
    check = compare_alert(_group(), _case(), _seen(False))
    _cause("unexplained", check.cause)
    assert "expected, not firing live" in check.detail


def test_template_no_value_on_the_alerts_that_really_grouped() -> None:
    two = _message(1.5, DOWN, {**DOWN, "job": "workers"}, subject="")
    assert empty_refs(AM, "oncall", two, ("alertname",)) == [".CommonLabels.job"]
    assert empty_refs(AM, "oncall", _message(1.5, DOWN), ("alertname",)) == []  # one alert: fine
    _cause("template-no-value", check_page(_expectation(), [two], "", AM).cause)


def test_template_failed_and_integration_failed_from_alertmanagers_log() -> None:
    log = 'time=x level=ERROR msg="Notify for alerts failed" receiver=oncall err="template: email.subject:1: bad"'
    _cause("template-failed", check_page(_expectation(), [], log, AM).cause)
    log = 'time=x level=ERROR msg="Notify for alerts failed" receiver=oncall err="dial tcp: connection refused"'
    _cause("integration-failed", check_page(_expectation(), [], log, AM).cause)


def test_inhibited_where_the_routing_tests_expect_a_page() -> None:
    exp = _expectation(source="routing test 'P0'", inhibited_by=(0, 'ServiceDown{job="nats"}', 0.0))
    check = check_page(exp, [], "", AM)
    _cause("inhibited", check.cause)
    assert "inhibit rule 0 muted it" in check.explanation
    tree = _expectation(inhibited_by=(0, "NodeDown", 0.0))
    assert check_page(tree, [], "", AM).ok  # the tree and the inhibit rules agree: nobody expects it


def test_inhibition_order_when_the_target_was_paged_first() -> None:
    exp = _expectation(inhibited_by=(0, 'ServiceDown{job="nats"}', 90.0), fired_s=60.0)
    _cause("inhibition-order", check_page(exp, [_message(1.5, DOWN)], "", AM).cause)


def test_inhibition_race_when_both_fired_at_the_same_evaluation() -> None:
    exp = _expectation(inhibited_by=(0, 'ServiceDown{job="nats"}', 60.0), fired_s=60.0)
    check = check_page(exp, [_message(1.5, DOWN)], "", AM)
    _cause("inhibition-race", check.cause)
    assert "both began firing at the same evaluation (60s)" in check.explanation


def test_page_late_beyond_its_named_bound() -> None:
    check = check_page(_expectation(), [_message(4.0, DOWN)], "", AM)
    _cause("page-late", check.cause)
    assert "group_wait 1s" in check.explanation
    assert check_page(_expectation(), [_message(2.0, DOWN)], "", AM).ok


def test_a_page_for_another_alert_is_not_this_alerts_page() -> None:
    """The NATS email names "bff" in its generator URL; it is still not the BFF's page."""
    nats = _message(1.5, {**DOWN, "job": "nats"})
    assert check_page(_expectation(), [nats], "", AM).cause == "unexplained"


def test_the_list_is_closed_and_each_cause_is_produced_here() -> None:
    codes = [c.code for c in causes.CAUSES]
    assert len(codes) == len(set(codes))
    source = Path(__file__).read_text()
    assert [c for c in codes if f'_cause("{c}"' not in source] == []


def test_resolved_untold_where_the_test_says_the_alert_stops() -> None:
    """Fired at 60s, the test expects nothing at 120s; live it stopped at 90s (evaluation 6)."""
    group = _group()
    group.alerts = [_case(), AlertCase(120.0, "ServiceDown", [])]
    seen = Evaluations(250)
    firing = [LiveAlert("ServiceDown", DOWN, {}, "firing", "g")]
    seen.by_k.update({4: firing, 5: firing, 6: [], 7: [], 8: []})
    clock = Clock(0, 60.0)
    page = _expectation(fired_ms=1000, fired_s=60.0, group_interval_s=5.0)
    am = {**AM, "receivers": [{"name": "oncall", "email_configs": [{"to": "a@b", "send_resolved": True}]}]}
    group.slack_s = 2.0  # the run's ALERTDRILL_SLACK_S
    (expect,) = resolve_expectations(group, seen, clock, [page], am)
    assert expect.resolved_ms == 1500 and expect.bound_ms == 1500 + 5000 + 250 + 2000
    resolved = Message(
        "oncall",
        "email-0",
        "email",
        3.0,
        "resolved",
        text="ServiceDown",
        alerts=(AlertRef("ServiceDown", DOWN, "resolved"),),
    )
    assert check_resolved(expect, [resolved]).ok
    check = check_resolved(expect, [])
    _cause("resolved-untold", check.cause)
    assert "group_interval 5s" in check.explanation
    quiet = {**AM, "receivers": [{"name": "oncall", "email_configs": [{"to": "a@b", "send_resolved": False}]}]}
    assert resolve_expectations(group, seen, clock, [page], quiet) == []  # nobody is to be told


def test_an_unread_evaluation_never_makes_an_alert_start_later() -> None:
    from alertdrill.replay.pages import first_firing

    seen = Evaluations(250)
    alert = LiveAlert("ServiceDown", DOWN, {}, "firing", "g")
    seen.by_k.update({2: [], 3: [alert], 5: [alert], 6: [alert]})  # evaluation 4 went unread
    assert first_firing(seen, alert, 6) == 3
