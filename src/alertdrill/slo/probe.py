"""Measure SLOs on a running stack from their recorded SLIs, over a window of wall-clock time.

Why "worst over the window" rather than the last value: an SLO claims the service met it the
whole time, so a p95 that was 350 ms for ten seconds of a minute is a miss even if it is fine now.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from alertdrill.config.slos import Slo
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.runtime.wait import poll


@dataclass(frozen=True)
class Measurement:
    slo: str
    sop: str
    objective: str
    unit: str
    value: float | None  # None: no data for the window
    met: bool
    phase: str  # "under load", "before fault", "after rollback"
    window_s: float

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["value"] = None if self.value is None or math.isnan(self.value) else round(self.value, 6)
        return out

    def describe(self) -> str:
        shown = "no data" if self.value is None else f"{self.value:.6g} {self.unit}".strip()
        return f"{self.slo}: {shown} (objective {self.objective} {self.unit}; {self.sop})"


def _scalar(prom: PrometheusClient, expr: str, at: float) -> float | None:
    samples = prom.query(expr, at=at)
    if not samples or math.isnan(samples[0].value):
        return None
    return samples[0].value


def measure(prom: PrometheusClient, slo: Slo, start: float, end: float, phase: str) -> Measurement:
    """The SLI over [start, end] as `slo.how` says, and whether it meets the objective."""
    window = max(1, math.ceil(end - start))
    if slo.how == "delta_ratio":
        assert slo.numerator and slo.denominator
        num_end, num_start = _scalar(prom, slo.numerator, end), _scalar(prom, slo.numerator, start)
        den_end, den_start = _scalar(prom, slo.denominator, end), _scalar(prom, slo.denominator, start)
        value = None
        if num_end is not None and num_start is not None and den_end is not None and den_start is not None:
            value = (num_end - num_start) / (den_end - den_start) if den_end != den_start else None
    else:
        assert slo.series
        fn = "avg" if slo.how == "mean" else ("min" if slo.higher_is_better else "max")
        value = _scalar(prom, f"{fn}_over_time({slo.series}[{window}s])", end)
    return Measurement(slo.name, slo.sop, slo.objective, slo.unit, value, slo.met(value), phase, float(window))


def steady_state(
    prom: PrometheusClient,
    slos: list[Slo],
    window_s: float,
    phase: str,
    timeout_s: float,
    on_wait: Callable[[list[Measurement]], None] | None = None,
) -> tuple[list[Measurement], float]:
    """Poll until every steady-state SLO is met over the last `window_s`, or `timeout_s` passes.

    Returns the last measurements and how long it took. A fault's effect lingers in the rule
    windows for one window after rollback; the wait is how long the system took to return.
    """
    chosen = [s for s in slos if s.steady_state]

    def measured() -> list[Measurement]:
        now = time.time()
        return [measure(prom, s, now - window_s, now, phase) for s in chosen]

    waited = poll(
        "steady state (every SLO met)",
        measured,
        done=lambda results: all(r.met for r in results),
        poll_s=1.0,
        timeout_s=timeout_s,
        on_progress=None if on_wait is None else lambda w: on_wait(w.value or []),
        progress_every_s=0.0,  # every unmet measurement is reported
    )
    return waited.value or [], waited.waited_s
