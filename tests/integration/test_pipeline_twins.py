"""The pipeline drills' negative twins (issue 25), on the real local stack: each verdict fails,
saying what was lost, when the config or the fault is broken on purpose. A file of its own so it
runs beside test_pipeline_drills.py (pytest-xdist puts a file on one worker)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, Runner
from tests.integration.pipeline_configs import drills_of, fluo_before

pytestmark = pytest.mark.integration


def test_a_lost_page_and_an_accepted_config_fail_their_drills(tmp_path: Path) -> None:
    """Two twins in one run (each drill on its own stack, so neither sees the other's fault):
    - of "no page lost": the relay's 3-minute failure made to last until the rollback, so the page
      cannot come during the incident; the drill must fail naming the relay, not pass a late page;
    - of "the broken config was refused": the fault reloads a config Alertmanager accepts (its own),
      so the refused-step must fail, naming the Alertmanager that accepted it."""
    runner = Runner(tmp_path)
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    relay = scenarios / "mail-relay-451-3m.yaml"
    relay.write_text(relay.read_text().replace("down_for: 180", "down_for: null"))
    config = scenarios / "alertmanager-config-broken.yaml"
    config.write_text(config.read_text().replace("func: break_alertmanager_config", "func: reload_alertmanager_config"))
    args = ["--scenarios", str(scenarios), "--tags", "pipeline", "--parallel", "2"]
    proc = runner.run("run", "-q", *args, "-k", "answers_451 or broken", timeout=300)
    assert proc.returncode == 1, proc.stdout[-5000:] + proc.stderr[-2000:]
    drills = drills_of(runner)
    lost = drills["the mail relay answers 451 for 3 minutes"]
    assert lost["outcome"] == "failed"
    assert "lost to the pipeline fault: mail relay down" in str(lost["message"])
    assert "until the rollback" in str(lost["message"])
    # the diagnosis first: the email integration failed, counted by Alertmanager itself
    first_line = str(lost["message"]).splitlines()[0]
    assert "first broken link: integration broke" in first_line and "failed email requests" in first_line
    accepted = drills["a broken Alertmanager config is refused and the old one keeps routing"]
    assert accepted["outcome"] == "failed"
    assert "reports its last config reload successful" in str(accepted["message"])


def test_an_alertmanager_down_until_the_rollback_loses_the_escalation(tmp_path: Path) -> None:
    """The twin of "the escalation survives a restart": with FLUO's one Alertmanager killed and
    not restarted until the rollback, the senior engineer's 5-minute step cannot come; the drill
    must fail naming the step and the outage, not pass on the first page alone."""
    runner = Runner(tmp_path)
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    killed = scenarios / "alertmanager-killed.yaml"
    killed.write_text(killed.read_text().replace("down_for: 0", "down_for: null"))
    monitoring = fluo_before(tmp_path)
    args = ["--monitoring", str(monitoring), "--scenarios", str(scenarios), "--tags", "pipeline"]
    proc = runner.run("run", "-q", *args, "-k", "killed_after_the_first_page", timeout=300)
    assert proc.returncode == 1, proc.stdout[-5000:] + proc.stderr[-2000:]
    (drill,) = drills_of(runner).values()
    message = str(drill["message"])
    assert "did not escalate to senior-engineer@fluo.com" in message, message
    assert "first broken link: Alertmanager broke" in message.splitlines()[0] and "no Alertmanager answers" in message
    assert "lost to the pipeline fault: alertmanager down" in message and "until the rollback" in message
    assert drill["pipeline"] and drill["pipeline"][0]["component"] == "alertmanager"
