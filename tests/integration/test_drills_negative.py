"""Each foundation drill must fail when the config under test is broken on purpose.

One run per kind of break covers all four drills (one stack start per break, not per drill).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration

SCENARIOS = {
    "the BFF is killed",
    "the NATS workers are killed",
    "NATS is killed",
    "the BFF answers half of its requests with HTTP 500",
}


def _wrong_severity(text: str) -> str:
    return text.replace("severity: critical", "severity: high")


def _critical_route_elsewhere(text: str) -> str:
    return text.replace("    receiver: critical-oncall\n", "    receiver: oncall-primary\n")


def _for_ten_times_longer(text: str) -> str:
    return re.sub(r"for: (\d+)(s|m)", lambda m: f"for: {int(m.group(1)) * 10}{m.group(2)}", text)


BREAKS: dict[str, tuple[str, Callable[[str], str], str]] = {
    "wrong severity label": (
        "rules/fluo.rules.yml",
        _wrong_severity,
        r"carries \{'severity': 'high', 'priority': 'P0'\}, expected",
    ),
    "critical route to another receiver": (
        "alertmanager/alertmanager.yml",
        _critical_route_elsewhere,
        r"went to \['oncall-primary'\].*expected exactly "
        r"\['critical-oncall'\]",
    ),
    "for ten times longer": (
        "rules/fluo.rules.yml",
        _for_ten_times_longer,
        r"was not notified within [\d.]+s of the fault",
    ),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_every_drill_fails_on_a_broken_config(
    name: str, runner: Runner, monitoring_copy: Callable[..., Path]
) -> None:
    file, edit, message = BREAKS[name]
    broken = monitoring_copy(edit, file)
    proc = runner.run("run", "features/alerts", "-q", "--monitoring", str(broken))
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    drills = json.loads((runner.report_dir / "results.json").read_text())["drills"]
    assert {d["scenario"] for d in drills} == SCENARIOS
    for d in drills:
        assert d["outcome"] == "failed", d
        assert re.search(message, d["message"]), d["message"]
    dumps = list((runner.report_dir / "diagnostics").glob("*.txt"))
    assert len(dumps) == len(SCENARIOS)
    assert all("Prometheus alerts:" in p.read_text() and "log tail" in p.read_text() for p in dumps)
    assert runner.leftovers() == []
