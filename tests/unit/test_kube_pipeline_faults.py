"""The kind/cluster pipeline faults as command lines (no cluster here: a recording runner stands
in for kubectl, hence `_recorded_kubectl` in the names)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from alertdrill.errors import FaultError
from alertdrill.settings import Settings
from alertdrill.stack.kube.pipeline_faults import (
    ALERTMANAGER_CONFIG_SECRET,
    LINK_POLICY,
    KubePipelineFaults,
    PipelineTarget,
    link_policy,
)
from alertdrill.stack.kube.plan import PlanRunner
from alertdrill.stack.kube.tools import Completed


def _faults(replicas: int = 2, runner: PlanRunner | None = None) -> tuple[KubePipelineFaults, PlanRunner]:
    runner = runner or PlanRunner()
    faults = KubePipelineFaults()
    faults.pipeline = PipelineTarget(runner, Settings.resolve({"stack": "kind"}, env={}).kube, "kind-x", replicas)
    return faults, runner


def _joined(runner: PlanRunner) -> list[str]:
    return [" ".join(c) for c in runner.calls]


def test_killing_the_first_alertmanager_force_deletes_its_pod_and_heals_by_waiting_recorded_kubectl() -> None:
    faults, runner = _faults()
    injection = faults.kill_alertmanager(0)
    assert _joined(runner) == [
        "kubectl --context kind-x delete pod alertmanager-kps-kube-prometheus-stack-alertmanager-0 "
        "--namespace monitoring --grace-period=0 --force"
    ]
    injection.revert()
    (heal,) = _joined(runner)[1:]
    assert "wait --for=condition=Ready pod/alertmanager-kps-kube-prometheus-stack-alertmanager-0" in heal
    assert injection.pipeline == "alertmanager"


def test_the_last_alertmanager_is_held_down_by_scaling_the_operators_object_recorded_kubectl() -> None:
    faults, runner = _faults(replicas=2)
    injection = faults.kill_alertmanager(-1)
    calls = _joined(runner)
    assert calls[0].endswith('--patch {"spec": {"replicas": 1}}')  # scaled down first: not recreated
    assert "delete pod alertmanager-kps-kube-prometheus-stack-alertmanager-1" in calls[1]
    injection.revert()
    assert _joined(runner)[2].endswith('--patch {"spec": {"replicas": 2}}')
    # offline (`alertdrill revert` after a crash): the same scale-back line
    assert injection.offline.argv and injection.offline.argv[0][-1] == json.dumps({"spec": {"replicas": 2}})


def test_a_replica_the_cluster_does_not_run_is_refused_recorded_kubectl() -> None:
    faults, runner = _faults(replicas=1)
    with pytest.raises(FaultError, match="the cluster runs 1"):
        faults.kill_alertmanager(1)
    assert runner.calls == []


def test_the_relay_fails_and_heals_inside_the_recorder_pod_recorded_kubectl() -> None:
    faults, runner = _faults()
    faults.fail_mail_relay("4xx").revert()
    inject, heal = _joined(runner)
    assert "exec deploy/recorder --namespace alertdrill" in inject and "'mode': '4xx'" in inject
    assert "'mode': None" in heal and "/admin/relay" in heal


def test_the_link_is_cut_by_a_network_policy_that_admits_everyone_but_prometheus_recorded_kubectl() -> None:
    faults, runner = _faults()
    faults.cut_alertmanager_link().revert()
    assert _joined(runner) == [
        "kubectl --context kind-x apply -f -",
        f"kubectl --context kind-x delete networkpolicy {LINK_POLICY} --namespace monitoring --ignore-not-found",
    ]
    policy = link_policy("monitoring")
    (peer,) = policy["spec"]["ingress"][0]["from"]  # type: ignore[index]
    assert peer["podSelector"]["matchExpressions"] == [{"key": "prometheus", "operator": "DoesNotExist"}]


def test_a_broken_config_goes_into_the_operators_secret_and_the_original_comes_back_recorded_kubectl() -> None:
    faults, runner = _faults()
    injection = faults.break_alertmanager_config(broken=True)
    get, put = _joined(runner)
    assert f"get secret {ALERTMANAGER_CONFIG_SECRET}" in get
    pushed = json.loads(put.split("--patch ", 1)[1])["data"]["alertmanager.yaml"]
    assert base64.b64decode(pushed).decode().startswith("route: [")
    injection.revert()
    restored = json.loads(_joined(runner)[-1].split("--patch ", 1)[1])["data"]["alertmanager.yaml"]
    assert base64.b64decode(restored).startswith(b"(its current")  # what the recording runner answered
    assert injection.pipeline is not None and injection.pipeline.endswith("(operator)")


class _SecretWithoutConfig(PlanRunner):
    """Answers every read with nothing, as a Secret without an alertmanager.yaml key would."""

    def run(self, argv: Any, timeout: float = 0, check: bool = True, stdin: str | None = None) -> Completed:
        cmd = tuple(str(a) for a in argv)
        self.calls.append(cmd)
        return Completed(cmd, 0, "", "")


def test_a_secret_without_a_config_is_not_broken_recorded_kubectl() -> None:
    """Restoring an empty value would leave Alertmanager with no config: refuse before pushing."""
    faults, runner = _faults(runner=_SecretWithoutConfig())
    with pytest.raises(FaultError, match="has no alertmanager.yaml"):
        faults.break_alertmanager_config(broken=True)
    assert len(runner.calls) == 1  # the read only: nothing was pushed


def test_an_existing_clusters_own_monitoring_is_never_broken_recorded_kubectl() -> None:
    """On `--stack cluster` Prometheus and Alertmanager are the team's: refused before any command."""
    faults, runner = _faults()
    faults.pipeline = PipelineTarget(runner, faults.pipeline.kube, "ctx", 2, owned=False)
    for fault in (lambda: faults.kill_alertmanager(0), faults.kill_prometheus, faults.cut_alertmanager_link):
        with pytest.raises(FaultError, match="the team's own"):
            fault()
    assert runner.calls == []
