"""The pipeline drills (features/pipeline/, issue 25) on the real local stack: FLUO's config
passes every one; FLUO's config before them (one Alertmanager) fails the named ones; and each
verdict's negative twin fails saying what was lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Runner
from tests.integration.pipeline_configs import drills_of, fluo_before

pytestmark = pytest.mark.integration
ACK_DRILL = "an acknowledgement survives an Alertmanager SIGKILL"
DOWN_DRILL = "an incident that begins and ends while an Alertmanager is down is still paged"
KILLED_DRILL = "Alertmanager is killed after the first page and the escalation still comes"


def test_every_pipeline_drill_passes_on_fluos_config(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    proc = runner.run("run", "-q", "--tags", "pipeline", "--parallel", "auto", timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    drills = drills_of(runner)
    assert len(drills) == 13 and all(d["outcome"] == "passed" for d in drills.values())
    told = {name: d["told"] for name, d in drills.items() if d["told"]}
    assert len(told) == 4  # features/pipeline/heartbeat.feature: someone told, and told again
    for name, d in drills.items():
        assert d["pipeline"], name  # every one struck its pipeline fault and recorded it
        for t in d["told"]:
            assert t["told_s"] <= t["bound_s"] and t["recovered_s"] <= t["recovery_bound_s"], (name, t)
        if d["alert"] is None:  # a drill whose only fault is the pipeline: nothing to page
            continue
        assert d["notify_latency_s"] is not None and d["notify_latency_s"] <= d["expected"]["fire_bound_s"], name
    slipped = drills[KILLED_DRILL]["escalations"]
    assert slipped and slipped[0]["slip_s"] is not None and slipped[0]["arrived_s"] <= slipped[0]["bound_s"]


def test_fluos_config_before_the_pipeline_drills_fails_the_named_ones(tmp_path: Path) -> None:
    """One Alertmanager, and duplicates failing (the twin of "duplicates are counted"): the
    acknowledgement dies with a SIGKILL, a page during an outage is lost, the on-call is paged twice."""
    runner = Runner(tmp_path)
    monitoring = fluo_before(tmp_path, duplicates="fail")
    k = "acknowledgement_survives or begins_and_ends or killed_after_the_first_page"
    proc = runner.run("run", "-q", "--monitoring", str(monitoring), "--tags", "pipeline", "-k", k, timeout=600)
    assert proc.returncode == 1, proc.stdout[-5000:] + proc.stderr[-2000:]
    drills = drills_of(runner)
    assert {n: d["outcome"] for n, d in drills.items()} == {
        ACK_DRILL: "failed",
        DOWN_DRILL: "failed",
        KILLED_DRILL: "failed",
    }
    ack = str(drills[ACK_DRILL]["message"])
    assert "the acknowledgement did not stop the page" in ack and "lost with the Alertmanager outage" in ack
    assert "runs 1 Alertmanager(s)" in ack
    assert "lost to the pipeline fault: alertmanager down" in str(drills[DOWN_DRILL]["message"])
    assert "until the rollback" in str(drills[DOWN_DRILL]["message"])
    twice = str(drills[KILLED_DRILL]["message"])
    assert "paged the same people twice" in twice and "on-call-engineer@fluo.com again" in twice
