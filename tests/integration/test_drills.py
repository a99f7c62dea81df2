"""Every SOP-004 alert drilled end to end through `alertdrill run` on the real local stack."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration

DRILL_KEYS = {
    "feature",
    "scenario",
    "alert",
    "outcome",
    "expected",
    "observed",
    "fire_latency_s",
    "notify_latency_s",
    "recovery_s",
    "unexpected_alerts",
    "message",
}
OBSERVED_KEYS = {
    "labels",
    "receivers",
    "fault_at",
    "pending_at",
    "firing_at",
    "notified_at",
    "rollback_at",
    "resolved_at",
    "resolved_notified_at",
}
SOP_ALERTS = {
    "ServiceDown",
    "HighErrorRate",
    "KubernetesNodeDown",
    "PodCrashLooping",
    "HighLatency",
    "MessageQueueBacklog",
    "HighMemoryUsage",
    "DiskSpaceRunningLow",
}
SEVERITY = {"P0": "critical", "P1": "high", "P2": "medium"}


def test_every_sop_alert_drill_passes_and_leaves_nothing_behind(runner: Runner) -> None:
    proc = runner.run("run", "-q", timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    results = json.loads((runner.report_dir / "results.json").read_text())
    assert {"run_id", "stack", "time_scale", "started_at", "finished_at"} <= set(results)
    assert results["stack"] == "local" and results["time_scale"] == 60
    drills = results["drills"]
    assert results["summary"] == {"passed": len(drills), "failed": 0, "skipped": 0, "error": 0}
    assert {d["alert"] for d in drills} == SOP_ALERTS
    for d in drills:
        assert set(d) == DRILL_KEYS and set(d["observed"]) == OBSERVED_KEYS
        o, e = d["observed"], d["expected"]
        assert d["unexpected_alerts"] == []
        if not e["labels"]:  # threshold edge: it waited out the whole bound and nothing fired
            assert o["firing_at"] is None and e["fire_bound_s"] > 0
            continue
        assert SEVERITY[e["labels"]["priority"]] == e["labels"]["severity"]
        assert {k: o["labels"][k] for k in e["labels"]} == e["labels"]
        assert o["receivers"] == e["receivers"] != []
        assert o["fault_at"] <= o["pending_at"] <= o["firing_at"] <= o["rollback_at"]
        assert o["firing_at"] - o["pending_at"] >= e["for_s"] - 0.002
        assert d["recovery_s"] <= e["recovery_bound_s"]
        if o["notified_at"] is not None:  # paged: within the bound, not before `for`
            assert e["for_s"] <= d["notify_latency_s"] <= e["fire_bound_s"]
            assert o["rollback_at"] <= o["resolved_notified_at"]
        else:  # P2 deferred: fired within the bound, never paged, cleared after the rollback
            assert e["labels"]["priority"] == "P2"
            assert e["for_s"] <= d["fire_latency_s"] <= e["fire_bound_s"]
            assert o["resolved_at"] >= o["rollback_at"]
    junit = (runner.report_dir / "junit.xml").read_text()
    assert junit.count('name="fire_bound_s"') == len(drills)
    assert runner.leftovers() == []
