"""Run-safety soak: start drills, kill the runner at a random moment (SIGINT or SIGKILL), clean up
with `alertdrill revert`, and check that nothing is left: no process of the run, no frozen
process, no memory hog, no fill file. Prints one line per round and exits 1 on any leftover.

Usage: .venv/bin/python bench/kill_soak.py [--rounds N] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alertdrill.runtime.rundir import processes_of_runs

FEATURES = [
    "features/alerts/service_down.feature",
    "features/alerts/high_memory_usage.feature",
    "features/alerts/disk_space_running_low.feature",
    "features/alerts/message_queue_backlog.feature",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="alertdrill-soak-") as tmp:
        env = {**os.environ, "ALERTDRILL_STATE_DIR": str(Path(tmp) / "state")}
        runs_dir = Path(tmp) / "state" / "runs"
        for n in range(1, args.rounds + 1):
            sig = rng.choice([signal.SIGINT, signal.SIGKILL])
            delay = rng.uniform(3, 40)
            cmd = [
                sys.executable,
                "-m",
                "alertdrill.cli",
                "run",
                *FEATURES,
                "-q",
                "--report-dir",
                str(Path(tmp) / f"r{n}"),
            ]
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            faults = len(list(runs_dir.glob("*/faults/*.json"))) if runs_dir.is_dir() else 0
            proc.send_signal(sig)
            code = proc.wait(timeout=60)
            revert = subprocess.run(
                [sys.executable, "-m", "alertdrill.cli", "revert"], env=env, capture_output=True, text=True, timeout=60
            )
            time.sleep(0.5)
            runs = {p.name for p in runs_dir.iterdir()} if runs_dir.is_dir() else set()
            left = processes_of_runs(runs)
            frozen = [p for p in left if p[1] == "T"]
            fills = list(runs_dir.glob("*/nodes/*/data/fill-*.bin")) if runs_dir.is_dir() else []
            records = list(runs_dir.glob("*/faults/*.json")) if runs_dir.is_dir() else []
            ok = not left and not fills and not records and revert.returncode == 0
            bad += not ok
            print(
                f"round {n:2d}: {sig.name:7} after {delay:5.1f}s (faults open at kill: {faults}) -> runner "
                f"exit {code}; revert exit {revert.returncode}; left: {len(left)} processes "
                f"({len(frozen)} frozen), {len(fills)} fill files, {len(records)} fault records "
                f"{'OK' if ok else 'LEAK ' + str(left[:3]) + str(fills[:2])}",
                flush=True,
            )
    print(f"{args.rounds - bad} of {args.rounds} rounds clean")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
