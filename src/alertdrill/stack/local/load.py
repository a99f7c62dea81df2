"""The SLO load on the local stack: the generator as one more managed process of the run (stopped
on Ctrl-C like the rest), its progress lines passed on, its JSON summary returned."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from alertdrill.errors import FaultError
from alertdrill.runtime.probes import python_module
from alertdrill.runtime.process import ManagedProcess
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll
from alertdrill.workload.plan import LoadPlan

log = logging.getLogger(__name__)


def run_local_load(bff_url: str, plan: LoadPlan, run_dir: Path, run_id: str) -> dict[str, float]:
    """Drive the BFF as planned; the generator's JSON summary (or a FaultError naming its log)."""
    proc = ManagedProcess(
        "load",
        python_module("alertdrill.workload.load", *plan.args(bff_url)),
        run_dir=run_dir,
        run_id=run_id,
        stop_timeout=TIMEOUTS.process_stop,
    )
    with proc:
        shown = [""]

        def finished() -> bool:
            tail = proc.log_tail(1).strip()
            if tail != shown[0] and tail.startswith("load "):  # the generator's own progress line
                log.info("%s", tail)
                shown[0] = tail
            return not proc.is_running()

        limit = plan.seconds + TIMEOUTS.load_overrun
        if not poll("the load generator finished", finished, poll_s=1.0, timeout_s=limit).met:
            raise FaultError(f"the load generator ran past {limit:.0f}s; see {proc.log_path}")
        code = proc.returncode()
        lines = proc.log_path.read_text().strip().splitlines()
    if code != 0 or not lines:
        raise FaultError(f"the load generator exited {code}; see {proc.log_path}")
    try:
        return dict(json.loads(lines[-1]))
    except ValueError:
        raise FaultError(f"the load generator printed no summary; see {proc.log_path}") from None
