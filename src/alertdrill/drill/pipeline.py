"""Then-steps about what a pipeline fault cost beyond lateness: pages sent twice, and a broken
Alertmanager config that must be refused while the old one keeps routing.

Why duplicates are counted, not failed by default: Alertmanager is at-least-once by design (its
docs: "fail open"); a SIGKILL loses the notification log, so the next flush pages again. Whether a
person paged twice is a failure is the team's call (`pipeline.duplicates` in policy.yml).
"""

from __future__ import annotations

import logging
import time

import yaml

from alertdrill.drill.paging import Page
from alertdrill.drill.people import firing_for
from alertdrill.drill.session import DrillSession
from alertdrill.errors import DrillFailure, ObserveError
from alertdrill.faults.injection import AM_CONFIG_VIA_OPERATOR
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.runtime.wait import sleep_until

log = logging.getLogger(__name__)


def duplicates(drill: DrillSession, page: Page) -> dict[str, list[float]]:
    """Per address, the arrival times (since firing) of pages that repeated an earlier one sooner
    than the route's repeat_interval allows: one incident, told twice."""
    repeat = min(r.repeat_interval_s for r in drill.expect.routes(page.alert, page.match))
    origin = page.firing_at or page.fault.fault_at
    by_address: dict[str, list[float]] = {}
    for n in sorted(
        firing_for(page, drill.stack.recorder.notifications(page.fault.fault_at)), key=lambda n: n.arrived_at
    ):
        for address in n.recipients:
            by_address.setdefault(address, []).append(n.arrived_at)
    out: dict[str, list[float]] = {}
    for address, times in by_address.items():
        again = [t for prev, t in zip(times, times[1:], strict=False) if t - prev < repeat]
        if again:
            out[address] = [round(t - origin, 3) for t in again]
    return out


def assert_no_duplicates(drill: DrillSession, page: Page) -> None:
    """Count every page sent twice; fail only when the team's policy says duplicates fail.

    Counted once a duplicate could have come: a group interval after the first page (a restarted
    peer's next flush), plus each later peer's wait and the slack."""
    routes = drill.expect.routes(page.alert, page.match)
    peers = drill.pipeline_policy.alertmanager_replicas - 1
    first = page.notified_at or time.time()
    timers = drill.stack.timing.pipeline
    sleep_until(first + max(r.group_interval_s for r in routes) + peers * timers.peer_timeout_s + drill.expect.slack_s)
    found = duplicates(drill, page)
    drill.evidence.duplicates = {a: len(ts) for a, ts in found.items()}
    if not found:
        return
    what = "; ".join(
        f"{a} again at +{', +'.join(f'{t:g}s' for t in ts)} after firing" for a, ts in sorted(found.items())
    )
    faults = ", ".join(o.describe(page.fault.fault_at) for o in drill.outages) or "no pipeline fault"
    if drill.pipeline_policy.duplicates == "fail":
        raise DrillFailure(
            f"alert {page.what} paged the same people twice ({what}; {faults}); the policy "
            f"({drill.expect.monitoring.root / 'policy.yml'} pipeline.duplicates: fail) forbids it"
        )
    log.warning("duplicate pages of %s (reported, policy allows): %s", page.what, what)


def assert_config_refused(drill: DrillSession) -> None:
    """Every Alertmanager still reports its last reload failed, and runs the routes it had.

    Where prometheus-operator hands configs to Alertmanager (kind, clusters), the operator refuses
    a config that does not parse before any Alertmanager sees it: there only "runs the routes it
    had" can be observed, and the fault says so by naming the operator as the part it broke."""
    via_operator = any(o.component == AM_CONFIG_VIA_OPERATOR for o in drill.outages)
    expected = sorted(r.get("name") for r in drill.expect.monitoring.alertmanager.get("receivers") or [])
    for url in drill.stack.alertmanager_urls:
        with AlertmanagerClient(url) as am:
            try:
                refused = not am.config_reload_ok()
                running = yaml.safe_load(am.status().get("config", {}).get("original", "")) or {}
            except (ObserveError, yaml.YAMLError) as exc:
                raise DrillFailure(f"Alertmanager {url} could not show its running config: {exc}") from exc
        if not refused and not via_operator:
            raise DrillFailure(
                f"Alertmanager {url} reports its last config reload successful: it accepted the broken config"
            )
        receivers = sorted(r.get("name") for r in running.get("receivers") or [])
        if receivers != expected:
            raise DrillFailure(f"Alertmanager {url} runs receivers {receivers}, not the config's {expected}")
