"""The exact kind, helm, kubectl and docker command lines, as pure functions.

Kept apart from running them so a test can read every command a kind run would issue without a
Docker engine, and so the README and the nightly workflow can quote the same lines.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.upstream import KUBE_PROMETHEUS_STACK_VERSION
from alertdrill.settings import KubeSettings


@dataclass(frozen=True)
class Chart:
    """A Helm chart pinned to one version: drills must not change under us between nights."""

    release: str
    repo_name: str
    repo_url: str
    chart: str
    version: str

    @property
    def ref(self) -> str:
        return f"{self.repo_name}/{self.chart}"


#: kube-prometheus-stack 88.5.3 ships operator v0.93.1, Prometheus v3.14.0, Alertmanager v0.34.0.
KUBE_PROMETHEUS_STACK = Chart(
    release="kps",
    repo_name="prometheus-community",
    repo_url="https://prometheus-community.github.io/helm-charts",
    chart="kube-prometheus-stack",
    version=KUBE_PROMETHEUS_STACK_VERSION,
)
#: The NATS chart 2.14.2: JetStream and the prometheus-nats-exporter sidecar (`-prefix=nats`).
NATS = Chart(
    release="nats",
    repo_name="nats",
    repo_url="https://nats-io.github.io/k8s/helm/charts/",
    chart="nats",
    version="2.14.2",
)
#: KEDA 2.21.1 (chart and app): the autoscaler of SOP-004's "auto-scale based on queue depth",
#: installed by the kind stack into its own namespace (autoscaling.py).
KEDA = Chart(
    release="keda",
    repo_name="kedacore",
    repo_url="https://kedacore.github.io/charts",
    chart="keda",
    version="2.21.1",
)
CHARTS = (KUBE_PROMETHEUS_STACK, NATS, KEDA)


def kube_context(kube: KubeSettings, kind: bool) -> str | None:
    """kind names its kubeconfig context `kind-<cluster>`; a cluster run uses the given one."""
    return f"kind-{kube.cluster_name}" if kind else kube.context


def _kubectl_globals(kube: KubeSettings, context: str | None) -> list[str]:
    out = []
    if kube.kubeconfig:
        out += ["--kubeconfig", str(kube.kubeconfig)]
    if context:
        out += ["--context", context]
    return out


def kubectl(kube: KubeSettings, context: str | None, *args: str) -> list[str]:
    """`kubectl` with the run's kubeconfig and context, then `args`."""
    return ["kubectl", *_kubectl_globals(kube, context), *args]


def _helm_globals(kube: KubeSettings, context: str | None) -> list[str]:
    out = []
    if kube.kubeconfig:
        out += ["--kubeconfig", str(kube.kubeconfig)]
    if context:
        out += ["--kube-context", context]
    return out


# -- kind and docker -----------------------------------------------------------------------------
def kind_get_clusters() -> list[str]:
    return ["kind", "get", "clusters"]


def kind_create(kube: KubeSettings, config: Path) -> list[str]:
    return ["kind", "create", "cluster", "--name", kube.cluster_name, "--config", str(config), "--wait", "180s"]


def kind_delete(kube: KubeSettings) -> list[str]:
    return ["kind", "delete", "cluster", "--name", kube.cluster_name]


def kind_export_logs(kube: KubeSettings, dest: Path) -> list[str]:
    return ["kind", "export", "logs", str(dest), "--name", kube.cluster_name]


def kind_load_image(kube: KubeSettings) -> list[str]:
    return ["kind", "load", "docker-image", kube.image, "--name", kube.cluster_name]


#: Docker's names for the runner's CPU (kind's nodes run on the runner, so this is theirs too).
DOCKER_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def node_platform() -> str:
    """The platform of kind's nodes: the runner's own (`linux/amd64` on GitHub's runners)."""
    machine = platform.machine().lower()
    return f"linux/{DOCKER_ARCH.get(machine, machine)}"


def docker_save(kube: KubeSettings, archive: Path) -> list[str]:
    """One platform only: a multi-platform save ends in containerd's `ctr import --all-platforms`
    inside the node, which fails on the platforms that were never built, like the command this
    fallback replaces."""
    return ["docker", "save", "--platform", node_platform(), "--output", str(archive), kube.image]


