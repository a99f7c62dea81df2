"""Queue-depth autoscaling on kind: KEDA scaling the workers on the JOBS consumer's lag.

Why KEDA and why only while a drill asks for it: SOP-004 says "Scaling: Auto-scale based on queue
depth". KEDA's nats-jetstream scaler reads exactly that (the consumer's pending messages from the
NATS monitoring endpoint) and drives an HPA, so the drill proves the promise with the parts a
cluster would run. The ScaledObject exists only during the autoscaling drill: left in place, it
would drain the backlog the MessageQueueBacklog drill builds and turn that drill into this one.
"""

from __future__ import annotations

import json

from alertdrill.errors import FaultError
from alertdrill.faults.injection import CommandsUndo, Injection
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.stack.kube.commands import KEDA
from alertdrill.stack.kube.manifests import MANAGED, NATS_SERVICE, Manifest
from alertdrill.stack.kube.tools import Runner
from alertdrill.workload.worker import DURABLE, STREAM

KEDA_NAMESPACE = "keda"
#: The NATS chart's monitoring port (its Service publishes it: values.nats_values on kind).
NATS_MONITOR_PORT = 8222
#: How often KEDA asks NATS for the lag (its default is 30 s): one term of the scale-out time.
POLLING_INTERVAL_S = 5


def scaled_object(namespace: str, workload: str, min_replicas: int, max_replicas: int, lag: int) -> Manifest:
    """Scale `workload` between min and max replicas so each holds at most `lag` pending jobs."""
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": f"{workload}-on-queue-depth", "namespace": namespace, "labels": dict(MANAGED)},
        "spec": {
            "scaleTargetRef": {"name": workload},
            "pollingInterval": POLLING_INTERVAL_S,
            "cooldownPeriod": 30,
            "minReplicaCount": min_replicas,
            "maxReplicaCount": max_replicas,
            "triggers": [
                {
                    "type": "nats-jetstream",
                    "metadata": {
                        "natsServerMonitoringEndpoint": f"{NATS_SERVICE}.{namespace}.svc:{NATS_MONITOR_PORT}",
                        "account": "$G",
                        "stream": STREAM,
                        "consumer": DURABLE,
                        "lagThreshold": str(lag),
                    },
                }
            ],
        },
    }


def autoscale_on_queue(
    runner: Runner,
    kubectl: list[str],
    namespace: str,
    workload: str,
    replicas: tuple[int, int],
    lag: int,
    restore_replicas: int,
) -> Injection:
    """Apply the ScaledObject; undo: delete it (KEDA removes its HPA) and put the replica count back,
    which deleting a ScaledObject does not do. `kubectl`: the run's kubectl with its namespace."""
    if workload != "workers":
        raise FaultError(f"only the workers consume the queue, not {workload!r}")
    crd = runner.run([*kubectl, "get", "crd", "scaledobjects.keda.sh"], check=False)
    if crd.returncode != 0:
        raise FaultError(
            "no KEDA on this cluster (CRD scaledobjects.keda.sh missing): the kind stack installs it; on an "
            f"existing cluster install KEDA {KEDA.version} (helm install keda kedacore/keda -n keda) first"
        )
    obj = scaled_object(namespace, workload, replicas[0], replicas[1], lag)
    runner.run([*kubectl, "apply", "-f", "-"], timeout=TIMEOUTS.kube_apply, stdin=json.dumps(obj))
    name = obj["metadata"]["name"]
    delete = [*kubectl, "delete", "scaledobject", name, "--ignore-not-found"]
    scale = [*kubectl, "scale", f"deployment/{workload}", f"--replicas={restore_replicas}"]

    def undo() -> None:
        runner.run(delete, timeout=TIMEOUTS.kube_apply)
        runner.run(scale, timeout=TIMEOUTS.kube_apply)

    return Injection(undo, CommandsUndo((tuple(delete), tuple(scale))))
