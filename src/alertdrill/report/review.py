"""`alertdrill report RUN_DIR...`: one run re-rendered, or the quarterly review across runs.

The review answers, per alert: was it drilled, how did it do in each run, how its fire and
recovery latency moved against their bounds, and whether a drill is flaky (its verdict changed
between runs of the same scenario). Lint findings and coverage come from `alertdrill check`.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alertdrill.errors import ConfigError
from alertdrill.report.html import CSS, _e, render_html


@dataclass
class AlertHistoryRow:
    alert: str
    verdicts: list[str] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (latency, bound)
    recoveries: list[tuple[float, float]] = field(default_factory=list)
    flaky: list[str] = field(default_factory=list)


def load_runs(dirs: Sequence[Path]) -> list[dict[str, Any]]:
    runs = []
    for d in dirs:
        path = d / "results.json" if d.is_dir() else d
        try:
            runs.append(json.loads(path.read_text()))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: not a readable results.json ({exc}); pass report directories") from None
    return sorted(runs, key=lambda r: r.get("started_at", 0))


def summarize(runs: Sequence[Mapping[str, Any]]) -> list[AlertHistoryRow]:
    rows: dict[str, AlertHistoryRow] = {}
    by_scenario: dict[str, set[str]] = defaultdict(set)
    for run in runs:
        for d in run.get("drills", []):
            alert = d.get("alert") or "–"
            row = rows.setdefault(alert, AlertHistoryRow(alert))
            row.verdicts.append(d["outcome"])
            by_scenario[f"{alert}|{d['scenario']}"].add(d["outcome"])
            e = d["expected"]
            latency = d.get("notify_latency_s") if d.get("notify_latency_s") is not None else d.get("fire_latency_s")
            if latency is not None and e.get("fire_bound_s"):
                row.latencies.append((latency, e["fire_bound_s"]))
            if d.get("recovery_s") is not None and e.get("recovery_bound_s"):
                row.recoveries.append((d["recovery_s"], e["recovery_bound_s"]))
    for key, verdicts in by_scenario.items():
        if len(verdicts) > 1:
            alert, scenario = key.split("|", 1)
            rows[alert].flaky.append(scenario)
    return sorted(rows.values(), key=lambda r: r.alert)


def _stats(pairs: list[tuple[float, float]]) -> str:
    if not pairs:
        return "–"
    values = [p[0] for p in pairs]
    return (
        f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}s "
        f"(bound {max(p[1] for p in pairs):.2f}s)"
    )


def render_table(rows: Sequence[AlertHistoryRow], runs: int) -> str:
    lines = [f"{'alert':22} {'passed':>9} {'fire min/med/max':38} {'recovery min/med/max':38} flaky"]
    for r in rows:
        passed = f"{r.verdicts.count('passed')}/{len(r.verdicts)}"
        lines.append(
            f"{r.alert:22} {passed:>9} {_stats(r.latencies):38} {_stats(r.recoveries):38} {', '.join(r.flaky) or '-'}"
        )
    lines.append(f"{runs} run(s)")
    return "\n".join(lines)


def _sparkline(pairs: list[tuple[float, float]], width: int = 220, height: int = 40) -> str:
    if not pairs:
        return ""
    top = max(max(p) for p in pairs) * 1.1 or 1.0
    step = width / max(len(pairs) - 1, 1)
    pts = " ".join(f"{i * step:.1f},{height - height * v / top:.1f}" for i, (v, _b) in enumerate(pairs))
    bound = height - height * max(b for _v, b in pairs) / top
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" class="trend">'
        f'<line x1="0" y1="{bound:.1f}" x2="{width}" y2="{bound:.1f}" stroke="#b00020" stroke-dasharray="4"/>'
        f'<polyline points="{pts}" fill="none" stroke="#1565c0" stroke-width="2"/></svg>'
    )


def render_review(runs: Sequence[Mapping[str, Any]], rows: Sequence[AlertHistoryRow], check_text: str = "") -> str:
    out = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>alertdrill review</title><style>{CSS}</style>"
        f"</head><body><h1>alertdrill review of {len(runs)} run(s)</h1>",
        "<table id='review'><tr><th>alert</th><th>passed</th><th>fire latency min/med/max</th><th>trend</th>"
        "<th>recovery min/med/max</th><th>flaky drills</th></tr>",
    ]
    for r in rows:
        out.append(
            f"<tr><td>{_e(r.alert)}</td><td>{r.verdicts.count('passed')}/{len(r.verdicts)}</td>"
            f"<td>{_e(_stats(r.latencies))}</td><td>{_sparkline(r.latencies)}</td>"
            f"<td>{_e(_stats(r.recoveries))}</td>"
            f"<td class='{'failed' if r.flaky else 'passed'}'>{_e(', '.join(r.flaky) or 'none')}</td></tr>"
        )
    out.append("</table>")
    out.append(
        "<h2>runs</h2><ul>"
        + "".join(
            f"<li>{_e(run.get('run_id'))}: stack {_e(run.get('stack'))}, time scale {run.get('time_scale', 1):g}, "
            f"{run.get('summary', {}).get('passed', 0)} passed, {run.get('summary', {}).get('failed', 0)} failed</li>"
            for run in runs
        )
        + "</ul>"
    )
    if check_text:
        out.append(f"<h2>alertdrill check (lint, coverage, deviations from the SOP)</h2><pre>{_e(check_text)}</pre>")
    out.append("</body></html>")
    return "".join(out)


def rerender(run_dir: Path) -> Path:
    """Re-render one run's report.html from its results.json and diagnostics/index.json."""
    (results,) = load_runs([run_dir])
    diagnostics = {}
    index = run_dir / "diagnostics" / "index.json"
    if index.is_file():
        for scenario, name in json.loads(index.read_text()).items():
            path = run_dir / "diagnostics" / name
            if path.is_file():
                diagnostics[scenario] = path.read_text()
    out = run_dir / "report.html"
    out.write_text(render_html(results, diagnostics))
    return out
