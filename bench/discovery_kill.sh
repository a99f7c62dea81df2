#!/usr/bin/env bash
# The "target leaves discovery" kill (scenarios/delete-bff.yaml) N times on fresh local stacks:
# each run's page latency against its bound, which path fired (the absent() identity, or an
# instance's `up == 0` when a scrape slipped in before the reload), then max and median.
# Usage: bench/discovery_kill.sh [N] [OUT_DIR] [-- extra alertdrill run args]
set -u
cd "$(dirname "$0")/.."
n=${1:-10}; out=${2:-reports/bench-discovery}; shift 2 2>/dev/null; [ "${1:-}" = "--" ] && shift
mkdir -p "$out"
for i in $(seq 1 "$n"); do
  .venv/bin/alertdrill run features/alerts/service_down.feature -q -k deleted --report-dir "$out/run-$i" "$@" \
    > "$out/run-$i.log" 2>&1
  echo "run $i: exit $?"
done
.venv/bin/python - "$out" "$n" <<'PY'
import json, statistics, sys
from pathlib import Path
out, n = Path(sys.argv[1]), int(sys.argv[2])
paged, fired, bounds = [], [], []
for i in range(1, n + 1):
    try:
        (d,) = json.loads((out / f"run-{i}" / "results.json").read_text())["drills"]
    except (OSError, ValueError) as exc:
        print(f"run {i}: no results ({exc.__class__.__name__})"); continue
    o, e = d["observed"], d["expected"]
    path = "up == 0 (a scrape slipped in)" if "instance" in o["labels"] else "absent() (stale markers)"
    print(f"run {i}: {d['outcome']}, fired {d['fire_latency_s']} s, paged {d['notify_latency_s']} s "
          f"of {e['fire_bound_s']} s, via {path}")
    if d["notify_latency_s"] is not None:
        paged.append(d["notify_latency_s"]); fired.append(d["fire_latency_s"]); bounds.append(e["fire_bound_s"])
    terms = e.get("fire_bound_terms")
if paged:
    print(f"paged: median {statistics.median(paged):.2f} s, max {max(paged):.2f} s, min {min(paged):.2f} s "
          f"(fired: median {statistics.median(fired):.2f} s, max {max(fired):.2f} s); "
          f"bound {min(bounds):.2f}-{max(bounds):.2f} s: {terms}")
PY
