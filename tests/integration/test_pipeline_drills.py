"""The pipeline drills (features/pipeline/, issue 25) on the real local stack: FLUO's config
passes every one; FLUO's config before them (one Alertmanager) fails the named ones; and each
verdict's negative twin fails saying what was lost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, Runner

pytestmark = pytest.mark.integration
BEFORE = REPO / "tests" / "fixtures" / "fluo-before-pipeline"
ACK_DRILL = "an acknowledgement survives an Alertmanager SIGKILL"
DOWN_DRILL = "an incident that begins and ends while an Alertmanager is down is still paged"
KILLED_DRILL = "Alertmanager is killed after the first page and the escalation still comes"


def _drills(runner: Runner) -> dict[str, dict[str, object]]:
    results = json.loads((runner.report_dir / "results.json").read_text())
    return {d["scenario"]: d for d in results["drills"]}


def _fluo_before(tmp: Path, duplicates: str = "report") -> Path:
    """FLUO's monitoring dir with the two files the pipeline drills changed, as they were."""
    dest = tmp / "monitoring-before"
    shutil.copytree(REPO / "monitoring", dest)
    shutil.copy(BEFORE / "policy.yml", dest / "policy.yml")
    shutil.copy(
        BEFORE / "k8s" / "kube-prometheus-stack.values.yaml", dest / "k8s" / "kube-prometheus-stack.values.yaml"
    )
    if duplicates != "report":
        with (dest / "policy.yml").open("a") as f:
            f.write(f"pipeline: {{duplicates: {duplicates}}}\n")
    return dest


def test_every_pipeline_drill_passes_on_fluos_config(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    proc = runner.run("run", "-q", "--tags", "pipeline", "--parallel", "auto", timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    drills = _drills(runner)
    assert len(drills) == 9 and all(d["outcome"] == "passed" for d in drills.values())
    for name, d in drills.items():
        assert d["pipeline"], name  # every one struck its pipeline fault and recorded it
        assert d["notify_latency_s"] is not None and d["notify_latency_s"] <= d["expected"]["fire_bound_s"], name
    slipped = drills[KILLED_DRILL]["escalations"]
    assert slipped and slipped[0]["slip_s"] is not None and slipped[0]["arrived_s"] <= slipped[0]["bound_s"]


def test_fluos_config_before_the_pipeline_drills_fails_the_named_ones(tmp_path: Path) -> None:
    """One Alertmanager, and duplicates failing (the twin of "duplicates are counted"): the
    acknowledgement dies with a SIGKILL, a page during an outage is lost, the on-call is paged twice."""
    runner = Runner(tmp_path)
    monitoring = _fluo_before(tmp_path, duplicates="fail")
    k = "acknowledgement_survives or begins_and_ends or killed_after_the_first_page"
    proc = runner.run("run", "-q", "--monitoring", str(monitoring), "--tags", "pipeline", "-k", k, timeout=600)
    assert proc.returncode == 1, proc.stdout[-5000:] + proc.stderr[-2000:]
    drills = _drills(runner)
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


def test_a_mail_relay_failing_until_the_rollback_loses_the_page(tmp_path: Path) -> None:
    """The twin of "no page lost": the relay's 3-minute failure made to last until the rollback, so
    the page cannot come during the incident; the drill must fail and name the relay, not report a
    late page as on time."""
    runner = Runner(tmp_path)
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    relay = scenarios / "mail-relay-451-3m.yaml"
    relay.write_text(relay.read_text().replace("down_for: 180", "down_for: null"))
    proc = runner.run(
        "run", "-q", "--scenarios", str(scenarios), "--tags", "pipeline", "-k", "answers_451", timeout=300
    )
    assert proc.returncode == 1, proc.stdout[-5000:] + proc.stderr[-2000:]
    (drill,) = _drills(runner).values()
    assert drill["outcome"] == "failed"
    assert "lost to the pipeline fault: mail relay down" in str(drill["message"])
    assert "until the rollback" in str(drill["message"])


def test_a_config_alertmanager_accepts_is_not_reported_as_refused(tmp_path: Path) -> None:
    """The twin of "the broken config was refused": a fault that pushes a config Alertmanager
    accepts (here, the same config) must fail the refused-step, naming the accepting Alertmanager."""
    runner = Runner(tmp_path)
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    broken = scenarios / "alertmanager-config-broken.yaml"
    broken.write_text(broken.read_text().replace("func: break_alertmanager_config", "func: reload_alertmanager_config"))
    proc = runner.run("run", "-q", "--scenarios", str(scenarios), "--tags", "pipeline", "-k", "broken", timeout=300)
    assert proc.returncode == 1, proc.stdout[-5000:] + proc.stderr[-2000:]
    (drill,) = _drills(runner).values()
    assert "reports its last config reload successful" in str(drill["message"])


def test_an_alertmanager_down_until_the_rollback_loses_the_escalation(tmp_path: Path) -> None:
    """The twin of "the escalation survives a restart": with FLUO's one Alertmanager killed and
    not restarted until the rollback, the senior engineer's 5-minute step cannot come; the drill
    must fail naming the step and the outage, not pass on the first page alone."""
    runner = Runner(tmp_path)
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    killed = scenarios / "alertmanager-killed.yaml"
    killed.write_text(killed.read_text().replace("down_for: 0", "down_for: null"))
    monitoring = _fluo_before(tmp_path)
    args = ["--monitoring", str(monitoring), "--scenarios", str(scenarios), "--tags", "pipeline"]
    proc = runner.run("run", "-q", *args, "-k", "killed_after_the_first_page", timeout=300)
    assert proc.returncode == 1, proc.stdout[-5000:] + proc.stderr[-2000:]
    (drill,) = _drills(runner).values()
    message = str(drill["message"])
    assert "did not escalate to senior-engineer@fluo.com" in message, message
    assert "lost to the pipeline fault: alertmanager down" in message and "until the rollback" in message
    assert drill["pipeline"] and drill["pipeline"][0]["component"] == "alertmanager"
