"""The chaos scenarios' steady-state hypothesis: SOP-004's SLOs hold (Chaos Toolkit probe).

A scenario names `slos_met` under `steady-state-hypothesis`; the drill runs it before the fault
and again after rollback, through the session the drill makes active (the same pattern as the
fault functions), and keeps every measurement for results.json and the report.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from alertdrill.config.slos import Slo
from alertdrill.errors import FaultError
from alertdrill.faults.scenario import ProbeRegistry
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.runtime.ambient import Ambient
from alertdrill.slo.probe import Measurement, steady_state

log = logging.getLogger(__name__)


@dataclass
class ProbeSession:
    prometheus: PrometheusClient
    slos: list[Slo]
    phase: str
    timeout_s: float
    #: The shortest window that holds a sample of every recorded SLI: two evaluation intervals (the
    #: SLIs are recording rules, written once per evaluation; a 2 s window at Kubernetes' 5 s or a
    #: cluster's 30 s evaluation would often hold none and read as "no data").
    min_window_s: float = 0.0
    measurements: list[Measurement] = field(default_factory=list)
    waited_s: float = 0.0


SESSION: Ambient[ProbeSession] = Ambient(
    "alertdrill_probe_session", FaultError, "no alertdrill drill is active: run scenarios through `alertdrill run`"
)


class ProbeStep(Protocol):
    """A scenario's hypothesis probe, resolved (alertdrill.faults.scenario.Step)."""

    def run(self) -> Any: ...


def slos_met(window_s: float = 2.0, configuration: Any = None, secrets: Any = None) -> bool:
    """True once every steady-state SLO is met over the last `window_s` (waits up to the session's timeout)."""
    session = SESSION.get()

    def waiting(results: list[Measurement]) -> None:
        missed = [r.describe() for r in results if not r.met]
        log.info("%s: waiting for the SLOs: %s", session.phase, "; ".join(missed))

    window = max(float(window_s), session.min_window_s)
    if window > window_s:
        log.info("%s: SLO window %gs widened to %gs (two evaluation intervals)", session.phase, window_s, window)
    results, waited = steady_state(session.prometheus, session.slos, window, session.phase, session.timeout_s, waiting)
    session.measurements.extend(results)
    session.waited_s = waited
    return all(r.met for r in results)


#: The probes a scenario's steady-state hypothesis may name, under this module's path.
PROBES = ProbeRegistry(__name__, {"slos_met": slos_met})


def run_hypothesis(
    steps: Iterable[ProbeStep],
    prometheus: PrometheusClient,
    slos: list[Slo],
    phase: str,
    timeout_s: float,
    eval_interval_s: float = 0.0,
) -> ProbeSession:
    """Run a scenario's hypothesis probes (each `slos_met`) within one session; the caller judges."""
    session = ProbeSession(prometheus, slos, phase, timeout_s, min_window_s=2 * eval_interval_s)
    with SESSION.active(session):
        for step in steps:
            if step.run() is not True:
                break
    return session


def rule_window_s(scale: float, scrape_s: float) -> float:
    """The SLO rules' 5 minute windows as the stack runs them (scaled, at least 4 scrapes)."""
    return max(300.0 / scale, 4 * scrape_s)
