"""A group's `input_series` on the replay's clock: sample j of a series at time 0 + j × interval
(scaled), `_` no sample, `stale` a staleness marker — and the gate series that opens the rules
at time 0 (replay.rules).

Why ahead of time: samples carry their own timestamps, so they are written before they are due
(up to `AHEAD_S`, well inside Prometheus' 10 minutes) and a busy machine cannot make one late;
evaluation still happens live, on Prometheus' clock.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from alertdrill.config.promtool_series import STALE, InputSeries
from alertdrill.replay.remote_write import STALE_NAN, Sample, push
from alertdrill.replay.rules import GATE
from alertdrill.runtime.timeouts import TIMEOUTS

log = logging.getLogger(__name__)
AHEAD_S = 120.0


@dataclass(frozen=True)
class Clock:
    """Time 0 of a replay on Prometheus' clock, and the scale (both exact to the millisecond)."""

    t0_ms: int
    scale: float

    def at(self, test_s: float) -> int:
        """The wall-clock millisecond of a test time (seconds since the test's time 0)."""
        return self.t0_ms + round(test_s * 1000 / self.scale)

    def test_time(self, wall_ms: int) -> float:
        return (wall_ms - self.t0_ms) * self.scale / 1000


def samples_of(series: list[InputSeries], interval_s: float, clock: Clock) -> list[Sample]:
    out = []
    for s in series:
        labels = tuple(sorted(s.labels.items()))
        for j, point in enumerate(s.points):
            if point is None:
                continue
            value = STALE_NAN if point == STALE else float(point)
            out.append(Sample(labels, clock.at(j * interval_s), value))
    return out


def gate_samples(clock: Clock, step_s: float, until_s: float) -> list[Sample]:
    """The gate from time 0 to `until_s` (test time), one sample per `step_s` (an evaluation)."""
    labels = (("__name__", GATE),)
    n = int(until_s / step_s) + 1
    return [Sample(labels, clock.at(k * step_s), 1.0) for k in range(n)]


class Feeder:
    """Writes every sample due within AHEAD_S, then the next ones as time goes; a context manager."""

    def __init__(self, url: str, samples: list[Sample]) -> None:
        self.url = url
        self.pending = sorted(samples, key=lambda s: s.timestamp_ms)
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replay-feeder", daemon=True)

    def __enter__(self) -> Feeder:
        self._push_due()  # the first batch before time 0, in this thread: an error is raised here
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=TIMEOUTS.thread_join)

    def _push_due(self) -> None:
        horizon = int((time.time() + AHEAD_S) * 1000)
        cut = next((i for i, s in enumerate(self.pending) if s.timestamp_ms > horizon), len(self.pending))
        batch, self.pending = self.pending[:cut], self.pending[cut:]
        for start in range(0, len(batch), 5000):
            push(self.url, batch[start : start + 5000])

    def _run(self) -> None:
        while self.pending and not self._stop.wait(AHEAD_S / 4):
            try:
                self._push_due()
            except Exception as exc:  # noqa: BLE001 - kept and reported by the replay
                self.error = exc
                log.warning("replay feed to %s failed: %s", self.url, exc)
                return
