"""A drill's outcome from what ended it (drill/outcome.py), the run's exit code, and JUnit's
<error> for what is not a verdict on the monitoring."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from alertdrill.drill.outages import Outage
from alertdrill.drill.outcome import broke_it_itself, classify, exit_code
from alertdrill.errors import (
    ConfigError,
    DrillFailure,
    FaultError,
    Inconclusive,
    ObserveError,
    RevertError,
    WaitTimeout,
)
from alertdrill.report.junit import mark_errors


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (DrillFailure("ServiceDown did not page"), "failed"),
        (Inconclusive("not at its SLOs"), "inconclusive"),
        (FaultError("kubectl failed"), "error"),
        (RevertError([("kill", OSError("gone"))]), "error"),
        (ObserveError("Prometheus did not answer"), "error"),
        (WaitTimeout("stack healthy: not reached"), "error"),
        (ConfigError("bad step"), "error"),
        (httpx.ConnectError("refused"), "error"),  # foreign, slipped past its adapter
        (subprocess.TimeoutExpired(["kubectl"], 5), "error"),
        (AssertionError("a plain assert in harness code"), "error"),
        (KeyError("x"), "error"),
    ],
)
def test_only_a_drill_failure_is_a_verdict_on_the_monitoring(exc: BaseException, outcome: str) -> None:
    assert classify(exc) == outcome


def test_a_part_the_drill_took_down_itself_is_its_subject_not_an_error() -> None:
    down = Outage("prometheus-down-10m", "prometheus", 100.0, None)
    back = Outage("prometheus-restarted", "prometheus", 100.0, 101.0)
    relay = Outage("mail-relay-451-3m", "mail relay", 100.0, None)
    timeout = "Prometheus http://127.0.0.1:9090/api/v1/query: timed out"
    assert broke_it_itself(ObserveError(timeout), [down]) is down
    assert broke_it_itself(ObserveError(timeout), [back, relay]) is None  # healed, or not an API
    assert broke_it_itself(ObserveError("Alertmanager http://127.0.0.1:9093/api/v2/alerts: refused"), [down]) is None
    assert broke_it_itself(FaultError(timeout), [down]) is None


@pytest.mark.parametrize(
    ("outcomes", "code"),
    [
        (["passed", "passed"], 0),
        (["passed", "skipped"], 0),
        (["passed", "failed", "error"], 1),  # a monitoring failure wins: it is the one to act on
        (["passed", "error"], 3),
        (["inconclusive"], 3),
        ([], 0),
    ],
)
def test_exit_code(outcomes: list[str], code: int) -> None:
    assert exit_code(outcomes) == code


def _case(name: str, outcome: str, failure: str | None) -> str:
    body = f'<failure message="{failure}">t</failure>' if failure else ""
    props = f'<properties><property name="outcome" value="{outcome}"/></properties>'
    return f'<testcase name="{name}">{props}{body}</testcase>'


JUNIT = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<testsuites><testsuite name="pytest" errors="0" failures="3" skipped="0" tests="4">'
    + _case("a", "failed", "DrillFailure: x")
    + _case("b", "error", "FaultError: y")
    + _case("c", "inconclusive", "Inconclusive: z")
    + _case("d", "passed", None)
    + "</testsuite></testsuites>"
)


def test_junit_reports_error_and_inconclusive_as_error_not_failure(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    assert mark_errors(path) == 2
    text = path.read_text()
    assert 'errors="2"' in text and 'failures="1"' in text
    assert (
        '<error message="error: FaultError: y">' in text and '<error message="inconclusive: Inconclusive: z">' in text
    )
    assert '<failure message="DrillFailure: x">' in text
    assert mark_errors(path) == 0 and mark_errors(tmp_path / "none.xml") == 0
