"""Every lint, once where it must fire and once where it must not, on rules shaped like a public
rule set's (kubernetes-mixin's alerts, written here in our own words). A lint that fires on the
negative is a false alarm for every team with such a rule; one that misses the positive is blind."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from alertdrill.check.lint import Catalog, Policy, lint
from alertdrill.config.ruleset import AlertRule

SOP = Policy(
    priorities={"P0": "critical", "P1": "high"},
    required_annotations=("summary", "runbook_url"),
    paging_severities=("critical",),
    alerts={},
)
#: The SOP's own threshold and `for` for one alert.
TARGETED = Policy(SOP.priorities, SOP.required_annotations, SOP.paging_severities,
                  {"KubePersistentVolumeFillingUp": {"threshold": 0.03, "for": "1m"}})  # fmt: skip
NEUTRAL = Policy({}, (), (), {}, neutral=True)
SEVERITY_ONLY = Policy({}, (), ("critical",), {})
ANNOTATED = {"summary": "s", "runbook_url": "https://runbooks.example/x"}
LABELLED = {"severity": "critical", "priority": "P0"}
VOLUME = 'kubelet_volume_stats_available_bytes{job="kubelet"} / kubelet_volume_stats_capacity_bytes{job="kubelet"}'


@dataclass(frozen=True)
class Case:
    check: str
    expr: str
    for_s: float = 60.0
    labels: dict[str, str] = field(default_factory=lambda: dict(LABELLED))
    annotations: dict[str, str] = field(default_factory=lambda: dict(ANNOTATED))
    policy: Policy = SOP
    name: str = "KubePersistentVolumeFillingUp"


POSITIVE = {
    "promql": Case("promql", f"{VOLUME} < 0.03 and"),
    "metric": Case("metric", "kube_deployment_status_replicas_availble < 1"),  # a typo
    "job": Case("job", 'up{job="kubelett"} == 0'),
    "percentage": Case("percentage", 'increase(kube_pod_container_status_restarts_total{job="kube-state-metrics"}'
                       "[10m]) > 0", annotations={**ANNOTATED, "summary": "{{ $value | humanizePercentage }}"}),
    "labels (priorities)": Case("labels", f"{VOLUME} < 0.03", labels={"severity": "critical"}),
    "labels (severity only)": Case("labels", f"{VOLUME} < 0.03", labels={"team": "storage"}, policy=SEVERITY_ONLY),
    "annotations": Case("annotations", f"{VOLUME} < 0.03", annotations={"summary": "s"}),
    "threshold": Case("threshold", f"{VOLUME} < 0.05", policy=TARGETED),
    "for": Case("for", f"{VOLUME} < 0.03", for_s=300.0, policy=TARGETED),
}  # fmt: skip

NEGATIVE = {
    "promql": Case("promql", f"({VOLUME}) < 0.03 and kubelet_volume_stats_used_bytes{{job=\"kubelet\"}} > 0"),
    "metric": Case("metric", "kube_deployment_status_replicas_available != kube_deployment_spec_replicas"),
    "job": Case("job", 'up{job=~"kubelet|apiserver"} == 0'),
    "percentage": Case("percentage", f"{VOLUME} < 0.03",
                       annotations={**ANNOTATED, "summary": "{{ $value | humanizePercentage }} free"}),
    "labels (priorities)": Case("labels", f"{VOLUME} < 0.03"),
    "labels (severity only)": Case("labels", f"{VOLUME} < 0.03", labels={"severity": "warning"},
                                   policy=SEVERITY_ONLY),
    "annotations": Case("annotations", f"{VOLUME} < 0.03"),
    "threshold": Case("threshold", f"{VOLUME} < 0.03", policy=TARGETED),
    "for": Case("for", f"{VOLUME} < 0.03", for_s=60.0, policy=TARGETED),
}  # fmt: skip


#: The exporters a kubernetes-mixin team declares (policy.yml `exporters:`): the metric and job
#: lints judge names only against what is declared (issue 29).
MIXIN_EXPORTERS = ("kube-state-metrics", "kubelet", "kube-apiserver")


def checks(case: Case, catalog: Catalog | None = None) -> list[str]:
    rule = AlertRule(case.name, case.expr, case.for_s, case.labels, case.annotations, file=Path("alerts.yaml"))
    return [f.check for f in lint([rule], case.policy, catalog or Catalog.load(exporters=MIXIN_EXPORTERS))]


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_the_lint_fires_on_its_true_positive(name: str) -> None:
    case = POSITIVE[name]
    assert checks(case).count(case.check) == 1, checks(case)


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_the_lint_is_quiet_on_its_realistic_negative(name: str) -> None:
    case = NEGATIVE[name]
    assert checks(case) == [], f"false alarm: {checks(case)}"


def test_every_lint_has_both_cases() -> None:
    assert set(POSITIVE) == set(NEGATIVE)
    assert {c.check for c in POSITIVE.values()} == {"promql", "metric", "job", "percentage", "labels",
                                                    "annotations", "threshold", "for"}  # fmt: skip


def test_a_policy_naming_an_alert_the_config_lacks_is_a_finding_and_one_it_has_is_not() -> None:
    rule = AlertRule("KubePersistentVolumeFillingUp", f"{VOLUME} < 0.03", 60.0, LABELLED, ANNOTATED)
    assert [f.check for f in lint([rule], TARGETED, Catalog.load(exporters=MIXIN_EXPORTERS))] == []
    other = AlertRule("KubePodCrashLooping", "kube_pod_container_status_waiting_reason > 0", 900.0, LABELLED, ANNOTATED)
    assert [(f.rule, f.check) for f in lint([other], TARGETED, Catalog.load())] == [
        ("KubePersistentVolumeFillingUp", "missing")]  # fmt: skip


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_without_a_policy_only_what_is_true_of_every_config_is_linted(name: str) -> None:
    """No policy file and nothing declared: the SOP checks (labels, annotations, threshold, for)
    say nothing, and neither do the metric and job lints (a name nothing declares is unknown, not
    wrong); the checks every config must pass (parse, percentages) still do."""
    case = POSITIVE[name]
    neutral = Case(case.check, case.expr, case.for_s, case.labels, case.annotations, NEUTRAL)
    undeclared = case.check in ("labels", "annotations", "threshold", "for", "metric", "job")
    assert checks(neutral, Catalog.load()) == ([] if undeclared else [case.check])


def test_with_nothing_declared_a_near_miss_of_the_configs_own_name_is_a_typo() -> None:
    own = Catalog.load().with_known({"kube_deployment_status_replicas_available"}, {"kubelet"})
    assert checks(POSITIVE["metric"], own) == ["metric"]
    assert checks(POSITIVE["job"], own) == ["job"]
    assert checks(NEGATIVE["job"], own) == []  # apiserver: unknown to this config, and no near miss
