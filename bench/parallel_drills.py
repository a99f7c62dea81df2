"""Benchmark: the default run serial vs `--parallel`, side by side, then repeated parallel runs.

Not a test: it measures, for notes and the README. For each run: wall time, verdict per drill,
the peak summed RSS of the whole process tree (controller, workers, every stack), and each
drill's latency against its bound; then whether any drill's verdict changed across the runs.

Usage: .venv/bin/python bench/parallel_drills.py [--repeat 10] [--parallel auto] [--skip-serial]
       [--time-scale 60] [--out reports/bench-parallel] [-- extra alertdrill run args]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _tree_rss_kib(root: int) -> int:
    """Summed VmRSS of `root` and every process below it (stacks run in their own sessions but
    stay children of their worker)."""
    children: dict[int, list[int]] = defaultdict(list)
    rss: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            status = (proc / "status").read_text()
        except (OSError, IndexError):
            continue
        pid = int(proc.name)
        children[int(stat[1])].append(pid)
        rss[pid] = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def one_run(label: str, parallel: str, out: Path, time_scale: str, extra: list[str]) -> dict[str, object]:
    report = out / label
    env = {**os.environ, "ALERTDRILL_STATE_DIR": str(out / "state")}
    cmd = [str(REPO / ".venv/bin/alertdrill"), "run", "-q", "--parallel", parallel, "--report-dir", str(report)]
    cmd += ["--time-scale", time_scale, *extra]
    t0 = time.monotonic()
    log = (out / f"{label}.log").open("w")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    wall = time.monotonic() - t0
    done.set()
    sampler.join()
    try:
        results = json.loads((report / "results.json").read_text())
    except (OSError, ValueError):
        results = {"drills": [], "workers": 0}
    drills = {d["scenario"]: d for d in results["drills"]}
    print(
        f"{label:12} exit {code}  wall {wall:7.1f} s  workers {results.get('workers')}  "
        f"peak RSS {peak / 1024:7.0f} MiB  "
        + " ".join(f"{k}={v}" for k, v in sorted(_count(d["outcome"] for d in drills.values()).items())),
        flush=True,
    )
    return {
        "label": label,
        "exit": code,
        "wall_s": round(wall, 1),
        "peak_rss_mib": round(peak / 1024),
        "drills": drills,
    }


def _count(values: object) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for v in values:  # type: ignore[attr-defined]
        counts[v] += 1
    return dict(counts)


def latency_table(runs: list[dict[str, object]]) -> list[str]:
    """Per drill: paged (or fired) latency / bound in each run — the margin parallel load leaves."""
    lines = ["| drill | " + " | ".join(str(r["label"]) for r in runs) + " |", "|---|" + "---|" * len(runs)]
    names = list(runs[0]["drills"])  # type: ignore[call-overload]
    for name in names:
        cells = []
        for r in runs:
            d = r["drills"].get(name)  # type: ignore[attr-defined]
            if d is None:
                cells.append("–")
                continue
            seen = d["notify_latency_s"] if d["notify_latency_s"] is not None else d["fire_latency_s"]
            bound = d["expected"]["fire_bound_s"]
            mark = "" if d["outcome"] == "passed" else f" **{d['outcome']}**"
            cells.append(f"{seen if seen is not None else '–'} / {bound}{mark}")
        lines.append(f"| {name[:60]} | " + " | ".join(cells) + " |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="parallel runs after the side-by-side pair")
    parser.add_argument("--parallel", default="auto")
    parser.add_argument("--skip-serial", action="store_true")
    parser.add_argument("--time-scale", default="60")
    parser.add_argument("--out", default="reports/bench-parallel")
    parser.add_argument("extra", nargs="*", help="more `alertdrill run` arguments (after --)")
    args = parser.parse_args()
    out = (REPO / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    runs = []
    if not args.skip_serial:
        runs.append(one_run("serial", "1", out, args.time_scale, args.extra))
    for i in range(1, max(1, args.repeat) + 1):
        runs.append(one_run(f"parallel-{i}", args.parallel, out, args.time_scale, args.extra))
    verdicts: dict[str, set[str]] = defaultdict(set)
    for r in runs:
        for name, d in r["drills"].items():  # type: ignore[attr-defined]
            verdicts[name].add(d["outcome"])
    changed = {name: sorted(v) for name, v in verdicts.items() if len(v) > 1}
    walls = [r["wall_s"] for r in runs if str(r["label"]).startswith("parallel")]
    print(f"\nparallel wall: min {min(walls)} s, max {max(walls)} s over {len(walls)} run(s)")  # type: ignore[type-var]
    print(f"verdict changes across {len(runs)} runs: {changed or 'none'}")
    print("\n".join(latency_table(runs)))
    (out / "bench.json").write_text(json.dumps({"runs": runs, "verdict_changes": changed}, indent=1))
    return 0 if not changed else 1


if __name__ == "__main__":
    sys.exit(main())
