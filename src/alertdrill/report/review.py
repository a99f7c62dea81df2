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
from alertdrill.report.review_plots import dot_plot, escalation_table, slo_table, told_table
from alertdrill.runtime.atomic import write_text_atomic
from alertdrill.runtime.binaries import versions_label


@dataclass
class AlertHistoryRow:
    alert: str
    verdicts: list[str] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (latency, bound)
    recoveries: list[tuple[float, float]] = field(default_factory=list)
    flaky: list[str] = field(default_factory=list)
    latency_ok: list[bool] = field(default_factory=list)  # the verdict of each latency's drill
    recovery_ok: list[bool] = field(default_factory=list)


def load_runs(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """The runs behind these paths (report dirs or results.json files), each once, oldest first.

    `alertdrill report reports/*` works as it is: `latest` (a link to one of them) is counted
    once, and files that are not results (a check's JUnit, an earlier review) are passed over.
    A named directory without results.json is bad input.
    """
    runs: dict[str, dict[str, Any]] = {}
    for p in paths:
        if p.is_file() and p.name != "results.json":
            continue
        path = p / "results.json" if p.is_dir() else p
        try:
            run = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: not a readable results.json ({exc}); pass report directories") from None
        runs.setdefault(str(run.get("run_id", path)), run)
    return sorted(runs.values(), key=lambda r: r.get("started_at", 0))


def summarize(runs: Sequence[Mapping[str, Any]], alerts: Sequence[str] = ()) -> list[AlertHistoryRow]:
    """One row per alert drilled in these runs, plus a row for each of `alerts` never drilled."""
    rows: dict[str, AlertHistoryRow] = {a: AlertHistoryRow(a) for a in alerts}
    by_scenario: dict[str, set[str]] = defaultdict(set)
    for run in runs:
        for d in run.get("drills", []):
            alert = d.get("alert")
            if not alert:
                continue  # SLO and dashboard features: in the SLO table
            if d["outcome"] == "interrupted":
                continue  # no verdict: the drill was stopped, not judged
            row = rows.setdefault(alert, AlertHistoryRow(alert))
            row.verdicts.append(d["outcome"])
            by_scenario[f"{alert}|{d['scenario']}"].add(d["outcome"])
            e = d["expected"]
            latency = d.get("notify_latency_s") if d.get("notify_latency_s") is not None else d.get("fire_latency_s")
            if latency is not None and e.get("fire_bound_s"):
                row.latencies.append((latency, e["fire_bound_s"]))
                row.latency_ok.append(d["outcome"] == "passed")
            if d.get("recovery_s") is not None and e.get("recovery_bound_s"):
                row.recoveries.append((d["recovery_s"], e["recovery_bound_s"]))
                row.recovery_ok.append(d["outcome"] == "passed")
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


def render_table(
    rows: Sequence[AlertHistoryRow], runs: int, escalations: Mapping[str, list[tuple[float, float, float, bool]]]
) -> str:
    lines = [f"{'alert':22} {'passed':>9} {'fire min/med/max':38} {'recovery min/med/max':38} flaky"]
    for r in rows:
        passed = f"{r.verdicts.count('passed')}/{len(r.verdicts)}" if r.verdicts else "not drilled"
        lines.append(
            f"{r.alert:22} {passed:>9} {_stats(r.latencies):38} {_stats(r.recoveries):38} {', '.join(r.flaky) or '-'}"
        )
    for address, points in escalations.items():  # SOP-004's timeline: arrival after firing vs its bound
        in_time = sum(p[3] for p in points)
        label = f"escalation {address} (not before {points[0][1]:g}s)"
        lines.append(f"{label:71} {_stats([(p[0], p[2]) for p in points]):38} {in_time}/{len(points)} in time")
    lines.append(f"{runs} run(s)")
    return "\n".join(lines)


def render_review(
    runs: Sequence[Mapping[str, Any]],
    rows: Sequence[AlertHistoryRow],
    check_text: str = "",
    deviations: str = "",
) -> str:
    out = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>alertdrill review</title><style>{CSS}"
        f".muted{{color:#777}}</style></head><body><h1>alertdrill review of {len(runs)} run(s)</h1>",
        "<p>Per alert, every run's page (or fire, for a deferred P2) latency and its recovery as a dot "
        "against the derived bound (red line); a red dot is a failed drill.</p>",
        "<table id='review'><tr><th>alert</th><th>passed</th><th>fire latency min/med/max</th>"
        "<th>fire latency per run</th><th>recovery min/med/max</th><th>recovery per run</th>"
        "<th>flaky drills</th></tr>",
    ]
    groups = group_by_versions(runs)
    if len(groups) < 2:
        out.append(_alert_rows(rows))
    else:  # a verdict that changes with the servers is a version finding, not flakiness
        never = [r.alert for r in rows]
        for label, group in groups.items():
            out.append(f"<tr><th colspan='7' class='versions'>{_e(label)}: {len(group)} run(s)</th></tr>")
            out.append(_alert_rows(summarize(group, never)))
    out.append("</table>")
    out.append(outcome_rates(runs))
    out.append("<h2>SOP-004 escalation across runs</h2>" + escalation_table(runs))
    out.append("<h2>SOP-004 SLOs across runs</h2>" + slo_table(runs))
    out.append("<h2>When alerting itself broke: time to someone told, per fault</h2>" + told_table(runs))
    out.append(
        "<h2>runs</h2><ul>"
        + "".join(
            f"<li>{_e(run.get('run_id'))}: stack {_e(run.get('stack'))}, time scale {run.get('time_scale', 1):g}, "
            f"{_e(versions_of(run))}, "
            f"{run.get('summary', {}).get('passed', 0)} passed, {run.get('summary', {}).get('failed', 0)} failed, "
            f"{run.get('summary', {}).get('error', 0)} error, {run.get('summary', {}).get('inconclusive', 0)} "
            "inconclusive</li>"
            for run in runs
        )
        + "</ul>"
    )
    if check_text:
        out.append(f"<h2>alertdrill check: coverage and lint findings</h2><pre>{_e(check_text)}</pre>")
    if deviations:
        out.append(f"<h2>Deviations from SOP-004 (monitoring/README.md)</h2><pre>{_e(deviations)}</pre>")
    out.append("</body></html>")
    return "".join(out)


