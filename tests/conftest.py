"""Helpers for alertdrill's own tests: run the CLI, copy and break a monitoring config, find leaks."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from alertdrill.runtime.capacity import STACKS_PER_CORE, cores
from alertdrill.runtime.rundir import processes_of_runs

REPO = Path(__file__).resolve().parents[1]
ALERTDRILL = [sys.executable, "-m", "alertdrill.cli"]


def alertdrill_processes(state_dir: Path) -> list[str]:
    """Processes still alive that a run under `state_dir` started (by their ALERTDRILL_RUN_ID)."""
    runs = {p.name for p in (state_dir / "runs").glob("*")} if (state_dir / "runs").is_dir() else set()
    return [f"{pid}: {cmd}" for pid, _state, cmd in processes_of_runs(runs)]


class Runner:
    """Runs `alertdrill` as a subprocess from the repo root with its own state and report dirs."""

    def __init__(self, tmp: Path) -> None:
        self.state_dir = tmp / "state"
        self.report_dir = tmp / "reports"
        self.reports_root = tmp / "reports-root"
        self.env = {
            # an `alertdrill run` under test is its own pytest session, not one of ours (xdist)
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))},
            "ALERTDRILL_STATE_DIR": str(self.state_dir),
            "ALERTDRILL_REPORTS_ROOT": str(self.reports_root),
        }
        test_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
        if test_workers > 1:
            # this suite runs test files side by side: each drill run gets an equal share of the
            # machine's stack budget rather than the first taking it all (the ledger is first-come)
            self.env["ALERTDRILL_PARALLEL"] = str(max(2, cores() * STACKS_PER_CORE // test_workers))
        self.cwd = REPO
        #: True: `run` writes to one fixed --report-dir; False: a directory per run under reports_root.
        self.fixed_report_dir = True

    def command(self, *args: str) -> list[str]:
        fixed = self.fixed_report_dir and bool(args) and args[0] == "run"
        extra = ["--report-dir", str(self.report_dir)] if fixed else []
        return [*ALERTDRILL, *args, *extra]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def popen(self, *args: str, sigint: signal.Handlers = signal.SIG_DFL) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            cwd=self.cwd,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # A CI job started in the background (nohup, `&`) inherits SIGINT ignored, and so would
            # the alertdrill under test: the Ctrl-C tests must send it a SIGINT it can receive.
            preexec_fn=lambda: signal.signal(signal.SIGINT, sigint),
        )

    def popen_until(
        self, marker: str, *args: str, timeout: float = 120, times: int = 1, sigint: signal.Handlers = signal.SIG_DFL
    ) -> tuple[subprocess.Popen[str], list[str]]:
        """Start `alertdrill ARGS` and return once `times` lines containing `marker` were printed.

        The returned list keeps filling with the process's output (for failure messages).
        """
        proc = self.popen(*args, sigint=sigint)
        lines: list[str] = []
        seen = threading.Event()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if sum(marker in seen_line for seen_line in lines) >= times:
                    seen.set()

        threading.Thread(target=read, daemon=True).start()
        if not seen.wait(timeout):
            proc.kill()
            proc.wait(timeout=10)
            raise AssertionError(f"no {marker!r} within {timeout:.0f}s:\n" + "".join(lines[-40:]))
        return proc, lines

    def leftovers(self) -> list[str]:
        return alertdrill_processes(self.state_dir)


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


@pytest.fixture
def monitoring_copy(tmp_path: Path) -> Callable[[Callable[[str], str] | None, str], Path]:
    """Copy monitoring/ and apply a text edit to one of its files (a deliberate break)."""

    def make(edit: Callable[[str], str] | None = None, file: str = "rules/fluo.rules.yml") -> Path:
        dest = tmp_path / "monitoring"
        if not dest.exists():
            shutil.copytree(REPO / "monitoring", dest)
        if edit is not None:
            target = dest / file
            before = target.read_text()
            after = edit(before)
            assert after != before, f"the edit did not change {file}"
            target.write_text(after)
        return dest

    return make


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the project's drill layout (features, steps, scenarios, monitoring) to break."""
    dest = tmp_path / "project"
    dest.mkdir()
    for name in ("features", "steps", "scenarios", "monitoring"):
        shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(REPO / name, dest / name)
    return dest


#: Test files that take minutes (each runs many drills), longest first as measured
#: (`--durations`, README "Tests"). Why: `--dist loadfile` hands files to workers in collection
#: order, so a long file collected last ran alone at the end (seen: 3 minutes with one worker
#: busy); longest first keeps every worker busy to the end. A file missing here only runs later.
LONGEST_FIRST = (
    "integration/test_drills.py",
    "integration/test_pipeline_drills.py",
    "integration/test_drills_negative.py",
    "integration/test_paging_negative.py",
    "integration/test_slo_negative.py",
    "integration/test_outcomes.py",
    "integration/test_replay.py",
    "integration/test_interrupts.py",
    "integration/test_run_safety.py",
    "integration/test_sop_as_written.py",
    "integration/test_pipeline_twins.py",
    "integration/test_discovery_kill.py",
    "integration/test_chain_links.py",
    "integration/test_heartbeat_twins.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest test files first (a stable sort: within a file, the written order stays)."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(f"{item.path.parent.name}/{item.path.name}", len(rank)))
