#!/usr/bin/env bash
# Runs every (non-slow) drill N times in a row on fresh local stacks and prints each run's wall
# time and verdicts, to show the verdicts do not change. Usage: bench/repeat_runs.sh [N] [OUT_DIR]
set -u
cd "$(dirname "$0")/.."
n=${1:-5}; out=${2:-reports/repeat}
mkdir -p "$out"
for i in $(seq 1 "$n"); do
  start=$SECONDS
  .venv/bin/alertdrill run -q --report-dir "$out/run-$i" > "$out/run-$i.log" 2>&1
  printf 'run %d: exit %d, wall %d s\n' "$i" "$?" "$((SECONDS - start))"
done
.venv/bin/alertdrill report "$out"/run-*/ --out "$out/review.html"