def outcome_rates(runs: Sequence[Mapping[str, Any]]) -> str:
    """How often a drill drew no verdict: errors (the run, not the monitoring) and inconclusive
    drills (not at its SLOs before the fault), as rates over every drill of these runs."""
    outcomes = [str(d.get("outcome")) for run in runs for d in run.get("drills", [])]
    if not outcomes:
        return ""
    n = len(outcomes)
    parts = [f"{k}: {outcomes.count(k)}/{n} ({100 * outcomes.count(k) / n:.1f} %)" for k in ("error", "inconclusive")]
    return f"<p id='rates'>drills without a verdict on the monitoring — {'; '.join(parts)}</p>"


def _alert_rows(rows: Sequence[AlertHistoryRow]) -> str:
    """The review table's rows: per alert, verdicts and a dot per run against the bound."""
    out = []
    for r in rows:
        if not r.verdicts:
            out.append(f"<tr><td>{_e(r.alert)}</td><td class='failed' colspan='6'>not drilled in these runs</td></tr>")
            continue
        fire_points = [(v, b, ok) for (v, b), ok in zip(r.latencies, r.latency_ok, strict=True)]
        rec_points = [(v, b, ok) for (v, b), ok in zip(r.recoveries, r.recovery_ok, strict=True)]
        out.append(
            f"<tr><td>{_e(r.alert)}</td><td>{r.verdicts.count('passed')}/{len(r.verdicts)}</td>"
            f"<td>{_e(_stats(r.latencies))}</td><td>{dot_plot(fire_points)}</td>"
            f"<td>{_e(_stats(r.recoveries))}</td><td>{dot_plot(rec_points)}</td>"
            f"<td class='{'failed' if r.flaky else 'passed'}'>{_e(', '.join(r.flaky) or 'none')}</td></tr>"
        )
    return "".join(out)


def versions_of(run: Mapping[str, Any]) -> str:
    """How a run names the servers its verdicts hold for ("versions not recorded" before they were)."""
    return versions_label(run.get("versions") or {}) or "versions not recorded"


def group_by_versions(runs: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Runs by the Prometheus and Alertmanager they ran on, in order of first appearance."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for run in runs:
        groups.setdefault(versions_of(run), []).append(run)
    return groups


def rerender(run_dir: Path) -> Path:
    """Re-render one run's report.html from its results.json and diagnostics/index.json."""
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: not a report directory (one with results.json)")
    (results,) = load_runs([run_dir])
    diagnostics = {}
    index = run_dir / "diagnostics" / "index.json"
    if index.is_file():
        for scenario, name in json.loads(index.read_text()).items():
            path = run_dir / "diagnostics" / name
            if path.is_file():
                diagnostics[scenario] = path.read_text()
    out = run_dir / "report.html"
    write_text_atomic(out, render_html(results, diagnostics))
    return out
