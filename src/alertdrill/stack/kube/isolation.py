"""A fresh alerting state on kind: Prometheus and Alertmanager restarted (see KubeStack.isolate)."""

from __future__ import annotations

import logging
import time

from alertdrill.errors import SetupError
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.settings import KubeSettings
from alertdrill.stack.base import MIN_RANGE_SCRAPES
from alertdrill.stack.kube import commands
from alertdrill.stack.kube.tools import Runner, poll_command

log = logging.getLogger(__name__)

#: Services kube-prometheus-stack creates for release "kps" (port-forwarded on a cluster). Each has
#: the name of its Prometheus/Alertmanager object, whose pods the operator labels `<kind>=<name>`.
KPS_SERVICES = {
    "prometheus": ("kps-kube-prometheus-stack-prometheus", 9090),
    "alertmanager": ("kps-kube-prometheus-stack-alertmanager", 9093),
}


def restart_alerting(runner: Runner, kube: KubeSettings, context: str | None, scrape_interval_s: float) -> None:
    """Delete the Prometheus and Alertmanager pods, wait for their StatefulSets' new ones to be
    Ready, then for every rate() window to fill on the fresh TSDB (emptyDir on kind)."""
    log.info("isolating: restarting Prometheus and Alertmanager for a fresh alerting state")
    ns = kube.monitoring_namespace
    selectors = [f"{kind}={service}" for kind, (service, _port) in KPS_SERVICES.items()]
    for selector in selectors:
        runner.run(commands.kubectl_delete_pods(kube, context, ns, selector), timeout=TIMEOUTS.kube_delete_pods)
    for selector in selectors:  # the StatefulSet recreates the pod: wait for it to exist, then Ready
        wait = commands.kubectl_wait_pods_ready(kube, context, ns, selector, 120)
        if poll_command(runner, wait, lambda d: d.returncode == 0, TIMEOUTS.kube_recreate) is None:
            hint = f"kubectl describe pod -n {ns} -l {selector}"
            raise SetupError(
                f"after a restart for isolation, no Ready pod {selector} in {ns} within "
                f"{TIMEOUTS.kube_recreate:.0f}s; see `{hint}`"
            )
    time.sleep(MIN_RANGE_SCRAPES * scrape_interval_s)
