"""No process or fault outlives the runner: Ctrl-C mid-drill, and SIGKILL followed by revert."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration


def _start_and_wait_for_fault(runner: Runner) -> tuple[subprocess.Popen[str], list[str]]:
    proc, lines = runner.popen_until("fault injected", "run", "features/alerts/service_down.feature", "-k", "bff")
    assert runner.leftovers(), "the stack should be running mid-drill"
    return proc, lines


def _wait_gone(runner: Runner, seconds: float = 10) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := runner.leftovers()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_ctrl_c_mid_drill_stops_everything(runner: Runner) -> None:
    proc, lines = _start_and_wait_for_fault(runner)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130, "".join(lines[-40:])
    assert _wait_gone(runner, 2) == []
    assert not list(runner.state_dir.glob("runs/*/faults/*.json")), "every fault rolled back"


def test_sigkill_of_the_runner_then_revert_leaves_nothing(runner: Runner) -> None:
    proc, _ = _start_and_wait_for_fault(runner)
    proc.kill()
    proc.wait(timeout=10)
    assert _wait_gone(runner) == []  # children die with the runner (PDEATHSIG)
    assert list(runner.state_dir.glob("runs/*/faults/*.json")), "the crash left a fault record"
    revert = runner.run("revert")
    assert revert.returncode == 0, revert.stderr
    assert "reverted kill_workload(bff)" in revert.stdout
    assert not list(runner.state_dir.glob("runs/*/faults/*.json"))
