"""The one health wait of every stack: targets up, no alert pending or firing anywhere."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from alertdrill.errors import ObserveError, WaitTimeout
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.observe.prometheus import PrometheusClient

log = logging.getLogger(__name__)


def health_state(prom: PrometheusClient, am: AlertmanagerClient, jobs: Sequence[str]) -> str | None:
    """None when healthy; otherwise what is not (targets of `jobs` not up, alerts present)."""
    health = prom.target_health()
    down = {j: h for j, h in health.items() if j in jobs and set(h) != {"up"}}
    missing = [j for j in jobs if j not in health]
    alerts = [f"{a.name}({a.state})" for a in prom.alerts()] + [a.name for a in am.alerts()]
    if not down and not missing and not alerts:
        return None
    return f"targets not up: {down or missing}; alerts present: {alerts}"


def wait_until_healthy(
    prometheus_url: str,
    alertmanager_url: str,
    jobs: Sequence[str],
    timeout: float,
    *,
    poll_s: float = 0.1,
    hint: str = "",
    progress_every_s: float = 15.0,
) -> None:
    """Every target of `jobs` scraped and up, and no alert in Prometheus or Alertmanager.

    A server that cannot be reached yet is part of the state, not hidden: the timeout message
    says what was last seen (including the last error) and for how long it was waited for.
    """
    deadline = time.monotonic() + timeout
    next_log = time.monotonic() + progress_every_s
    state = "not asked yet"
    with PrometheusClient(prometheus_url) as prom, AlertmanagerClient(alertmanager_url) as am:
        while True:
            try:
                found = health_state(prom, am, jobs)
            except ObserveError as exc:
                found = f"not answering: {exc}"
            if found is None:
                return
            state = found
            now = time.monotonic()
            if now > deadline:
                raise WaitTimeout(
                    f"stack not healthy after {timeout:.0f}s: {state} (Prometheus {prometheus_url}){hint}"
                )
            if now > next_log:
                log.info("waiting for the stack to settle: %s", state)
                next_log = now + progress_every_s
            time.sleep(poll_s)
