"""Queue-depth autoscaling (SOP-004 "Scaling: Auto-scale based on queue depth"), offline: the
ScaledObject KEDA gets, how the drill applies and removes it through kubectl (mocked: no cluster
runs here), and the local stack saying it does not model autoscaling."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from alertdrill.errors import FaultError
from alertdrill.stack.kube import values
from alertdrill.stack.kube.autoscaling import autoscale_on_queue, scaled_object
from alertdrill.stack.kube.tools import Completed
from alertdrill.workload.worker import DURABLE, STREAM

REPO = Path(__file__).parents[2]
KUBECTL = ["kubectl", "--context", "kind-alertdrill", "--namespace", "alertdrill"]


@dataclass
class MockedKubectl:
    """Answers as a cluster with (or without) KEDA's CRDs; records every command and its stdin."""

    keda: bool = True
    calls: list[tuple[tuple[str, ...], str | None]] = field(default_factory=list)

    def run(self, argv: Sequence[str], timeout: float = 0, check: bool = True, stdin: str | None = None) -> Completed:
        cmd = tuple(argv)
        self.calls.append((cmd, stdin))
        missing = "crd" in cmd and not self.keda
        return Completed(cmd, 1 if missing else 0, "", "NotFound" if missing else "")


def test_the_scaled_object_reads_the_workers_own_consumer_on_the_nats_monitor_port() -> None:
    obj = scaled_object("alertdrill", "workers", 2, 4, 200)
    trigger = obj["spec"]["triggers"][0]
    assert trigger["type"] == "nats-jetstream"
    assert trigger["metadata"] == {
        "natsServerMonitoringEndpoint": "nats.alertdrill.svc:8222",
        "account": "$G",
        "stream": STREAM,
        "consumer": DURABLE,  # the durable the workers pull with (workload/worker.py)
        "lagThreshold": "200",
    }
    assert (obj["spec"]["minReplicaCount"], obj["spec"]["maxReplicaCount"]) == (2, 4)
    assert obj["spec"]["scaleTargetRef"] == {"name": "workers"}
    # ...and on kind the NATS Service publishes that port (the chart keeps it off by default)
    kind_values = values.nats_values(REPO / "monitoring", kind=True)
    assert kind_values["service"]["ports"]["monitor"]["enabled"] is True


def test_applied_for_the_drill_and_removed_with_the_replicas_put_back_mocked_kubectl() -> None:
    kubectl = MockedKubectl()
    injection = autoscale_on_queue(kubectl, KUBECTL, "alertdrill", "workers", (2, 4), 200, restore_replicas=2)
    applied = [(c, s) for c, s in kubectl.calls if "apply" in c]
    assert len(applied) == 1 and json.loads(applied[0][1] or "{}")["kind"] == "ScaledObject"
    injection.revert()
    tail = [c[len(KUBECTL) :] for c, _ in kubectl.calls[-2:]]
    assert tail == [
        ("delete", "scaledobject", "workers-on-queue-depth", "--ignore-not-found"),
        ("scale", "deployment/workers", "--replicas=2"),  # deleting a ScaledObject leaves the replicas as they are
    ]


def test_a_cluster_without_keda_is_one_clear_line_mocked_kubectl() -> None:
    with pytest.raises(FaultError, match=r"no KEDA on this cluster \(CRD scaledobjects.keda.sh missing\)"):
        autoscale_on_queue(MockedKubectl(keda=False), KUBECTL, "alertdrill", "workers", (2, 4), 200, 2)


def test_the_local_stack_does_not_model_autoscaling_and_says_so() -> None:
    from alertdrill.stack.local.faults import LocalFaults

    with pytest.raises(FaultError, match="not modelled on the local stack"):
        LocalFaults.autoscale_on_queue(None, "workers", 2, 4, 200)  # type: ignore[arg-type]
