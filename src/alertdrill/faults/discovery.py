"""A fault that takes targets out of service discovery strikes a quiet discovery manager.

Why wait: Prometheus' discovery manager hands target changes to the scrapers with a back-off
(`discovery/manager.go` sender, Prometheus 3): from 100 ms (±50 %) once nothing was handed on for
5 s, growing by half each round while changes keep coming, up to 5 s (±50 %). A target that leaves
right after a reload, a restart or another pod's churn is dropped up to 7.5 s late; one that leaves
a quiet manager, within 0.15 s. The bound's "target left discovery" term counts the quiet case, so
the fault waits for it rather than widen every bound by seconds that a quiet system never sees.
Read from Prometheus' own `prometheus_sd_updates_total` (one increment per hand-off), as it
scrapes itself: the same on the local stack and a cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from alertdrill.config.durations import format_duration
from alertdrill.errors import FaultError
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll

log = logging.getLogger(__name__)

#: Quiet for this long, the back-off has restarted: after churn it sits at its 5 s cap (±50 %), so
#: the round that first sees 5 s without a hand-off can end 7.5 s after one that came at 4.9 s.
QUIET_S = 12.5


def quiet_query(scrape_s: float) -> str:
    """Hand-offs within the quiet window, widened by two scrapes: the counter is seen once per
    scrape, and `changes()` compares samples inside the window, the first of which may come late."""
    window = format_duration(QUIET_S + 2 * scrape_s)
    return f'sum(changes(prometheus_sd_updates_total{{name="scrape"}}[{window}]))'


def wait_until_discovery_quiet(query: Callable[[str], list[float]], scrape_s: float) -> None:
    """Return once Prometheus has handed on no target change for `QUIET_S`; a Prometheus that does
    not scrape itself cannot say, so the fault goes ahead and the log says the bound assumes it."""
    expr = quiet_query(scrape_s)
    if not query(expr):
        log.warning("Prometheus does not scrape itself: cannot tell whether its discovery is quiet (%s)", expr)
        return
    waited = poll(
        f"Prometheus' service discovery quiet for {QUIET_S:g} s",
        lambda: query(expr),
        done=lambda values: bool(values) and values[0] == 0,
        poll_s=0.5,
        timeout_s=TIMEOUTS.discovery_quiet,
    )
    if not waited.met:
        raise FaultError(
            f"Prometheus' service discovery handed on target changes throughout {TIMEOUTS.discovery_quiet:g} s "
            f"({expr} never read 0): something keeps changing its targets, so a target leaving would be "
            "dropped up to 7.5 s late; find what churns (pods restarting, a discovery config re-read every "
            "second) before drilling a deleted workload"
        )
