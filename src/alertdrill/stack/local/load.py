"""The SLO load on the local stack: the generator as one more managed process of the run (stopped
on Ctrl-C like the rest), its progress lines passed on, its JSON summary returned."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from alertdrill.errors import FaultError
from alertdrill.runtime.probes import python_module
from alertdrill.runtime.process import ManagedProcess
from alertdrill.workload.plan import LoadPlan

log = logging.getLogger(__name__)
#: How long past its planned duration the generator may run before it counts as hung.
OVERRUN_S = 30.0


def run_local_load(bff_url: str, plan: LoadPlan, run_dir: Path, run_id: str) -> dict[str, float]:
    """Drive the BFF as planned; the generator's JSON summary (or a FaultError naming its log)."""
    proc = ManagedProcess(
        "load",
        python_module("alertdrill.workload.load", *plan.args(bff_url)),
        run_dir=run_dir,
        run_id=run_id,
        stop_timeout=5.0,
    )
    with proc:
        deadline = time.monotonic() + plan.seconds + OVERRUN_S
        last = ""
        while proc.is_running():
            if time.monotonic() > deadline:
                raise FaultError(f"the load generator ran past {plan.seconds + OVERRUN_S:.0f}s; see {proc.log_path}")
            tail = proc.log_tail(1).strip()
            if tail != last and tail.startswith("load "):
                log.info("%s", tail)
                last = tail
            time.sleep(1.0)
        code = proc.returncode()
        lines = proc.log_path.read_text().strip().splitlines()
    if code != 0 or not lines:
        raise FaultError(f"the load generator exited {code}; see {proc.log_path}")
    try:
        return dict(json.loads(lines[-1]))
    except ValueError:
        raise FaultError(f"the load generator printed no summary; see {proc.log_path}") from None
