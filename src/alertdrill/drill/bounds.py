"""Timing bounds derived from the config, never guessed.

fault -> webhook is at most `for + scrape_interval + eval_interval + group_wait` (the failed
scrape comes within one scrape interval, the rule sees it within one evaluation interval, the
rule holds `for`, Alertmanager waits group_wait), plus the scrape timeout when the target hangs
instead of refusing, plus one more scrape when the rule reads a range window (a series born
with the fault needs two samples), plus a stated slack for a busy machine.
A target that leaves service discovery (a deleted pod) is never scraped as down: Prometheus keeps
scraping it until discovery hands the change on and the scrape manager reloads
(`Timing.discovery_s`), then writes stale markers just over two scrape intervals after its last
scrape (`scrape/scrape.go` endOfRunStaleness: the next tick, one more, and a tenth), and only then
can `absent()` see it: the "target left discovery" term, in place of the scrape timeout.
A rule fires at the first evaluation at or after its `for`, so a `for` that is not a multiple of
the evaluation interval holds until the next tick (the "eval grid" term).
A resolved notification leaves at the next group_interval tick, so recovery bounds include one,
and they count from when the rollback began, so a rollback that takes time (a node that must
restart and turn Ready) adds its own duration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alertdrill.stack.base import Timing

#: SOP-004 "System Recovery Time: < 5 minutes" (production seconds).
SOP_RECOVERY_S = 300.0


@dataclass(frozen=True)
class FireBound:
    for_s: float
    scrape_s: float
    eval_s: float
    group_wait_s: float
    hang_s: float
    window_s: float
    slack_s: float
    ramp_s: float = 0.0
    grid_s: float = 0.0
    #: How much later the page may come because the drill broke the pipeline (drill/outages.py).
    outage_s: float = 0.0
    outage_note: str = ""
    #: The target left service discovery: the hand-off and reload, then stale markers.
    discovery_s: float = 0.0
    #: A new target (a surge pod): discovered (hand-off and reload), then its first scrape, which
    #: Prometheus offsets anywhere within one interval.
    new_target_s: float = 0.0

    @property
    def total(self) -> float:
        return (
            self.outage_s
            + self.ramp_s
            + self.for_s
            + self.grid_s
            + self.scrape_s
            + self.eval_s
            + self.group_wait_s
            + self.hang_s
            + self.discovery_s
            + self.new_target_s
            + self.window_s
            + self.slack_s
        )

    @property
    def physical(self) -> float:
        """The bound without slack: what the pipeline itself allows."""
        return self.total - self.slack_s

    def explain(self) -> str:
        hang = f" + scrape timeout {self.hang_s:g}s" if self.hang_s else ""
        window = f" + 2nd sample for rate() {self.window_s:g}s" if self.window_s else ""
        gone = f" + target left discovery {self.discovery_s:g}s" if self.discovery_s else ""
        gone += f" + new target discovered and first scraped {self.new_target_s:g}s" if self.new_target_s else ""
        ramp = f"fault ramp {self.ramp_s:.2f}s + " if self.ramp_s >= 0.005 else ""
        grid = f" + eval grid {self.grid_s:g}s" if self.grid_s else ""
        usual = (
            ramp + f"for {self.for_s:g}s{grid} + scrape {self.scrape_s:g}s + eval {self.eval_s:g}s + "
            f"group_wait {self.group_wait_s:g}s{hang}{gone}{window} + slack {self.slack_s:g}s"
        )
        if not self.outage_s:
            return f"{usual} = {self.total:.2f}s"
        return f"later of (usual: {usual} = {self.total - self.outage_s:.2f}s) and ({self.outage_note})"


@dataclass(frozen=True)
class RecoveryBound:
    sop_s: float
    scrape_s: float
    eval_s: float
    group_interval_s: float
    slack_s: float
    rollback_s: float = 0.0

    @property
    def total(self) -> float:
        return self.rollback_s + self.sop_s + self.scrape_s + self.eval_s + self.group_interval_s + self.slack_s

    def explain(self) -> str:
        rollback = f"rollback {self.rollback_s:.2f}s + " if self.rollback_s >= 0.005 else ""
        return (
            rollback + f"SOP recovery {self.sop_s:g}s + scrape {self.scrape_s:g}s + eval {self.eval_s:g}s + "
            f"group_interval {self.group_interval_s:g}s + slack {self.slack_s:g}s = {self.total:.2f}s"
        )


def fire_bound(
    for_s: float,
    timing: Timing,
    group_wait_s: float,
    slack_s: float,
    target_hangs: bool = False,
    windowed: bool = False,
    ramp_s: float = 0.0,
    leaves_discovery: bool = False,
    adds_target: bool = False,
) -> FireBound:
    """`windowed`: the rule reads a range window (rate, increase, ...). A counter series born
    with the fault (the first 5xx) needs a second sample before rate() sees it: one more scrape.
    `ramp_s`: how long the fault's last action took to apply (jobs submitted over seconds).
    `leaves_discovery`: the target was taken out of service discovery (its scrape loop stops,
    so no scrape fails and no timeout applies: its series go stale instead).
    `adds_target`: the fault brings a new pod (its scheduling and start are the fault's ramp)."""
    return FireBound(
        for_s=for_s,
        scrape_s=timing.scrape_interval_s,
        eval_s=timing.eval_interval_s,
        group_wait_s=group_wait_s,
        hang_s=timing.scrape_timeout_s if target_hangs and not leaves_discovery else 0.0,
        discovery_s=target_left_discovery_s(timing) if leaves_discovery else 0.0,
        new_target_s=new_target_s(timing, ramp_s) if adds_target else 0.0,
        window_s=timing.scrape_interval_s if windowed else 0.0,
        slack_s=slack_s,
        ramp_s=ramp_s,
        grid_s=eval_grid_s(for_s, timing.eval_interval_s),
    )


#: Stale markers come a tick, a tick and a tenth of a scrape interval after the scrape loop stops;
#: the usual scrape term already counts one of those intervals.
STALE_MARKER_SCRAPES = 1.1


def target_left_discovery_s(timing: Timing) -> float:
    """How much later than a refused scrape a target that left discovery shows: the hand-off
    and reload, then the stale markers' wait beyond the one scrape the bound already counts."""
    return round(timing.discovery_s + STALE_MARKER_SCRAPES * timing.scrape_interval_s, 6)


def new_target_s(timing: Timing, ramp_s: float) -> float:
    """How much later a new pod's target is first scraped than the fault's ramp already allows:
    discovered (hand-off and reload) and first scraped (an offset within one interval), counted
    from the pod's start, which the ramp (its start and crashes) began with."""
    return round(max(0.0, timing.discovery_s + timing.scrape_interval_s - ramp_s), 6)


def eval_grid_s(for_s: float, eval_s: float) -> float:
    """How far past `for` the first evaluation that can fire lies: `for` rounded up to the grid."""
    if for_s <= 0 or eval_s <= 0:
        return 0.0
    ticks = math.ceil(round(for_s / eval_s, 9))
    return round(ticks * eval_s - for_s, 6)


def recovery_bound(
    sop_recovery_s: float, timing: Timing, group_interval_s: float, slack_s: float, rollback_s: float = 0.0
) -> RecoveryBound:
    """`rollback_s`: how long the rollback itself took (the bound counts from when it began)."""
    return RecoveryBound(
        sop_s=sop_recovery_s / timing.time_scale,
        scrape_s=timing.scrape_interval_s,
        eval_s=timing.eval_interval_s,
        group_interval_s=group_interval_s,
        slack_s=slack_s,
        rollback_s=rollback_s,
    )
