"""Then-step about SOP-004's "Scaling: Auto-scale based on queue depth": the workers scale out on
a backlog and drain it (kind, where KEDA runs; stack/kube/autoscaling.py).

Why the bound is the feature's and unscaled: KEDA's polling, the HPA's sync and a pod's start run
in real time whatever --time-scale says, so the step states its wall-clock limit and the drill
records how long scale-out and drain really took.
"""

from __future__ import annotations

import logging
import time

from alertdrill.drill.expectations import FaultWindow
from alertdrill.drill.session import DrillSession
from alertdrill.drill.watch import POLL_S
from alertdrill.errors import DrillFailure
from alertdrill.runtime.wait import poll

log = logging.getLogger(__name__)

REPLICAS = 'max(kube_deployment_status_replicas_available{{deployment="workers", namespace="{ns}"}})'
BACKLOG = 'sum(nats_stream_total_messages{stream_name="JOBS"})'
#: The queue counts as drained at this many messages or fewer (jobs still in flight).
DRAINED_AT = 10.0


def assert_scales_out_and_drains(drill: DrillSession, fault: FaultWindow, replicas: int, seconds: float) -> None:
    """At least `replicas` workers available at some point, then the backlog drained, both within
    `seconds` of the fault (wall clock)."""
    deadline = fault.fault_at + seconds
    replicas_query = REPLICAS.format(ns=drill.stack.settings.kube.namespace)
    peak, scaled_at = 0.0, None

    def state() -> tuple[float, float | None]:
        nonlocal peak, scaled_at
        now_replicas = max((s.value for s in drill.prometheus.query(replicas_query)), default=0.0)
        backlog = [s.value for s in drill.prometheus.query(BACKLOG)]
        peak = max(peak, now_replicas)
        if scaled_at is None and now_replicas >= replicas:
            scaled_at = time.time()
        return now_replicas, (backlog[0] if backlog else None)

    waited = poll(
        f"workers scaled out to {replicas} and the JOBS backlog drained",
        state,
        done=lambda s: scaled_at is not None and s[1] is not None and s[1] <= DRAINED_AT,
        poll_s=POLL_S,
        until=deadline,
    )
    drained_at = time.time() if waited.met else None
    drill.evidence.scaling = {"replicas_peak": peak}
    if scaled_at is not None:
        drill.evidence.scaling["scaled_out_s"] = scaled_at - fault.fault_at
    if drained_at is not None:
        drill.evidence.scaling["drained_s"] = drained_at - fault.fault_at
    log.info("autoscaling: %s", drill.evidence.scaling)
    if scaled_at is None:
        raise DrillFailure(
            f"the workers never reached {replicas} available replicas within {seconds:g}s of the backlog (peak "
            f"{peak:g}); check the ScaledObject's HPA (`kubectl describe hpa -n {drill.stack.settings.kube.namespace}`)"
            " and KEDA's operator log"
        )
    if drained_at is None:
        last = waited.value[1] if waited.value else None
        raise DrillFailure(
            f"the workers scaled out ({scaled_at - fault.fault_at:.1f}s) but the JOBS backlog was still {last} "
            f"messages {seconds:g}s after the fault"
        )
