import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from alertdrill.errors import RevertError
from alertdrill.faults.injection import Injection, NoUndo
from alertdrill.faults.ledger import FaultLedger, revert_offline
from alertdrill.runtime.process import RUN_ID_ENV


def test_reverts_run_last_first_and_all_are_attempted(tmp_path: Path) -> None:
    ledger = FaultLedger(tmp_path / "faults")
    order: list[str] = []

    def fail() -> None:
        order.append("b")
        raise OSError("boom")

    ledger.inject("a", lambda: Injection(lambda: order.append("a"), NoUndo()))
    ledger.inject("b", lambda: Injection(fail, NoUndo()))
    ledger.inject("c", lambda: Injection(lambda: order.append("c"), NoUndo()))
    assert len(list((tmp_path / "faults").glob("*.json"))) == 3
    with pytest.raises(RevertError, match="1 revert\\(s\\) failed: b: boom"):
        ledger.revert_all()
    assert order == ["c", "b", "a"]
    assert ledger.outstanding == []
    assert [p.name for p in (tmp_path / "faults").glob("*.json")] == ["002.json"]  # the failed one


def test_revert_offline_thaws_a_frozen_process_of_that_run(tmp_path: Path) -> None:
    proc = subprocess.Popen(["sleep", "30"], env={**os.environ, RUN_ID_ENV: "run-x"})
    try:
        os.kill(proc.pid, signal.SIGSTOP)
        assert _wait_state(proc.pid, lambda st: st == "T")
        (tmp_path / "faults").mkdir()
        (tmp_path / "faults" / "001.json").write_text(
            json.dumps(
                {
                    "name": "freeze",
                    "offline": {"kind": "signal", "signal": "SIGCONT", "pids": [proc.pid], "run_id": "run-x"},
                }
            )
        )
        assert revert_offline(tmp_path) == ["freeze: signal"]
        assert _wait_state(proc.pid, lambda st: st != "T")
        assert not list((tmp_path / "faults").glob("*.json"))
    finally:
        proc.kill()
        proc.wait()


def _wait_state(pid: int, ok, timeout: float = 3.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok(Path(f"/proc/{pid}/stat").read_text().split()[2]):
            return True
        time.sleep(0.02)
    return False


def test_revert_offline_runs_the_recorded_kubectl_and_docker_lines_mocked_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Kubernetes fault left by a killed run is undone by its recorded command lines, last fault
    first. kubectl and docker are MOCKED by scripts on PATH that log their arguments."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for tool in ("kubectl", "docker"):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {log}\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    faults = tmp_path / "run" / "faults"
    faults.mkdir(parents=True)
    scale = ["kubectl", "--context", "kind-alertdrill", "scale", "deployment/bff", "--replicas=1", "--namespace", "a"]
    (faults / "001.json").write_text(json.dumps({"name": "kill", "offline": {"kind": "commands", "argv": [scale]}}))
    (faults / "002.json").write_text(
        json.dumps(
            {"name": "node", "offline": {"kind": "commands", "argv": [["docker", "start", "alertdrill-worker2"]]}}
        )
    )
    assert revert_offline(tmp_path / "run") == ["node: commands", "kill: commands"]
    assert log.read_text().splitlines() == ["docker start alertdrill-worker2", " ".join(scale)]
    assert not list(faults.glob("*.json"))
