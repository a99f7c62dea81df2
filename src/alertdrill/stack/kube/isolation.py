"""A fresh alerting state on kind: Prometheus restarted first, Alertmanager only once that
Prometheus has nothing to tell it (see KubeStack.isolate).

Why this order: a Prometheus restarted on an empty TSDB can fire `absent()` before its first
scrape, and Prometheus re-sends every resolved alert for 15 minutes (`rules/alerting.go`
resolvedRetention); each re-send re-creates its aggregation group in Alertmanager, so a later
drill's alert joins a live group and skips group_wait (the manager and the director emailed early
in the next escalation drill). Restarted together, the new Alertmanager receives that blip. So:
Prometheus first; wait until its targets are up, its rate() windows are full and no alert is
pending or firing; and check it fired nothing since it started (its whole TSDB is that long) — a
Prometheus that fired something is restarted again, since it would keep re-sending it. Only then
Alertmanager, which starts empty and hears only from a Prometheus with nothing resolved to re-send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from alertdrill.errors import SetupError
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll
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
#: Restarts of Prometheus before isolation gives up on a start that fires nothing.
PROMETHEUS_STARTS = 3

Query = Callable[[str], list[float]]


def _selector(kind: str) -> str:
    return f"{kind}={KPS_SERVICES[kind][0]}"


def _recreate(runner: Runner, kube: KubeSettings, context: str | None, kind: str) -> None:
    """Delete the pods of `kind`; wait until its StatefulSet's new one exists and is Ready."""
    ns, selector = kube.monitoring_namespace, _selector(kind)
    runner.run(commands.kubectl_delete_pods(kube, context, ns, selector), timeout=TIMEOUTS.kube_delete_pods)
    wait = commands.kubectl_wait_pods_ready(kube, context, ns, selector, 120)
    if poll_command(runner, wait, lambda d: d.returncode == 0, TIMEOUTS.kube_recreate) is None:
        raise SetupError(
            f"after a restart for isolation, no Ready pod {selector} in {ns} within {TIMEOUTS.kube_recreate:.0f}s; "
            f"see `kubectl describe pod -n {ns} -l {selector}`"
        )


def _but_always_firing(always_firing: Iterable[str]) -> str:
    """A matcher leaving out the alerts that always fire (a heartbeat), or nothing."""
    names = "|".join(sorted(always_firing))
    return f'alertname!~"{names}"' if names else ""


def quiet_alerts_query(always_firing: Iterable[str]) -> str:
    """Alerts other than the always-firing ones (a heartbeat) pending or firing now."""
    return f"count(ALERTS{{{_but_always_firing(always_firing)}}})"


def fired_since_start_query(always_firing: Iterable[str], age_s: float) -> str:
    """Alerts (but the always-firing) that fired at any evaluation of this Prometheus' life."""
    matchers = ",".join(m for m in ('alertstate="firing"', _but_always_firing(always_firing)) if m)
    return f"count(count_over_time(ALERTS{{{matchers}}}[{max(1, int(age_s))}s]))"


def _zero(values: list[float]) -> bool:
    return not values or values[0] == 0


def _fresh_prometheus(query: Query, always_firing: Iterable[str], started: float, scrape_s: float) -> bool:
    """Wait for a quiet, filled Prometheus; whether it fired nothing since `started`."""
    time.sleep(MIN_RANGE_SCRAPES * scrape_s)  # rate() windows fill on the fresh TSDB
    quiet = quiet_alerts_query(always_firing)
    timeout = TIMEOUTS.kube_recreate
    waited = poll("the restarted Prometheus quiet", lambda: query(quiet), poll_s=1.0, timeout_s=timeout, done=_zero)
    if not waited.met:
        raise SetupError(f"the restarted Prometheus still has alerts pending or firing ({quiet})")
    return not query(fired_since_start_query(always_firing, time.time() - started))


def restart_alerting(
    runner: Runner,
    kube: KubeSettings,
    context: str | None,
    scrape_interval_s: float,
    query: Query,
    always_firing: Iterable[str] = (),
) -> None:
    """Prometheus restarted until a start fires nothing (at most PROMETHEUS_STARTS), then Alertmanager."""
    log.info("isolating: restarting Prometheus, then Alertmanager, for a fresh alerting state")
    for attempt in range(1, PROMETHEUS_STARTS + 1):
        started = time.time()
        _recreate(runner, kube, context, "prometheus")
        if _fresh_prometheus(query, always_firing, started, scrape_interval_s):
            break
        log.warning("isolation: the restarted Prometheus fired an alert while starting (attempt %d)", attempt)
    else:
        raise SetupError(
            f"isolation: Prometheus fired an alert while starting at each of {PROMETHEUS_STARTS} restarts (an "
            "absent() before its first scrape?); it would re-send it to the next drill's Alertmanager for 15 "
            "minutes. Check its targets' discovery and first scrape"
        )
    _recreate(runner, kube, context, "alertmanager")
