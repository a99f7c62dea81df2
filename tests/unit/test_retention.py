"""Retention of run directories: the last N stay, never a live run or one with open faults."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from alertdrill.runtime.rundir import prune_runs


def _run(runs: Path, name: str, owner: int, fault: bool = False) -> Path:
    path = runs / name
    (path / "faults").mkdir(parents=True)
    (path / "owner").write_text(str(owner))
    if fault:
        (path / "faults" / "001.json").write_text("{}")
    return path


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_keeps_exactly_the_newest_n(tmp_path: Path) -> None:
    dead = _dead_pid()
    for i in range(6):
        _run(tmp_path, f"20261129-00000{i}-aaaaaa", dead)
    removed = prune_runs(tmp_path, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"20261129-00000{i}-aaaaaa" for i in (3, 4, 5)]
    assert len(removed) == 3


def test_never_a_live_run_nor_one_with_open_faults(tmp_path: Path) -> None:
    dead = _dead_pid()
    live = _run(tmp_path, "20261129-000000-live00", os.getpid())
    open_fault = _run(tmp_path, "20261129-000001-fault0", dead, fault=True)
    _run(tmp_path, "20261129-000002-old000", dead)
    _run(tmp_path, "20261129-000003-new000", dead)
    prune_runs(tmp_path, keep=1)
    assert live.is_dir() and open_fault.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "20261129-000000-live00",
        "20261129-000001-fault0",
        "20261129-000003-new000",
    ]


def test_a_parallel_runs_worker_dirs_are_kept_and_pruned_as_one_run(tmp_path: Path) -> None:
    from alertdrill.runtime.rundir import prune_runs, run_of

    assert run_of("20261129-120000-abcdef-gw12") == "20261129-120000-abcdef"
    assert run_of("20261129-120000-abcdef") == "20261129-120000-abcdef"
    runs = tmp_path / "runs"
    for name in ("20261129-100000-aaaaaa-gw0", "20261129-100000-aaaaaa-gw1", "20261129-110000-bbbbbb",
                 "20261129-120000-cccccc-gw0", "20261129-120000-cccccc-gw1"):  # fmt: skip
        (runs / name).mkdir(parents=True)
    removed = prune_runs(runs, keep=2)
    assert sorted(p.name for p in removed) == ["20261129-100000-aaaaaa-gw0", "20261129-100000-aaaaaa-gw1"]
    assert sorted(p.name for p in runs.iterdir()) == [
        "20261129-110000-bbbbbb", "20261129-120000-cccccc-gw0", "20261129-120000-cccccc-gw1",
    ]  # fmt: skip