def kind_load_archive(kube: KubeSettings, archive: Path) -> list[str]:
    return ["kind", "load", "image-archive", str(archive), "--name", kube.cluster_name]


def docker_build(kube: KubeSettings, context_dir: Path) -> list[str]:
    """For the nodes' platform only, without a provenance attestation: BuildKit's default adds an
    attestation manifest, an image index that `kind load` then imports with --all-platforms."""
    return [
        "docker",
        "build",
        "--provenance=false",
        "--platform",
        node_platform(),
        "--tag",
        kube.image,
        "--file",
        str(context_dir / "Dockerfile"),
        str(context_dir),
    ]


#: The local stack's virtual nodes and the kind nodes they stand for (kind-config.yaml order).
KIND_NODES = {"node-0": "control-plane", "node-1": "worker", "node-2": "worker2"}


def kind_node_container(kube: KubeSettings, node: str) -> str:
    """kind's node containers: `<cluster>-control-plane`, `<cluster>-worker`, `<cluster>-worker2`."""
    return f"{kube.cluster_name}-{node}"


def docker_stop(container: str) -> list[str]:
    return ["docker", "stop", container]


def docker_start(container: str) -> list[str]:
    return ["docker", "start", container]


# -- helm ----------------------------------------------------------------------------------------
def helm_repo_add(chart: Chart) -> list[str]:
    return ["helm", "repo", "add", chart.repo_name, chart.repo_url, "--force-update"]


def helm_upgrade_install(
    kube: KubeSettings, context: str | None, chart: Chart, namespace: str, values: Path
) -> list[str]:
    return [
        "helm",
        "upgrade",
        "--install",
        chart.release,
        chart.ref,
        "--version",
        chart.version,
        "--namespace",
        namespace,
        "--create-namespace",
        "--values",
        str(values),
        "--wait",
        "--timeout",
        TIMEOUTS.go_duration(TIMEOUTS.kube_helm_wait),
        *_helm_globals(kube, context),
    ]


def helm_uninstall(kube: KubeSettings, context: str | None, chart: Chart, namespace: str) -> list[str]:
    return ["helm", "uninstall", chart.release, "--namespace", namespace, "--wait", *_helm_globals(kube, context)]


# -- kubectl -------------------------------------------------------------------------------------
def kubectl_apply(kube: KubeSettings, context: str | None, manifest: Path) -> list[str]:
    return ["kubectl", *_kubectl_globals(kube, context), "apply", "--server-side", "--filename", str(manifest)]


def kubectl_rollout_status(kube: KubeSettings, context: str | None, kind_name: str, namespace: str) -> list[str]:
    return [
        "kubectl",
        *_kubectl_globals(kube, context),
        "rollout",
        "status",
        kind_name,
        "--namespace",
        namespace,
        "--timeout",
        "300s",
    ]


def kubectl_delete_namespace(kube: KubeSettings, context: str | None, namespace: str) -> list[str]:
    return [
        "kubectl",
        *_kubectl_globals(kube, context),
        "delete",
        "namespace",
        namespace,
        "--ignore-not-found",
        "--wait",
        "--timeout",
        "180s",
    ]


def kubectl_port_forward(
    kube: KubeSettings, context: str | None, namespace: str, target: str, local_port: int, remote_port: int
) -> list[str]:
    return [
        "kubectl",
        *_kubectl_globals(kube, context),
        "port-forward",
        "--namespace",
        namespace,
        "--address",
        "127.0.0.1",
        target,
        f"{local_port}:{remote_port}",
    ]


def kubectl_delete_pods(kube: KubeSettings, context: str | None, namespace: str, selector: str) -> list[str]:
    return kubectl(
        kube,
        context,
        "delete",
        "pod",
        "--selector",
        selector,
        "--namespace",
        namespace,
        "--wait=true",
        f"--timeout={TIMEOUTS.go_duration(TIMEOUTS.kube_wait_condition)}",
    )


def kubectl_wait_pods_ready(
    kube: KubeSettings, context: str | None, namespace: str, selector: str, timeout_s: int
) -> list[str]:
    return kubectl(
        kube,
        context,
        "wait",
        "--for=condition=Ready",
        "pod",
        "--selector",
        selector,
        "--namespace",
        namespace,
        f"--timeout={timeout_s}s",
    )
