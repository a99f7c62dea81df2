"""The one health wait of every stack: targets up, no alert pending or firing anywhere."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from alertdrill.errors import ObserveError
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.runtime.wait import wait_for

log = logging.getLogger(__name__)


def health_state(
    prom: PrometheusClient, am: AlertmanagerClient, jobs: Sequence[str], always_firing: Collection[str] = ()
) -> str | None:
    """None when healthy; otherwise what is not (targets of `jobs` not up, alerts present).
    `always_firing`: the team's heartbeat, which fires on a healthy stack by design."""
    health = prom.target_health()
    down = {j: h for j, h in health.items() if j in jobs and set(h) != {"up"}}
    missing = [j for j in jobs if j not in health]
    alerts = [f"{a.name}({a.state})" for a in prom.alerts() if a.name not in always_firing]
    alerts += [a.name for a in am.alerts() if a.name not in always_firing]
    if not down and not missing and not alerts:
        return None
    hint = " (an alert that always fires, a heartbeat, is named in policy.yml meta_monitoring.heartbeat)"
    return f"targets not up: {down or missing}; alerts present: {alerts}" + (hint if alerts else "")


def wait_until_healthy(
    prometheus_url: str,
    alertmanager_url: str,
    jobs: Sequence[str],
    timeout: float,
    *,
    poll_s: float = 0.1,
    hint: str = "",
    progress_every_s: float = 15.0,
    always_firing: Collection[str] = (),
) -> None:
    """Every target of `jobs` scraped and up, and no alert in Prometheus or Alertmanager.

    A server that cannot be reached yet is part of the state, not hidden: the timeout message
    says what was last seen (including the last error) and for how long it was waited for.
    """
    with PrometheusClient(prometheus_url) as prom, AlertmanagerClient(alertmanager_url) as am:
        wait_for(
            f"stack healthy (Prometheus {prometheus_url})",
            lambda: health_state(prom, am, jobs, always_firing),
            done=lambda state: state is None,
            tolerate=(ObserveError,),
            poll_s=poll_s,
            timeout_s=timeout,
            on_progress=lambda w: log.info("waiting for the stack to settle: %s", w.last_seen()),
            progress_every_s=progress_every_s,
            hint=hint,
        )
