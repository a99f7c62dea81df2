"""`alertdrill run --parallel N|auto`: how many workers, each with its own local stack.

`auto` needs the number of drills the run selects, which only pytest's collection knows (tags,
-k, stack markers): a `--collect-only` pass in a subprocess, ~1-2 s, tells it without touching
any stack. The kind and cluster stacks share one cluster, so they always run one drill at a time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from alertdrill.backends import STACKS
from alertdrill.errors import SetupError
from alertdrill.runtime.capacity import claim_workers
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.settings import Settings

ENV = "ALERTDRILL_PARALLEL"
_COLLECTED = re.compile(r"^(\d+)(?:/\d+)? tests? collected", re.MULTILINE)


def parse_parallel(value: str | None) -> tuple[int | None, bool]:
    """(workers or None for auto, whether the option said so) from --parallel, else
    ALERTDRILL_PARALLEL (a default: a stack that runs one drill at a time just uses one)."""
    where, explicit = "--parallel", value is not None
    if value is None:
        value, where = os.environ.get(ENV), ENV
    if value is None or value.strip().lower() == "auto":
        return None, explicit
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise SetupError(f"{where} {value!r}: give a number of workers ≥ 1, or auto (e.g. --parallel 4)")
    return n, explicit


def count_drills(pytest_args: list[str]) -> int:
    """How many drills these pytest arguments select (0 if collection fails: the real run says why)."""
    quiet = [a for a in pytest_args if not a.startswith(("--junitxml=", "--cucumberjson="))]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *quiet, "--collect-only", "-q", "-p", "no:xdist"],
        capture_output=True,
        text=True,
        timeout=TIMEOUTS.parallelism_probe,
        check=False,
    )
    m = _COLLECTED.search(proc.stdout)
    return int(m.group(1)) if m else 0


def resolve_workers(
    requested: tuple[int | None, bool],
    stack: str,
    keep_stack: bool,
    pytest_args: list[str],
    fixed_ports: bool = False,
    time_scale: float = 60.0,
) -> tuple[int, str]:
    """(workers, why): 1 on kind/cluster, with --keep-stack or fixed --port; never more than the
    drills; auto from the machine."""
    n, explicit = requested
    spec = STACKS[stack]
    serial = spec.one_stack_only or (
        "--keep-stack keeps one stack" if keep_stack else "a fixed --port fits one stack" if fixed_ports else None
    )
    if serial is not None:
        if explicit and n is not None and n > 1:
            raise SetupError(f"--parallel {n}: {serial}; use --parallel 1 (or auto)")
        if spec.on_this_machine:
            claim_workers(1, 1, time_scale=time_scale)  # one stack here: in the machine's budget all the same
        return 1, serial
    if n == 1:
        claim_workers(1, 1, time_scale=time_scale)
        return 1, "--parallel 1" if explicit else ENV
    drills = count_drills(pytest_args)
    capacity = claim_workers(drills, None if n is None else max(1, min(n, drills)), time_scale=time_scale)
    return capacity.workers, capacity.why


def xdist_args(workers: int) -> list[str]:
    """One drill at a time to each worker, longest first (the plugin orders them): the workers
    end together instead of one waiting on a pre-assigned queue."""
    if workers <= 1:
        return ["-p", "no:xdist"]
    return ["-n", str(workers), "--dist", "load", "--maxschedchunk", "1"]


def preflight(settings: Settings) -> None:
    """What every worker would fail on, checked once before any starts (SetupError, located):
    the config under test and the servers' binaries."""
    from alertdrill.config.monitoring import MonitoringConfig
    from alertdrill.runtime.binaries import find_binary

    MonitoringConfig.load(settings.monitoring_dir, settings.bin_path)
    for name in STACKS[settings.stack].binaries:
        find_binary(name, settings.bin_path)
