"""Each drill must fail when the config under test is broken on purpose.

The foundation drills: one run per kind of break (wrong severity, critical route elsewhere, `for`
ten times longer), each covering all six drills. The six newer drills: one run in which each of
their alerts is broken in its own way (threshold, matcher, severity or route), at time scale 120.
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
    """The immediate P0 route pages the team lead instead of the on-call (escalation left as is)."""
    return text.replace("    receiver: critical-oncall\n", "    receiver: high-team-lead\n")


def _for_ten_times_longer(text: str) -> str:
    return re.sub(r"for: (\d+)(s|m)", lambda m: f"for: {int(m.group(1)) * 10}{m.group(2)}", text)


def _each_new_alert_broken_its_own_way(text: str) -> str:
    """One mistake per new alert rule, so one run proves every new drill fails for its own reason."""
    for old, new in (
        (") > 0.2\n", ") > 0.5\n"),  # HighLatency threshold
        ("node_memory_MemTotal_bytes > 0.8", "node_memory_MemTotal_bytes > 0.95"),  # HighMemoryUsage threshold
        ('{reason="CrashLoopBackOff"}[5m]) >= 1', '{reason="CrashLoopBackOff"}[5m]) >= 2'),  # PodCrashLooping
        ('up{job="node-exporter"}', 'up{job="kubernetes-nodes"}'),  # KubernetesNodeDown matcher (the SOP's)
    ):
        assert old in text, old
        text = text.replace(old, new)
    disk = text.index("alert: DiskSpaceRunningLow")
    return text[:disk] + text[disk:].replace("severity: medium", "severity: high", 1)


NEW_FAILURES = {
    "HighLatency": r"HighLatency\{job=\"bff\"\} was not notified within",
    "HighMemoryUsage": r"HighMemoryUsage\{node=\"node-1\"\} did not fire within",
    "PodCrashLooping": r"PodCrashLooping\{container=\"workers\"\} was not notified within",
    "KubernetesNodeDown": r"KubernetesNodeDown\{node=\"node-2\"\} was not notified within",
    "MessageQueueBacklog": r"expected exactly \['on-call-engineer@fluo.com'\].*not expected \['team-lead@fluo.com'\]",
    "DiskSpaceRunningLow": r"carries \{'severity': 'high', 'priority': 'P2'\}",
}

#: The one-line diagnosis each break must lead with (drill/chain.py): the first link that broke.
NEW_LINKS = {
    "HighLatency": "first broken link: expression broke",
    "HighMemoryUsage": "first broken link: expression broke",
    "PodCrashLooping": "first broken link: expression broke",
    "KubernetesNodeDown": "first broken link: expression broke",
    "MessageQueueBacklog": "first broken link: delivered broke",
}
LINKS = {
    "critical route to another receiver": "first broken link: delivered broke",
    "for ten times longer": "first broken link: for broke",
}

BREAKS: dict[str, tuple[str, Callable[[str], str], str]] = {
    "wrong severity label": (RULES, _swap_severities, r"carries \{'severity': 'high', 'priority': 'P0'\}, expected"),
    "critical route to another receiver": (
        AM,
        _routes_elsewhere,
        r"emailed to \['team-lead@fluo.com'\], expected exactly \['on-call-engineer@fluo.com'\]",
    ),
    "for ten times longer": (RULES, _for_ten_times_longer, r"was not notified within [\d.]+s of the fault"),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_every_foundation_drill_fails_on_a_broken_config(
    name: str, runner: Runner, monitoring_copy: Callable[..., Path]
) -> None:
    file, edit, message = BREAKS[name]
    drills = _run_broken(runner, monitoring_copy(edit, file), FOUNDATION, "60")
    assert len(drills) == 6  # ServiceDown's five (one a deleted workload's) and HighErrorRate
    for d in drills:
        assert re.search(message, d["message"]), d["message"]
        if name in LINKS:  # the diagnosis comes first, the full account under it
            assert LINKS[name] in d["message"].splitlines()[0], d["message"]
            assert d["chains"] and d["chains"][0]["line"].startswith(LINKS[name]), d["chains"]


def test_every_new_drill_fails_on_its_own_broken_rule(runner: Runner, monitoring_copy: Callable[..., Path]) -> None:
    monitoring_copy(_each_new_alert_broken_its_own_way, RULES)
    # MessageQueueBacklog's break is in the routing tree: the team lead, P1's fallback, paged at once
    # (its 15-minute group_wait dropped: SOP-004's fallback read as a second primary).
    fallback = "    receiver: high-team-lead\n    group_wait: 15m\n"
    broken = monitoring_copy(lambda t: t.replace(fallback, "    receiver: high-team-lead\n"), AM)
    drills = _run_broken(runner, broken, NEW, "120")
    assert {d["alert"] for d in drills} == set(NEW_FAILURES)
    for d in drills:
        assert re.search(NEW_FAILURES[d["alert"]], d["message"]), d["message"]
        if d["alert"] in NEW_LINKS:
            assert NEW_LINKS[d["alert"]] in d["message"].splitlines()[0], d["message"]


def _run_broken(runner: Runner, broken: Path, features: list[str], scale: str) -> list[dict]:  # type: ignore[type-arg]
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
    drills: list[dict] = json.loads((runner.report_dir / "results.json").read_text())["drills"]  # type: ignore[type-arg]
    assert all(d["outcome"] == "failed" for d in drills), drills
    dumps = list((runner.report_dir / "diagnostics").glob("*.txt"))
    assert len(dumps) == len(drills)
    assert all("Prometheus alerts:" in p.read_text() and "log tail" in p.read_text() for p in dumps)
    assert runner.leftovers() == []
    return drills
