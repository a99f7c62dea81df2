"""Reading an existing cluster's Prometheus object: what it selects, how often it evaluates."""

from __future__ import annotations

import pytest

from alertdrill.errors import ConfigError
from alertdrill.stack.kube.operator import selection_from


def _prometheus(**spec: object) -> dict[str, object]:
    return {"items": [{"metadata": {"name": "p", "namespace": "mon"}, "spec": spec}]}


def test_empty_selectors_select_everything_and_need_no_labels() -> None:
    sel = selection_from(_prometheus(ruleSelector={}, serviceMonitorSelector={}, podMonitorSelector={}))
    assert (sel.rule_labels, sel.service_monitor_labels, sel.pod_monitor_labels) == ({}, {}, {})
    assert sel.eval_interval_s == 30.0  # the operator's default


def test_match_labels_and_interval_are_taken() -> None:
    sel = selection_from(
        _prometheus(
            evaluationInterval="15s",
            ruleSelector={"matchLabels": {"release": "kps", "team": "sre"}},
            serviceMonitorSelector={"matchLabels": {"release": "kps"}},
            podMonitorSelector={"matchLabels": {"release": "kps"}},
        )
    )
    assert sel.rule_labels == {"release": "kps", "team": "sre"} and sel.eval_interval_s == 15.0
    assert sel.name == "mon/p"


def test_an_unset_selector_loads_nothing_and_says_so() -> None:
    with pytest.raises(ConfigError, match="mon/p has no ruleSelector: it loads no such objects"):
        selection_from(_prometheus(serviceMonitorSelector={}, podMonitorSelector={}))


def test_no_prometheus_object_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="runs no prometheus-operator Prometheus object"):
        selection_from({"items": []})
