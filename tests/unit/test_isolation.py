"""Isolation between drills: reset only when an earlier alert may share the new one's group."""

from __future__ import annotations

from alertdrill.drill.watch import AlertHistory, shares_group

SERVICE_DOWN_BFF = ({"alertname": "ServiceDown", "job": "bff", "severity": "critical"}, ("alertname", "job"))


def test_same_alert_same_group_labels_collide() -> None:
    assert shares_group("ServiceDown", {"job": "bff", "instance": "x"}, SERVICE_DOWN_BFF)


def test_other_job_or_other_alert_is_another_group() -> None:
    assert not shares_group("ServiceDown", {"job": "workers"}, SERVICE_DOWN_BFF)
    assert not shares_group("HighErrorRate", {"job": "bff"}, SERVICE_DOWN_BFF)


def test_a_group_label_unknown_before_firing_counts_as_equal() -> None:
    """PodCrashLooping names its pod, but the route groups by job: any earlier one may share it."""
    key = ({"alertname": "PodCrashLooping", "pod": "workers-1"}, ("alertname", "job"))
    assert shares_group("PodCrashLooping", {"pod": "workers-0", "job": "kube-state-metrics"}, key)


def test_grouping_by_alertname_only_shares_across_jobs() -> None:
    key = ({"alertname": "ServiceDown", "job": "bff"}, ("alertname",))
    assert shares_group("ServiceDown", {"job": "workers"}, key)


def test_group_by_everything_compares_the_known_labels() -> None:
    key = ({"alertname": "ServiceDown", "job": "bff"}, ("...",))
    assert not shares_group("ServiceDown", {"job": "workers"}, key)
    assert shares_group("ServiceDown", {"job": "bff", "pod": "bff-0"}, key)


def test_history_collides_only_with_what_fired_and_an_unknown_past_always_collides() -> None:
    history = AlertHistory()
    assert not history.collides([SERVICE_DOWN_BFF])
    history.fired.append(("HighLatency", {"job": "bff"}))
    assert not history.collides([SERVICE_DOWN_BFF])
    history.fired.append(("*", {}))  # a drill whose alerts could not be read
    assert history.collides([SERVICE_DOWN_BFF])
