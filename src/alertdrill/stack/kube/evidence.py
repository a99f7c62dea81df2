"""What a failed kind or cluster run keeps: the workload's log tails, and the cluster's logs
exported before the cluster is deleted."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.settings import KubeSettings
from alertdrill.stack.kube import commands
from alertdrill.stack.kube.tools import Runner

log = logging.getLogger(__name__)
Kubectl = Callable[..., list[str]]


def workload_log_tails(runner: Runner, kube: KubeSettings, kubectl: Kubectl) -> dict[str, str]:
    out = {}
    for name in ("bff", "workers", "recorder"):
        done = runner.run(
            kubectl("logs", f"deployment/{name}", "--tail", "40", "--namespace", kube.namespace),
            timeout=TIMEOUTS.kube_port_forward_ready,
            check=False,
        )
        out[f"kubectl logs {name}"] = done.stdout or done.stderr
    return out


def export_cluster_logs(runner: Runner, kube: KubeSettings, is_kind: bool, kubectl: Kubectl, dest: Path) -> Path | None:
    """kind: `kind export logs` (every node's kubelet, containerd and pod logs) before the
    cluster is deleted; a cluster: `kubectl cluster-info dump` of alertdrill's namespaces."""
    if is_kind:
        argv = commands.kind_export_logs(kube, dest)
    else:
        argv = kubectl(
            "cluster-info",
            "dump",
            "--namespaces",
            f"{kube.namespace},{kube.monitoring_namespace}",
            "--output-directory",
            str(dest),
        )
    done = runner.run(argv, timeout=TIMEOUTS.kube_kind_delete, check=False)
    if done.returncode != 0:
        log.warning("could not export the cluster's logs: %s", (done.stderr or done.stdout).strip()[-300:])
        return None
    log.info("cluster logs of the failed run: %s", dest)
    return dest
