"""Memory and disk faults are bounded, and released even when the runner is killed."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration


def test_a_fault_above_the_bound_is_refused(runner: Runner) -> None:
    runner.env["ALERTDRILL_MAX_FAULT_BYTES"] = str(64 * 2**20)
    proc = runner.run("run", "features/alerts/high_memory_usage.feature", "-q", "--tags", "not edge and not slow")
    assert proc.returncode == 3, proc.stdout[-3000:]  # the fault was refused: no verdict on the monitoring
    (drill,) = json.loads((runner.report_dir / "results.json").read_text())["drills"]
    assert drill["outcome"] == "error" and "above the bound of 64 MiB" in drill["message"]
    assert runner.leftovers() == []


def _kill_runner_after(runner: Runner, feature: str, marker: str) -> None:
    # one stack (the parallel path, where each worker rolls back itself, is test_interrupts.py's)
    proc, _ = runner.popen_until(marker, "run", feature, "--tags", "not edge and not slow", "--parallel", "1")
    proc.kill()
    proc.wait(timeout=10)


def test_killed_runner_releases_memory_and_revert_removes_the_fill_file(runner: Runner) -> None:
    _kill_runner_after(runner, "features/alerts/high_memory_usage.feature", "fault injected: memory_pressure")
    deadline = time.monotonic() + 10
    while runner.leftovers() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert runner.leftovers() == []  # the memory hog died with the runner (PDEATHSIG)

    _kill_runner_after(runner, "features/alerts/disk_space_running_low.feature", "fault injected: fill_disk")
    fills = list(runner.state_dir.glob("runs/*/nodes/*/data/fill-*.bin"))
    assert len(fills) == 1 and fills[0].stat().st_size > 100 * 2**20
    revert = runner.run("revert")
    assert revert.returncode == 0, revert.stderr
    assert "fill_disk" in revert.stdout
    assert not fills[0].exists()
    assert runner.leftovers() == []
