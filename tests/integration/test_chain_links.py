"""The first broken link, named (issue 27): the links no other twin breaks, each broken on purpose
on the real local stack — an inhibit rule that mutes the page, the Prometheus→Alertmanager link cut
until the rollback — and the one-line diagnosis asserted on its text."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, Runner

pytestmark = pytest.mark.integration


def _first_line(runner: Runner) -> str:
    (drill,) = json.loads((runner.report_dir / "results.json").read_text())["drills"]
    assert drill["outcome"] == "failed", drill
    return str(drill["message"]).splitlines()[0]


def test_an_inhibit_rule_that_mutes_the_page_is_named(runner: Runner, monitoring_copy: Callable[..., Path]) -> None:
    """An inhibit rule whose source always fires (the heartbeat) mutes every P0."""

    def mute_p0(text: str) -> str:
        doc = yaml.safe_load(text)
        doc["inhibit_rules"].append(
            {"source_matchers": ['alertname="Heartbeat"'], "target_matchers": ['severity="critical"']}
        )
        return yaml.safe_dump(doc, sort_keys=False)

    broken = monitoring_copy(mute_p0, "alertmanager/alertmanager.yml")
    proc = runner.run("run", "features/alerts/service_down.feature", "-q", "-k", "the_bff_is_killed",
                      "--monitoring", str(broken))  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    first = _first_line(runner)
    assert "first broken link: not suppressed broke: inhibited by inhibit_rules[1]" in first, first
    assert 'alertname="Heartbeat" mutes severity="critical"' in first and "set off by Heartbeat" in first, first


def test_a_link_cut_until_the_rollback_is_named(runner: Runner, tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    cut = scenarios / "alertmanager-unreachable-3m.yaml"
    cut.write_text(cut.read_text().replace("down_for: 180", "down_for: null"))
    proc = runner.run("run", "-q", "--tags", "pipeline", "--scenarios", str(scenarios),
                      "-k", "cannot_reach_alertmanager_for_3_minutes")  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    first = _first_line(runner)
    assert "first broken link: Alertmanager broke" in first and "no Alertmanager holds it" in first, first
