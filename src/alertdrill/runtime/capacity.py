"""How many local stacks this machine can run side by side (`alertdrill run --parallel auto`).

Why these figures: one local stack (Prometheus, Alertmanager, NATS, BFF, workers, exporters, the
recorder and a pytest worker) peaks at ~360 MiB RSS, so 400 MiB is budgeted a stack, against the
memory the kernel says is available now. A stack mid-drill uses ~5-10 % of one core (measured on
the 2-core CI machine, scale 60): drills mostly wait for `for:` and timers, so cores bound the
count only loosely, at STACKS_PER_CORE. More workers than drills would only start idle.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STACK_BUDGET_BYTES = 400 * 2**20
STACKS_PER_CORE = 3


@dataclass(frozen=True)
class Capacity:
    workers: int
    why: str


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def available_memory_bytes(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def auto_workers(drills: int, n_cores: int | None = None, memory: int | None = None) -> Capacity:
    """The smallest of: cores x STACKS_PER_CORE, available memory / STACK_BUDGET, and the drills."""
    n_cores = cores() if n_cores is None else n_cores
    memory = available_memory_bytes() if memory is None else memory
    limits = {"drills": max(1, drills), "cores": max(1, n_cores * STACKS_PER_CORE)}
    if memory is not None:
        limits["memory"] = max(1, memory // STACK_BUDGET_BYTES)
    bound = min(limits, key=lambda k: limits[k])
    mem = f"{memory / 2**30:.1f} GiB available / 400 MiB a stack" if memory is not None else "memory unknown"
    why = (
        f"{limits[bound]} worker(s), bounded by {bound} "
        f"({drills} drill(s); {n_cores} core(s) x {STACKS_PER_CORE}; {mem})"
    )
    return Capacity(limits[bound], why)
