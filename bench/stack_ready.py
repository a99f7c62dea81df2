"""Benchmark: how long the local stack takes to be ready (every target scraped up), N starts,
on one version set. Not a test: it prints measurements for the README.

Usage: .venv/bin/python bench/stack_ready.py [--starts 10] [--versions current|debian|DIR]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.runtime.binaries import server_versions, versions_label
from alertdrill.settings import Settings
from alertdrill.stack.local.stack import LocalStack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--versions", default="current")
    parser.add_argument("--time-scale", default="60")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.resolve(
        {"time_scale": args.time_scale, "state_dir": "/tmp/alertdrill-bench", "versions": args.versions}
    )
    monitoring = MonitoringConfig.load(settings.monitoring_dir, settings.bin_path)
    ready: list[float] = []
    wall: list[float] = []
    for _ in range(args.starts):
        t0 = time.monotonic()
        with LocalStack(settings, monitoring) as stack:
            ready.append(stack.ready_s)
            wall.append(time.monotonic() - t0)
    print(f"{versions_label(server_versions(settings.bin_path))}, time scale {settings.time_scale:g}, n={args.starts}")
    print(
        f"stack ready (LocalStack.ready_s) min/median/max: {min(ready):.2f} / {statistics.median(ready):.2f} / "
        f"{max(ready):.2f} s"
    )
    print(f"start + stop wall min/median/max: {min(wall):.2f} / {statistics.median(wall):.2f} / {max(wall):.2f} s")


if __name__ == "__main__":
    main()
