"""Run the SLO load generator against a stack and return its own summary.

Locally it is one more managed process of the run (stopped on Ctrl-C like the rest); on
Kubernetes the stack runs it inside the traffic pod, next to the BFF's Service.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass
from typing import Any

from alertdrill.errors import DrillError
from alertdrill.stack.process import ManagedProcess

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadPlan:
    """What the SOP's rates mean for the generator: submissions/s × jobs each = messages/s."""

    submissions_per_s: float
    jobs_per_submission: int
    reads_per_s: float
    seconds: float

    @property
    def requests_per_s(self) -> float:
        return self.submissions_per_s + self.reads_per_s

    def args(self, url: str) -> list[str]:
        return [
            "--url",
            url,
            "--rps",
            f"{self.requests_per_s:g}",
            "--jobs-per-request",
            str(self.jobs_per_submission),
            "--read-share",
            f"{self.reads_per_s / self.requests_per_s:.4f}",
            "--seconds",
            f"{self.seconds:g}",
        ]


def run_load(stack: Any, plan: LoadPlan) -> dict[str, float]:
    """Drive the stack's BFF as planned; the generator's JSON summary (or a DrillError)."""
    in_cluster = getattr(stack, "run_load", None)
    if in_cluster is not None:
        return dict(in_cluster(plan))
    proc = ManagedProcess(
        "load",
        [sys.executable, "-m", "alertdrill.workload.load", *plan.args(stack.urls()["bff"])],
        run_dir=stack.run_dir,
        run_id=stack.run_id,
        stop_timeout=5.0,
    )
    with proc:
        deadline = time.monotonic() + plan.seconds + 30
        last = ""
        while proc.is_running():
            if time.monotonic() > deadline:
                raise DrillError(f"the load generator ran past {plan.seconds + 30:.0f}s; see {proc.log_path}")
            tail = proc.log_tail(1).strip()
            if tail != last and tail.startswith("load "):
                log.info("%s", tail)
                last = tail
            time.sleep(1.0)
        code = proc.returncode()
        lines = proc.log_path.read_text().strip().splitlines()
    if code != 0 or not lines:
        raise DrillError(f"the load generator exited {code}; see {proc.log_path}")
    try:
        return dict(json.loads(lines[-1]))
    except ValueError:
        raise DrillError(f"the load generator printed no summary; see {proc.log_path}") from None
