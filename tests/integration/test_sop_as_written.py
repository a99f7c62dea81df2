"""SOP-004's rules exactly as written fail the drills that expose their defects."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO, Runner

pytestmark = pytest.mark.integration

SOP_AS_WRITTEN = REPO / "tests" / "fixtures" / "sop004-as-written"
EXPECTED_FAILURES = {
    # nats_jetstream_stream_messages exists in no exporter: the rule can never fire
    "the workers stop consuming while 1500 jobs arrive": 'MessageQueueBacklog{stream_name="JOBS"} was not notified',
    # kube-prometheus-stack has no job="kubernetes-nodes": the rule can never fire
    "node-2 stops": 'KubernetesNodeDown{node="node-2"} was not notified',
    # no runbook_url (the SOP gives one only to ServiceDown): the page cannot link it. (Its next
    # defect, a 15-minute window that keeps it firing long after the pod is healthy, is behind it.)
    "one worker's container exits at every start": "has no runbook_url annotation for its pages to link",
}


def test_sop_rules_as_written_fail_where_they_cannot_work(runner: Runner) -> None:
    proc = runner.run(
        "run",
        "features/alerts/message_queue_backlog.feature",
        "features/alerts/kubernetes_node_down.feature",
        "features/alerts/pod_crash_looping.feature",
        "-q",
        "--tags",
        "not edge",
        "--monitoring",
        str(SOP_AS_WRITTEN),
        timeout=600,
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    drills = {d["scenario"]: d for d in json.loads((runner.report_dir / "results.json").read_text())["drills"]}
    assert set(drills) == set(EXPECTED_FAILURES)
    for scenario, message in EXPECTED_FAILURES.items():
        assert drills[scenario]["outcome"] == "failed"
        assert message in drills[scenario]["message"], drills[scenario]["message"]
    assert runner.leftovers() == []


def test_the_fixture_is_the_sop_text() -> None:
    """Guard: the fixture keeps the SOP's expressions verbatim (what the finding is about)."""
    text = (SOP_AS_WRITTEN / "rules" / "sop004.rules.yml").read_text()
    for expr in (
        "nats_jetstream_stream_messages > 1000",
        'up{job="kubernetes-nodes"} == 0',
        "rate(kube_pod_container_status_restarts_total[15m]) > 0",
        'rate(http_requests_total{status=~"5.."}[5m]) > 0.01',
    ):
        assert expr in text
