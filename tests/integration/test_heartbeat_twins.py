"""The negative twins of "someone is told when alerting breaks" (issue 26), on the real local
stack: each broken copy of FLUO's config fails the every-Alertmanager-down drill (the fastest
heartbeat drill) with the cause named, not a bare timeout."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, Runner
from tests.integration.pipeline_configs import drills_of, fluo_before

pytestmark = pytest.mark.integration
DRILL = "every_alertmanager_is_down"


def _failure(runner: Runner, monitoring: Path) -> str:
    proc = runner.run("run", "-q", "--monitoring", str(monitoring), "--tags", "pipeline", "-k", DRILL, timeout=300)
    assert proc.returncode == 1, proc.stdout[-5000:] + proc.stderr[-2000:]
    (drill,) = drills_of(runner).values()
    assert drill["outcome"] == "failed"
    return str(drill["message"])


def _fluo_with_heartbeat_route(tmp_path: Path, **changes: Any) -> Path:
    root = tmp_path / "monitoring"
    shutil.copytree(REPO / "monitoring", root)
    path = root / "alertmanager" / "alertmanager.yml"
    doc = yaml.safe_load(path.read_text())
    next(r for r in doc["route"]["routes"] if r.get("receiver") == "heartbeat").update(changes)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return root


def test_a_config_without_the_heartbeat_tells_nobody(tmp_path: Path) -> None:
    """FLUO's config before issue 26: no heartbeat, no alerts about the pipeline, no policy section."""
    message = _failure(Runner(tmp_path), fluo_before(tmp_path))
    assert "nobody can be told that alerting broke" in message and "no meta_monitoring: section" in message


def test_a_heartbeat_routed_through_the_mail_relay_never_reaches_its_service(tmp_path: Path) -> None:
    """Its route sends it to the on-call's email (the catch-all's receiver) instead of the ping URL."""
    message = _failure(Runner(tmp_path), _fluo_with_heartbeat_route(tmp_path, receiver="oncall-primary"))
    assert "the heartbeat never reaches its service" in message and "['oncall-primary'], not 'heartbeat'" in message


def test_a_repeat_interval_too_long_for_the_limit_says_nothing_about_the_fault(tmp_path: Path) -> None:
    """repeat_interval 5m: a ping every 5.5 minutes against a 1-minute period, so the service pages
    while alerting works, and its page during the drill proves nothing."""
    message = _failure(Runner(tmp_path), _fluo_with_heartbeat_route(tmp_path, repeat_interval="5m"))
    assert "the heartbeat pings every 330s" in message and "expects one every 60s" in message
