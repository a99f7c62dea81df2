"""What the Kubernetes API says of a fault's pods and nodes: a crash loop established, a node back.

Kept apart from the faults so each reads the status fields it waits for in one place.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from alertdrill.errors import FaultError
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll
from alertdrill.stack.kube import manifests
from alertdrill.stack.kube.api import KubeTarget

#: Start-and-crash cycles before a crash loop counts as applied (kube-state-metrics then shows it).
CRASH_CYCLES = 2


def node_ready_since(node_json: str, since: float) -> bool:
    """Whether `kubectl get node -o json` shows Ready=True with a heartbeat at or after `since`."""
    try:
        conditions = json.loads(node_json)["status"]["conditions"]
    except (ValueError, KeyError, TypeError):
        return False
    for c in conditions:
        if c.get("type") == "Ready" and c.get("status") == "True":
            beat = datetime.fromisoformat(str(c.get("lastHeartbeatTime", "")).replace("Z", "+00:00"))
            return beat.timestamp() >= since - 1.0  # RFC 3339 seconds: the second the restart began
    return False


def waiting_reason(status: Any) -> str | None:
    """Why a container (a V1ContainerStatus) is waiting, if it is."""
    waiting = status.state.waiting if status.state is not None else None
    return str(waiting.reason) if waiting is not None else None


def crash_looping(pods: list[Any], container: str) -> bool:
    """Some pod's `container` has crashed CRASH_CYCLES times and waits in CrashLoopBackOff."""
    statuses = [c for p in pods if p.status is not None for c in (p.status.container_statuses or [])]
    return any(
        c.name == container and c.restart_count >= CRASH_CYCLES and waiting_reason(c) == "CrashLoopBackOff"
        for c in statuses
    )


def wait_for_crashloop(target: KubeTarget, namespace: str, workload: str) -> None:
    """Applied once the surge pod has been scheduled, started and crashed twice and waits in
    CrashLoopBackOff (kubelet's 10 s, then 20 s back-off): before that kube-state-metrics has
    nothing to show, and that ramp belongs to the fault, not the alert's bound."""
    from kubernetes import client

    core = client.CoreV1Api(target.api_client())

    def looping() -> bool:
        return crash_looping(
            core.list_namespaced_pod(namespace, label_selector=manifests.selector(workload)).items, workload
        )

    timeout = TIMEOUTS.kube_crashloop_established
    if not poll(f"{workload} crash-looping", looping, poll_s=1.0, timeout_s=timeout).met:
        raise FaultError(f"no {workload} pod crash-looped {CRASH_CYCLES} times within {timeout:g}s of the patch")
