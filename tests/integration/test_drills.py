"""Every SOP-004 alert drilled end to end through `alertdrill run` on the real local stack."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration

DRILL_KEYS = {
    "told",
    "chains",
    "runbook",
    "scaling",
    "messages",
    "escalations",
    "acknowledged_s",
    "pipeline",
    "duplicates",
    "stack_id",
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
    "slos",
    "slo_return_s",
    "load",
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


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, subprocess.CompletedProcess[str]]:
    """One run of every (non-slow) drill, shared by the tests below."""
    runner = Runner(tmp_path_factory.mktemp("full"))
    return runner, runner.run("run", "-q", timeout=600)


def test_every_sop_alert_drill_passes_and_leaves_nothing_behind(
    full_run: tuple[Runner, subprocess.CompletedProcess[str]],
) -> None:
    runner, proc = full_run
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    results = json.loads((runner.report_dir / "results.json").read_text())
    assert {"run_id", "stack", "time_scale", "started_at", "finished_at"} <= set(results)
    assert results["stack"] == "local" and results["time_scale"] == 60
    drills = results["drills"]
    assert results["summary"] == {
        "passed": len(drills),
        "failed": 0,
        "skipped": 0,
        "error": 0,
        "inconclusive": 0,
        "interrupted": 0,
    }
    assert results["outcome"] == "completed" and results["interrupted_drill"] is None
    # run in parallel (auto), each drill on its worker's own stack, merged into one report
    assert results["workers"] > 1 and results["interrupted_drills"] == []
    stacks = {d["stack_id"] for d in drills}
    assert 1 < len(stacks) <= results["workers"] and all(s.startswith(results["run_id"] + "-gw") for s in stacks)
    assert {d["alert"] for d in drills} == SOP_ALERTS | {None}  # None: the SLO and dashboard features
    under_load = [d for d in drills if d["load"] is not None]
    assert len(under_load) == 1 and under_load[0]["load"]["messages_per_s"] >= 1000
    assert {m["slo"] for m in under_load[0]["slos"]} >= {"nats-throughput", "nats-delivery", "bff-latency-p99"}
    assert all(m["met"] and m["phase"] == "under load" for m in under_load[0]["slos"])
    for d in drills:
        assert set(d) == DRILL_KEYS
        if d["alert"] is None:
            continue
        assert set(d["observed"]) == OBSERVED_KEYS
        o, e = d["observed"], d["expected"]
        assert d["unexpected_alerts"] == []
        # The scenario's steady-state hypothesis: SOP-004's SLOs held before the fault...
        before = [m for m in d["slos"] if m["phase"] == "before fault"]
        # 10: availability, p95, average, p99, errors, processing, job duration and completion, worker CPU and memory
        assert len(before) == 10 and all(m["met"] for m in before), d["slos"]
        assert {"worker-cpu", "worker-memory", "bff-latency-avg"} <= {m["slo"] for m in before}
        if not e["labels"]:  # threshold edge: it waited out the whole bound and nothing fired
            assert o["firing_at"] is None and e["fire_bound_s"] > 0
            continue
        assert SEVERITY[e["labels"]["priority"]] == e["labels"]["severity"]
        assert {k: o["labels"][k] for k in e["labels"]} == e["labels"]
        assert o["receivers"] == e["receivers"] != []
        assert o["fault_at"] <= o["pending_at"] <= o["firing_at"] <= o["rollback_at"]
        assert o["firing_at"] - o["pending_at"] >= e["for_s"] - 0.002
        assert d["recovery_s"] <= e["recovery_bound_s"]
        # ...and again after rollback and recovery.
        after = [m for m in d["slos"] if m["phase"] == "after rollback"]
        assert len(after) == 10 and all(m["met"] for m in after) and d["slo_return_s"] is not None, d["slos"]
        if o["notified_at"] is not None:  # paged: within the bound, not before `for`
            assert e["for_s"] <= d["notify_latency_s"] <= e["fire_bound_s"]
            # every page reached people by email (over STARTTLS), and they heard when it was over,
            # unless the on-call acknowledged it: then the silence mutes the resolved message too
            firing = [m for m in d["messages"] if m["status"] == "firing"]
            assert firing and all(m["kind"] == "email" and m["tls"] and m["subject"] for m in firing), d["messages"]
            if d["acknowledged_s"] is None:
                assert o["rollback_at"] <= o["resolved_notified_at"]
            else:
                assert o["resolved_notified_at"] is None and o["rollback_at"] <= o["resolved_at"]
            for step in d["escalations"]:  # SOP-004's timeline: not before its delay, within its bound
                assert step["after_s"] - 0.002 <= step["arrived_s"] <= step["bound_s"], step
        else:  # P2 deferred: fired within the bound, never paged, cleared after the rollback
            assert e["labels"]["priority"] == "P2"
            assert e["for_s"] <= d["fire_latency_s"] <= e["fire_bound_s"]
            assert o["resolved_at"] >= o["rollback_at"]
    junit = (runner.report_dir / "junit.xml").read_text()
    assert junit.count('name="fire_bound_s"') == len(drills)
    assert runner.leftovers() == []


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_html_report_renders_in_headless_chromium(
    full_run: tuple[Runner, subprocess.CompletedProcess[str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    runner, _ = full_run
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed for this test (scripts/install --browser installs it)"
    report = runner.report_dir / "report.html"
    profile = tmp_path_factory.mktemp("chromium-profile")
    shot = profile / "report.png"
    base = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1200,3000"]
    dom = subprocess.run(
        [*base, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    drills = json.loads((runner.report_dir / "results.json").read_text())["drills"]
    assert dom.count('data-outcome="passed"') == len(drills)
    assert dom.count("<svg") >= len([d for d in drills if d["alert"]])
    assert "before fault" in dom and "after rollback" in dom and "under load" in dom and "SOP-004" in dom
    assert f"{len(drills)} passed" in dom and "time scale" in dom
    assert "fire bound" in dom and "recovery bound" in dom and "resolved page +" in dom
    subprocess.run([*base, f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
