"""The four foundation drills, end to end through `alertdrill run` on the real local stack."""

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


def test_all_foundation_drills_pass_and_leave_nothing_behind(runner: Runner) -> None:
    proc = runner.run("run", "features/alerts", "-q")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    results = json.loads((runner.report_dir / "results.json").read_text())
    assert results["summary"] == {"passed": 5, "failed": 0, "skipped": 0, "error": 0}
    assert {"run_id", "stack", "time_scale", "started_at", "finished_at"} <= set(results)
    assert results["stack"] == "local" and results["time_scale"] == 60
    for d in results["drills"]:
        assert set(d) == DRILL_KEYS and set(d["observed"]) == OBSERVED_KEYS
        o, e = d["observed"], d["expected"]
        assert o["labels"]["severity"] == "critical" and o["labels"]["priority"] == "P0"
        assert o["receivers"] == e["receivers"] == ["critical-oncall"]
        # the timeline is ordered as the pipeline is, and within the derived bounds
        assert o["fault_at"] <= o["pending_at"] <= o["firing_at"] <= o["notified_at"]
        assert o["notified_at"] <= o["rollback_at"] <= o["resolved_notified_at"]
        assert o["firing_at"] - o["pending_at"] >= e["for_s"] - 0.002
        assert e["for_s"] <= d["notify_latency_s"] <= e["fire_bound_s"]
        assert d["recovery_s"] <= e["recovery_bound_s"]
        assert d["unexpected_alerts"] == []
    assert (runner.report_dir / "junit.xml").read_text().count("notify_latency_s") == 5
    assert runner.leftovers() == []
