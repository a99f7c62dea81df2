#!/usr/bin/env bash
# Runs every (non-slow) drill N times in a row on fresh local stacks and prints each run's wall
# time, verdict counts and leftovers (processes still naming the state dir), to show the verdicts
# do not change and nothing leaks. Usage: bench/repeat_runs.sh [N] [OUT_DIR]
set -u
cd "$(dirname "$0")/.."
n=${1:-5}; out=${2:-reports/repeat}
state=${ALERTDRILL_STATE_DIR:-.alertdrill}
mkdir -p "$out"
for i in $(seq 1 "$n"); do
  start=$SECONDS
  .venv/bin/alertdrill run -q --report-dir "$out/run-$i" > "$out/run-$i.log" 2>&1
  rc=$?
  verdicts=$(.venv/bin/python - "$out/run-$i/results.json" <<'PY'
import collections, json, sys
try:
    drills = json.load(open(sys.argv[1]))["drills"]
except (OSError, KeyError, ValueError) as exc:
    print(f"no results ({exc.__class__.__name__})"); raise SystemExit
print(" ".join(f"{k}={v}" for k, v in sorted(collections.Counter(d["outcome"] for d in drills).items())))
PY
)
  left=$(pgrep -f "$(realpath "$state")/runs" | wc -l)
  printf 'run %d: exit %d, wall %d s, %s, leftover processes %d\n' "$i" "$rc" "$((SECONDS - start))" "$verdicts" "$left"
done
.venv/bin/alertdrill report "$out"/run-*/ --out "$out/review.html"
