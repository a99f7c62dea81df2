"""What a stack must be able to break, and the session a scenario's actions run in.

Why its own module: the workload faults (`actions.py`) and the pipeline faults (`pipeline.py`)
both apply through the active session's ledger; neither owns the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from alertdrill.errors import FaultError
from alertdrill.faults.injection import Injection
from alertdrill.faults.ledger import FaultLedger
from alertdrill.runtime.ambient import Ambient

Output = dict[str, float]


class FaultBackend(Protocol):
    """What a stack must be able to do; each fault returns how to undo it."""

    def kill_workload(self, workload: str, leave_discovery: bool) -> Injection: ...
    def freeze_workload(self, workload: str) -> Injection: ...
    def inject_errors(self, workload: str, ratio: float) -> Injection: ...
    def inject_latency(self, workload: str, seconds: float) -> Injection: ...
    def pause_consumers(self, workload: str) -> Injection: ...
    def submit_jobs(self, count: int, rate: float) -> Injection: ...
    def crashloop_workload(self, workload: str, pods: int) -> Injection: ...
    def stop_node(self, node: str) -> Injection: ...
    def memory_pressure(self, node: str, usage_ratio: float) -> Injection: ...
    def fill_disk(self, node: str, free_ratio: float) -> Injection: ...
    def autoscale_on_queue(self, workload: str, min_replicas: int, max_replicas: int, lag: int) -> Injection: ...
    # -- the alerting pipeline itself --------------------------------------------------------
    def kill_alertmanager(self, replica: int) -> Injection: ...
    def kill_every_alertmanager(self) -> Injection: ...
    def kill_prometheus(self) -> Injection: ...
    def fail_mail_relay(self, mode: str) -> Injection: ...
    def cut_alertmanager_link(self) -> Injection: ...
    def break_alertmanager_config(self, broken: bool) -> Injection: ...


@dataclass(frozen=True)
class FaultSession:
    """The active stack's backend and the drill's ledger, while a scenario runs; `time_scale`
    turns a scenario's production durations (an outage of 3 minutes) into this stack's."""

    backend: FaultBackend
    ledger: FaultLedger
    time_scale: float = 1.0


SESSION: Ambient[FaultSession] = Ambient(
    "alertdrill_fault_session", FaultError, "no alertdrill stack is active: run scenarios through `alertdrill run`"
)


def inject(name: str, apply: Callable[[FaultBackend], Injection], down_for: float | None = None) -> Output:
    """Apply through the ledger; the output is what Chaos Toolkit's journal keeps (JSON).

    `down_for` (production seconds): the fault lasts that long, scaled, and is then healed by
    this action itself (its ledger entry reverted), so the scenario goes on with the pipeline
    back; None leaves it in place until the scenario's rollback.
    """
    s = SESSION.get()
    applied = s.ledger.inject(name, lambda: apply(s.backend))
    out = {"started_at": applied.started_at, "injected_at": applied.injected_at}
    if down_for is not None:
        time.sleep(max(0.0, applied.injected_at + down_for / s.time_scale - time.time()))
        out["healed_at"] = s.ledger.revert(applied)
    return out
