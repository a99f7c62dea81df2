"""The step grammar is shared by the steps, the plugin's plan and the coverage table."""

from __future__ import annotations

from pathlib import Path

from pytest_bdd import parsers

from alertdrill import grammar
from alertdrill.check.coverage import drilled_alerts

REPO = Path(__file__).resolve().parents[2]


def test_expected_alerts_reads_primary_and_also_alerts_with_their_hold() -> None:
    steps = [
        "the stack is healthy",
        'alert "PodCrashLooping" fires for pod "workers-1" after holding for 300 seconds',
        'alert "ServiceDown" also fires for job "workers" after holding for 30 seconds',
        'alert "HighMemoryUsage" stays quiet for the whole bound of its 900 second hold',
    ]
    assert grammar.expected_alerts(steps) == [
        grammar.ExpectedAlert("PodCrashLooping", {"pod": "workers-1"}, 300.0, also=False),
        grammar.ExpectedAlert("ServiceDown", {"job": "workers"}, 30.0, also=True),
    ]


def test_the_regex_and_the_step_parsers_agree_on_every_fires_step_of_the_features() -> None:
    """A fires-step the plan reads must be one a step definition parses, and the other way round."""
    for feature in (REPO / "features").rglob("*.feature"):
        for line in feature.read_text().splitlines():
            text = line.strip().split(" ", 1)[-1]
            parsed = any(
                parsers.parse(p).is_matching(text) for p in (grammar.FIRES, grammar.FIRES_DEFERRED, grammar.ALSO_FIRES)
            )
            assert bool(grammar.EXPECTED_ALERT.search(text)) == parsed, f"{feature.name}: {text}"


def test_coverage_counts_the_alerts_every_feature_drills() -> None:
    drilled = drilled_alerts(REPO / "features")
    assert {"ServiceDown", "HighErrorRate", "MessageQueueBacklog", "DiskSpaceRunningLow"} <= drilled


def test_receiver_lists_read_as_people_write_them() -> None:
    assert grammar.receiver_names('"high-oncall" and "high-team-lead"') == ["high-oncall", "high-team-lead"]
    assert grammar.receiver_names('"a", "b" and "c"') == ["a", "b", "c"]
