"""Which Prometheus and Alertmanager a run's verdicts came from, as the running servers say.

Asked of the servers' own APIs rather than of the binaries alertdrill started, so the answer is
true on every backend: the local stack's processes, kind's chart images, an existing cluster's.
"""

from __future__ import annotations

from alertdrill.errors import ObserveError
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.stack.base import MonitoringStack


def running_versions(stack: MonitoringStack) -> dict[str, str]:
    """{"prometheus": "3.14.0", "alertmanager": "0.34.0"}; "unknown" where a server does not say."""
    versions = {"prometheus": "unknown", "alertmanager": "unknown"}
    try:
        with PrometheusClient(stack.prometheus_url) as prom:
            versions["prometheus"] = prom.version()
    except ObserveError:
        pass
    try:
        with AlertmanagerClient(stack.alertmanager_url) as am:
            versions["alertmanager"] = am.version()
    except ObserveError:
        pass
    return versions
