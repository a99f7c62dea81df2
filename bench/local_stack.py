"""Benchmark of the local stack: ready time, peak RSS, and fault -> webhook latency per drill.

Not a test: it prints measurements next to their physical bounds, for notes and reviews.
Usage: .venv/bin/python bench/local_stack.py [--repeat N] [--time-scale N]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import threading
import time
from pathlib import Path

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.drill import paging, recovery
from alertdrill.drill.expectations import Expectations
from alertdrill.drill.session import DrillSession
from alertdrill.drill.watch import AlertHistory, alerts_fired_since
from alertdrill.grammar import ExpectedAlert
from alertdrill.settings import Settings
from alertdrill.stack.local.stack import LocalStack

DRILLS = [  # scenario, alert, match, SOP `for` in production seconds
    ("kill-bff", "ServiceDown", {"job": "bff"}, 30.0),
    ("kill-workers", "ServiceDown", {"job": "workers"}, 30.0),
    ("kill-nats", "ServiceDown", {"job": "nats"}, 30.0),
    ("bff-error-burst", "HighErrorRate", {"job": "bff"}, 120.0),
]


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    """Sums the RSS of every stack process every 100 ms; keeps the peak of the sum."""

    def __init__(self, stack: LocalStack) -> None:
        super().__init__(daemon=True)
        self.stack, self.peak_kib, self.stop_flag = stack, 0, threading.Event()

    def run(self) -> None:
        while not self.stop_flag.is_set():
            total = sum(rss_kib(pid) for pid in self.stack.pids().values())
            self.peak_kib = max(self.peak_kib, total)
            time.sleep(0.1)


def fmt(values: list[float]) -> str:
    return f"{min(values):6.2f} / {statistics.median(values):6.2f} / {max(values):6.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-scale", default="60")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.resolve({"time_scale": args.time_scale, "state_dir": "/tmp/alertdrill-bench"})
    monitoring = MonitoringConfig.load(settings.monitoring_dir)
    t0, started_at = time.monotonic(), time.time()
    with LocalStack(settings, monitoring) as stack:
        ready = time.monotonic() - t0
        sampler = RssSampler(stack)
        sampler.start()
        rows: dict[str, list[tuple[float, float, float]]] = {}
        history = AlertHistory(alerts_fired_since(stack, started_at))  # isolate from start-up alerts
        for _ in range(args.repeat):
            for scenario, alert, match, for_s in DRILLS:
                expect = Expectations(monitoring, stack.timing, settings.slack_s, [ExpectedAlert(alert, match, for_s)])
                drill = DrillSession(stack, settings.scenarios_dir, history, expect)
                try:
                    drill.prepare()
                    fault = drill.inject(scenario)
                    page = paging.wait_for_page(drill, fault, alert, match, for_s)
                    recovery.wait_for_resolved(drill, page)
                finally:
                    drill.finish()
                bound = drill.evidence.fire_bound
                assert bound is not None and drill.timeline.notify_latency_s is not None
                rows.setdefault(scenario, []).append(
                    (drill.timeline.notify_latency_s, bound.physical, drill.timeline.recovery_s or 0)
                )
        sampler.stop_flag.set()
        sampler.join()
        print(
            f"time scale {settings.time_scale:g}; scrape {stack.timing.scrape_interval_s:g}s, "
            f"eval {stack.timing.eval_interval_s:g}s; n={args.repeat} per drill\n"
        )
        print(f"stack ready (all targets scraped up): {ready:.2f}s")
        print(f"peak RSS of the whole stack ({len(stack.pids())} processes): {sampler.peak_kib / 1024:.0f} MiB\n")
        print(
            f"{'scenario':16} {'fault->webhook min/med/max (s)':32} {'physical bound':15} "
            f"{'recovery min/med/max (s)':26}"
        )
        for scenario, values in rows.items():
            lat = [v[0] for v in values]
            print(f"{scenario:16} {fmt(lat):32} {values[0][1]:<15.2f} {fmt([v[2] for v in values])}")


if __name__ == "__main__":
    main()
