"""No process or fault outlives the runner: Ctrl-C, SIGTERM and SIGKILL mid-drill, serial and parallel."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration

#: Two drills: with --parallel 2 both are open at once, each on its own worker's stack.
TWO_DRILLS = ("run", "features/alerts/service_down.feature", "-k", "bff")


def _start_and_wait_for_fault(
    runner: Runner, workers: int = 1, sigint: signal.Handlers = signal.SIG_DFL
) -> tuple[subprocess.Popen[str], list[str]]:
    proc, lines = runner.popen_until(
        "fault injected", *TWO_DRILLS, "--parallel", str(workers), times=workers, sigint=sigint
    )
    assert runner.leftovers(), "the stack should be running mid-drill"
    return proc, lines


def _wait_gone(runner: Runner, seconds: float = 10) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := runner.leftovers()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _open_faults(runner: Runner) -> list[str]:
    return [str(p) for p in runner.state_dir.glob("runs/*/faults/*.json")]


def test_ctrl_c_mid_drill_stops_everything(runner: Runner) -> None:
    proc, lines = _start_and_wait_for_fault(runner)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130, "".join(lines[-40:])
    assert _wait_gone(runner, 2) == []
    assert not _open_faults(runner), "every fault rolled back"


def test_sigkill_of_the_runner_then_revert_leaves_nothing(runner: Runner) -> None:
    proc, _ = _start_and_wait_for_fault(runner)
    proc.kill()
    proc.wait(timeout=10)
    assert _wait_gone(runner) == []  # children die with the runner (PDEATHSIG)
    assert _open_faults(runner), "the crash left a fault record"
    revert = runner.run("revert")
    assert revert.returncode == 0, revert.stderr
    assert "reverted kill_workload(bff)" in revert.stdout
    assert not _open_faults(runner)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_parallel_interrupt_rolls_back_every_worker_and_says_which_drills_were_open(
    runner: Runner, sig: signal.Signals
) -> None:
    proc, lines = _start_and_wait_for_fault(runner, workers=2)
    proc.send_signal(sig)  # to the controller only, as a supervisor would
    assert proc.wait(timeout=90) == 130, "".join(lines[-40:])
    assert _wait_gone(runner, 2) == []
    assert not _open_faults(runner), "each worker rolled back its own fault"
    results = json.loads((runner.report_dir / "results.json").read_text())
    assert results["outcome"] == "interrupted" and results["workers"] == 2
    assert sorted(results["interrupted_drills"]) == ["the BFF hangs", "the BFF is killed"]
    assert {d["outcome"] for d in results["drills"]} == {"interrupted"}
    last = [line for line in lines if line.strip()][-1]
    assert last.startswith("alertdrill: run interrupted while ") and "every fault was rolled back" in last, last


def test_sigkill_of_the_parallel_controller_leaves_no_process_and_no_open_fault(runner: Runner) -> None:
    proc, lines = _start_and_wait_for_fault(runner, workers=2)
    before = len(lines)
    proc.kill()
    proc.wait(timeout=10)
    # the kernel SIGTERMs each worker (PDEATHSIG); it rolls back and stops its stack as on Ctrl-C
    assert _wait_gone(runner, 30) == []
    time.sleep(0.5)  # what the workers wrote after the kill has been read
    after = "".join(lines[before:])  # a worker whose controller is gone writes to its own log
    assert "cannot send" not in after and "PluggyTeardownRaisedWarning" not in after, after
    assert not _open_faults(runner)
    revert = runner.run("revert")
    assert revert.returncode == 0 and "reverted" not in revert.stdout, revert.stdout


def test_a_run_started_with_sigint_ignored_still_stops_on_sigint(runner: Runner) -> None:
    """A CI job started in the background (`&`, nohup) inherits SIGINT ignored; `kill -INT` must stop it."""
    proc, lines = _start_and_wait_for_fault(runner, sigint=signal.SIG_IGN)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130, "".join(lines[-40:])
    assert _wait_gone(runner, 2) == [] and not _open_faults(runner)
