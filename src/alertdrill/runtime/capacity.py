"""How many local stacks this machine can run side by side (`alertdrill run --parallel auto`).

The budget is the machine's, not one run's: two runs at once (a CI agent with two jobs, or
alertdrill's own test suite) share it. Each run's controller writes how many workers it took into
a machine-wide ledger (one file per live run, under a lock) and `auto` counts what the live runs
hold; a run that died leaves a file whose pid is gone, which is not counted.

Why these figures: one parallel worker with its local stack (Prometheus, Alertmanager, NATS, BFF,
workers, exporters, the recorder, the pytest worker itself, and the SLO load generator when it
runs) peaked at 3.1-3.5 GiB for six (bench/parallel_drills.py, whole process tree), so 600 MiB
is budgeted a stack, against the memory the kernel says is available now. A stack mid-drill uses
~5-10 % of one core (measured on the 2-core CI machine, scale 60): drills mostly wait for `for:`
and timers, so cores bound the count only loosely, at STACKS_PER_CORE. More workers than drills would only start idle.

Why the time scale counts: an idle local stack took 7.9 % of a core at scale 60 and 5.2 % at
scale 1 (/proc ticks of its process tree over 60 s, 2 cores; 1 s vs 15 s scrape and evaluation,
the workload's own traffic unchanged). The cores' budget is the CPU that STACKS_PER_CORE stacks
take at scale 60, so at production timing more stacks fit (9 on 2 cores instead of 6), and the
ledger counts each run's stacks by that CPU, in scale-60 stacks.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alertdrill.runtime.rundir import pid_alive

STACK_BUDGET_BYTES = 600 * 2**20
STACKS_PER_CORE = 3
#: Measured CPU of one idle local stack, % of one core, at time scales 60 and 1 (see above).
STACK_CPU_PERCENT = {60.0: 7.9, 1.0: 5.2}


def stack_cpu_percent(time_scale: float) -> float:
    """An idle stack's CPU at this scale: the measurements, interpolated on a log scale between
    scales 1 and 60 and held flat beyond them."""
    lo, hi = STACK_CPU_PERCENT[1.0], STACK_CPU_PERCENT[60.0]
    x = min(1.0, max(0.0, math.log(max(time_scale, 1.0)) / math.log(60.0)))
    return lo + (hi - lo) * x


def scale60_stacks(workers: int, time_scale: float) -> float:
    """Workers at this scale, as the number of scale-60 stacks with the same CPU."""
    return workers * stack_cpu_percent(time_scale) / STACK_CPU_PERCENT[60.0]


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


def machine_dir() -> Path:
    """Where runs on this machine coordinate (the ledger, the @alone lock): per user, in /tmp."""
    return Path(os.environ.get("ALERTDRILL_MACHINE_DIR") or Path(tempfile.gettempdir()) / f"alertdrill-{os.getuid()}")


def auto_workers(
    drills: int,
    n_cores: int | None = None,
    memory: int | None = None,
    in_use: float = 0.0,
    time_scale: float = 60.0,
) -> Capacity:
    """The smallest of: cores x STACKS_PER_CORE less the stacks other live runs hold (in scale-60
    stacks' CPU, converted to stacks at this time scale), available memory / STACK_BUDGET, and the
    drills; never below one."""
    n_cores = cores() if n_cores is None else n_cores
    memory = available_memory_bytes() if memory is None else memory
    per_stack = scale60_stacks(1, time_scale)
    limits = {"drills": max(1, drills), "cores": max(1, int((n_cores * STACKS_PER_CORE - in_use) / per_stack + 1e-9))}
    if memory is not None:
        limits["memory"] = max(1, memory // STACK_BUDGET_BYTES)
    bound = min(limits, key=lambda k: limits[k])
    mem = (
        f"{memory / 2**30:.1f} GiB available / {STACK_BUDGET_BYTES // 2**20} MiB a stack"
        if memory is not None
        else "memory unknown"
    )
    others = f" less {in_use:g} held by other runs" if in_use else ""
    scale = f", a stack at scale {time_scale:g} using {per_stack:.2f} of one at scale 60" if per_stack != 1.0 else ""
    why = (
        f"{limits[bound]} worker(s), bounded by {bound} "
        f"({drills} drill(s); {n_cores} core(s) x {STACKS_PER_CORE}{others}{scale}; {mem})"
    )
    return Capacity(limits[bound], why)


def claim_workers(drills: int, requested: int | None, ledger: Path | None = None, time_scale: float = 60.0) -> Capacity:
    """Decide this run's workers (auto when `requested` is None) and enter them in the machine's
    ledger, atomically with respect to other runs deciding at the same moment; the entry goes
    when this process exits."""
    ledger = ledger or machine_dir() / "runs"
    ledger.mkdir(parents=True, exist_ok=True)
    lock = os.open(ledger / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        in_use = stacks_in_use(ledger)
        capacity = (
            auto_workers(drills, in_use=in_use, time_scale=time_scale)
            if requested is None
            else Capacity(requested, f"{requested} worker(s) asked for, {drills} drill(s)")
        )
        entry = ledger / f"{os.getpid()}.json"
        load = round(scale60_stacks(capacity.workers, time_scale), 3)
        entry.write_text(json.dumps({"pid": os.getpid(), "workers": capacity.workers, "load": load}))
        atexit.register(_forget, entry)
        return capacity
    finally:
        os.close(lock)


def stacks_in_use(ledger: Path) -> float:
    """Stacks held by live runs, as scale-60 stacks (entries of dead pids are removed)."""
    total = 0.0
    for entry in ledger.glob("*.json"):
        try:
            data = json.loads(entry.read_text())
            pid, workers = int(data["pid"]), float(data.get("load", data["workers"]))
        except (OSError, ValueError, KeyError):
            continue
        if pid != os.getpid() and pid_alive(pid):
            total += workers
        elif pid != os.getpid():
            _forget(entry)
    return total


def _forget(entry: Path) -> None:
    with contextlib.suppress(OSError):
        entry.unlink()
