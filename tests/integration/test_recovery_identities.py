"""Recovery waits for every label set of the alert that fired, not the first resolved one.

On Kubernetes one job can fire ServiceDown twice (`up{instance} == 0` and `absent(up{job})`), and
one resolving says nothing of the other (issue 30, wrong verdict 3). Reproduced on the real
Prometheus and Alertmanager: a second ServiceDown{job="bff"} identity that keeps firing for 20
minutes after the BFF is back (`keep_firing_for`; 20 s scaled: past the recovery bound of about
14 s, which counts from the rollback while the 20 s count from the BFF's return, and short enough
that a start-up blip under CI's load has cleared before the stack's health wait of 28 s ends),
beside the one that resolves. Before the fix the
recovery step passed on the first identity's resolved message and the run ended later in an error
(exit 3: the stack never went quiet for the next step), a broken run instead of a verdict on the
monitoring; now the recovery step fails, naming the identity still active.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration

LINGERING = """\
  - alert: ServiceDown
    expr: up{job="bff"} == 0
    for: 1m
    keep_firing_for: 20m
    labels:
      severity: critical
      priority: P0
      lingering: "yes"
    annotations:
      summary: "{{ $labels.job }} service is down"
      description: "Service {{ $labels.job }} ({{ $labels.instance }}) has been down for more than 30 seconds"
      runbook_url: "https://docs.fluo.com/runbooks/service-down"
"""


def _a_second_identity_that_keeps_firing(text: str) -> str:
    anchor = "- name: critical.rules\n  rules:\n"
    assert anchor in text
    return text.replace(anchor, anchor + LINGERING, 1)


def test_recovery_fails_while_another_identity_of_the_alert_still_fires(
    runner: Runner, monitoring_copy: Callable[..., Path]
) -> None:
    broken = monitoring_copy(_a_second_identity_that_keeps_firing)
    proc = runner.run(
        "run", "features/alerts/service_down.feature", "-q", "-k", "bff_is_killed", "--monitoring", str(broken),
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    (drill,) = json.loads((runner.report_dir / "results.json").read_text())["drills"]
    message = drill["message"]
    assert drill["outcome"] == "failed", message
    assert 'the resolved message came, but ServiceDown{instance="' in message and "still active" in message, message
    assert "(2 label set(s) of it fired during the drill; recovery waits for every one)" in message
    assert drill["observed"]["resolved_notified_at"] is not None  # the first identity's message did come
    assert runner.leftovers() == []
