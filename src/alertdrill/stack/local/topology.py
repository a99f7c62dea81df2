"""The local stack's topology as data: nodes, where each pod runs, and each pod's containers.

Why data: the layout of FLUO's platform (NATS and the BFF on node-0, a worker on each of node-1
and node-2, traffic beside a worker) decides which alerts a node fault fires; it is read by the
stack, its faults, the kube node mapping and the tests, and changes in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alertdrill.runtime.ports import LOOPBACK
from alertdrill.runtime.probes import http_ok, python_module
from alertdrill.stack.local.pods import ContainerSpec

NAMESPACE = "fluo"
WORKLOAD_JOBS = ["bff", "workers", "nats"]
#: The pipeline scrapes itself too: the team's alerts about Alertmanager and Prometheus need it.
PIPELINE_JOBS = ["alertmanager", "prometheus"]
SCRAPED_JOBS = [*WORKLOAD_JOBS, "node-exporter", "kube-state-metrics", *PIPELINE_JOBS]
TRAFFIC_RPS = 20.0
NODE_MEMORY_BYTES = 512 * 2**20
NODE_DISK_BYTES = 256 * 2**20
NODES = ["node-0", "node-1", "node-2"]
#: Where each pod runs: NATS and the BFF on node-0, one worker each on node-1 and node-2.
PLACEMENT = {
    "nats-0": "node-0",
    "bff-0": "node-0",
    "workers-0": "node-1",
    "traffic-0": "node-1",
    "workers-1": "node-2",
}
WORKER_REPLICAS = 2


@dataclass(frozen=True)
class PodPlan:
    """One pod to create: its workload, name, node, scrape address (or None) and containers."""

    workload: str
    name: str
    metrics: str | None
    containers: list[ContainerSpec]

    @property
    def node(self) -> str:
        return PLACEMENT[self.name]


@dataclass(frozen=True)
class WorkloadPorts:
    nats: int
    nats_monitor: int
    bff: int


def workload_pods(
    ports: WorkloadPorts, claim: Callable[[str], int], nats_server: Path, nats_store: Path
) -> list[PodPlan]:
    """FLUO's workload: NATS JetStream (with its exporter), the workers, the BFF, steady traffic."""
    nats_url = f"nats://{LOOPBACK}:{ports.nats}"
    monitor = f"http://{LOOPBACK}:{ports.nats_monitor}"
    exporter = claim("nats-exporter")
    nats_argv = [
        str(nats_server),
        "-a",
        LOOPBACK,
        "-p",
        str(ports.nats),
        "-m",
        str(ports.nats_monitor),
        "-js",
        "-sd",
        str(nats_store),
        "--server_name",
        "fluo-nats-0",
    ]
    pods = [
        PodPlan(
            "nats",
            "nats-0",
            f"{LOOPBACK}:{exporter}",
            [
                ContainerSpec("nats", nats_argv, http_ok(f"{monitor}/healthz")),
                ContainerSpec(
                    "exporter",
                    python_module(
                        "alertdrill.workload.nats_exporter", "--port", str(exporter), "--monitor-url", monitor
                    ),
                    http_ok(f"http://{LOOPBACK}:{exporter}/metrics"),
                ),
            ],
        )
    ]
    for i in range(WORKER_REPLICAS):
        port = claim("worker")
        argv = python_module("alertdrill.workload.worker", "--metrics-port", str(port), "--nats-url", nats_url)
        worker = ContainerSpec("workers", argv, http_ok(f"http://{LOOPBACK}:{port}/metrics"))
        pods.append(PodPlan("workers", f"workers-{i}", f"{LOOPBACK}:{port}", [worker]))
    bff_url = f"http://{LOOPBACK}:{ports.bff}"
    bff_argv = python_module("alertdrill.workload.bff", "--port", str(ports.bff), "--nats-url", nats_url)
    pods.append(
        PodPlan(
            "bff", "bff-0", f"{LOOPBACK}:{ports.bff}", [ContainerSpec("bff", bff_argv, http_ok(f"{bff_url}/health"))]
        )
    )
    traffic = python_module("alertdrill.workload.traffic", "--url", bff_url, "--rps", str(TRAFFIC_RPS))
    pods.append(PodPlan("traffic", "traffic-0", None, [ContainerSpec("traffic", traffic)]))
    return pods
