"""The local stack's cadvisor stand-in reads real /proc, and both stacks give the worker the same
limits (the worker SLIs are usage over limit: one table, alertdrill.workload.resources)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from alertdrill.settings import KubeSettings
from alertdrill.stack.kube.manifests import deployment
from alertdrill.stack.local.usage import CLOCK_TICKS, PAGE_BYTES, process_usage
from alertdrill.workload.resources import MIB, limits_of


def test_this_process_has_cpu_time_and_resident_memory() -> None:
    before = process_usage(os.getpid())
    assert before is not None
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # burn 0.2 s of CPU
        pass
    after = process_usage(os.getpid())
    assert after is not None
    assert after[0] - before[0] >= 0.15
    assert after[1] > 10 * MIB


def test_a_command_name_with_spaces_and_parentheses_is_read_past(tmp_path: Path) -> None:
    proc = tmp_path / "42"
    proc.mkdir()
    fields = ["S"] + ["0"] * 10 + ["250", "50"] + ["0"] * 30  # utime and stime are fields 14 and 15
    (proc / "stat").write_text("42 (my (odd) worker) " + " ".join(fields) + "\n")
    (proc / "statm").write_text("1000 300 10 1 0 200 0\n")
    assert process_usage(42, tmp_path) == (300 / CLOCK_TICKS, 300 * PAGE_BYTES)
    assert process_usage(43, tmp_path) is None  # a process gone is no sample, not an error


def test_the_kind_workers_carry_the_limits_the_local_stack_reports() -> None:
    workers = deployment(KubeSettings(), "workers", [])
    limits = workers["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"memory": "256Mi", "cpu": "1000m"}
    assert limits_of("workers").cpu_cores == 1.0 and limits_of("workers").memory_bytes == 256 * MIB
    bff = deployment(KubeSettings(), "bff", [])
    assert bff["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {"memory": "256Mi"}
