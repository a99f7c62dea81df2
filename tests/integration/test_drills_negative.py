"""Each drill must fail when the config under test is broken on purpose.

One run per kind of break covers every drill it applies to (a stack start per break, not per
drill). Breaks that only change labels or routes run at time scale 120 to save time; `for` ten
times longer runs at the default scale, where it is far outside the bound.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration

RULES, AM = "rules/fluo.rules.yml", "alertmanager/alertmanager.yml"
FOUNDATION = ["features/alerts/service_down.feature", "features/alerts/high_error_rate.feature"]
NEW = [
    "features/alerts/high_latency.feature",
    "features/alerts/message_queue_backlog.feature",
    "features/alerts/pod_crash_looping.feature",
    "features/alerts/kubernetes_node_down.feature",
    "features/alerts/high_memory_usage.feature",
    "features/alerts/disk_space_running_low.feature",
]


def _swap_severities(text: str) -> str:
    table = {"critical": "high", "high": "medium", "medium": "high"}
    return re.sub(r"severity: (critical|high|medium)", lambda m: f"severity: {table[m.group(1)]}", text)


def _routes_elsewhere(text: str) -> str:
    for receiver in ("critical-oncall", "high-team-lead", "medium-oncall"):
        text = text.replace(f"    receiver: {receiver}\n", "    receiver: oncall-primary\n")
    return text


def _for_ten_times_longer(text: str) -> str:
    return re.sub(r"for: (\d+)(s|m)", lambda m: f"for: {int(m.group(1)) * 10}{m.group(2)}", text)


def _thresholds_moved(text: str) -> str:
    for old, new in (
        (") > 0.2\n", ") > 0.5\n"),
        ("nats_stream_total_messages > 1000", "nats_stream_total_messages > 5000"),
        ("node_memory_MemTotal_bytes > 0.8", "node_memory_MemTotal_bytes > 0.95"),
        ("node_filesystem_size_bytes) < 0.1", "node_filesystem_size_bytes) < 0.01"),
        ('up{job="node-exporter"}', 'up{job="kubernetes-nodes"}'),
        ('{reason="CrashLoopBackOff"}[5m]) >= 1', '{reason="CrashLoopBackOff"}[5m]) >= 2'),
    ):
        assert old in text, old
        text = text.replace(old, new)
    return text


BREAKS: dict[str, tuple[str, Callable[[str], str], list[str], str, str]] = {
    "wrong severity label": (
        RULES,
        _swap_severities,
        FOUNDATION + NEW,
        "120",
        r"carries \{'severity': '\w+', 'priority': 'P\d'\}, expected",
    ),
    "routes to another receiver": (
        AM,
        _routes_elsewhere,
        FOUNDATION + NEW,
        "120",
        r"(went to|is routed to) \['oncall-primary'.*expected exactly",
    ),
    "for ten times longer": (
        RULES,
        _for_ten_times_longer,
        FOUNDATION,
        "60",
        r"was not notified within [\d.]+s of the fault",
    ),
    "threshold or matcher moved": (
        RULES,
        _thresholds_moved,
        NEW,
        "120",
        r"(was not notified|did not fire) within [\d.]+s of the fault",
    ),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_every_drill_fails_on_a_broken_config(name: str, runner: Runner, monitoring_copy: Callable[..., Path]) -> None:
    file, edit, features, scale, message = BREAKS[name]
    broken = monitoring_copy(edit, file)
    proc = runner.run(
        "run",
        *features,
        "-q",
        "--monitoring",
        str(broken),
        "--time-scale",
        scale,
        "--tags",
        "not edge and not slow",
        timeout=600,
    )
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    drills = json.loads((runner.report_dir / "results.json").read_text())["drills"]
    assert len(drills) >= len(features)
    for d in drills:
        assert d["outcome"] == "failed", d
        assert re.search(message, d["message"]), d["message"]
    dumps = list((runner.report_dir / "diagnostics").glob("*.txt"))
    assert len(dumps) == len(drills)
    assert all("Prometheus alerts:" in p.read_text() and "log tail" in p.read_text() for p in dumps)
    assert runner.leftovers() == []
