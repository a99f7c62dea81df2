"""Pictures and tables for the quarterly review: latency against its bound per run, SLOs across
runs, and the documented deviations from the SOP. Plain SVG and HTML, no scripts or CDN."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alertdrill.report.html import _e
from alertdrill.report.results import slo_objective, slo_value

PLOT_W, PLOT_H, PAD = 300, 46, 8


def dot_plot(points: Sequence[tuple[float, float, bool]], unit: str = "s") -> str:
    """One dot per run at its latency on an axis from 0 to past the bound; the bound is the red
    line. A dot right of the line is a miss; dots creeping towards it are the quarterly warning."""
    if not points:
        return "<span class='muted'>no data</span>"
    top = max(max(v, b) for v, b, _ in points) * 1.15 or 1.0
    span = PLOT_W - 2 * PAD

    def x(v: float) -> float:
        return PAD + span * v / top

    bound = max(b for _, b, _ in points)
    ticks = [top * i / 4 for i in range(5)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{PLOT_W}" height="{PLOT_H}" class="dots">',
        f'<line x1="{PAD}" y1="24" x2="{PLOT_W - PAD}" y2="24" stroke="#999"/>',
        *(
            f'<text x="{x(t):.1f}" y="40" font-size="9" text-anchor="middle" fill="#555">{t:.3g}{unit}</text>'
            for t in ticks
        ),
        f'<line x1="{x(bound):.1f}" y1="6" x2="{x(bound):.1f}" y2="30" stroke="#b00020" stroke-width="2"/>',
        f'<text x="{x(bound):.1f}" y="6" font-size="9" text-anchor="middle" fill="#b00020" dy="4">bound</text>',
    ]
    for i, (v, _b, ok) in enumerate(points):
        jitter = 24 + ((i % 5) - 2) * 2.5
        colour = "#1565c0" if ok else "#b00020"
        parts.append(f'<circle cx="{x(v):.1f}" cy="{jitter:.1f}" r="3" fill="{colour}" fill-opacity="0.7"/>')
    parts.append("</svg>")
    return "".join(parts)


def slo_table(runs: Sequence[Mapping[str, Any]]) -> str:
    """Per SLO and phase: the measured values over all runs (min/median/max) and how often met."""
    cells: dict[tuple[str, str], list[tuple[float | None, bool]]] = defaultdict(list)
    meta: dict[str, Mapping[str, Any]] = {}
    for run in runs:
        for d in run.get("drills", []):
            for m in d.get("slos") or []:
                cells[(str(m["slo"]), str(m["phase"]))].append((m.get("value"), bool(m.get("met"))))
                meta.setdefault(str(m["slo"]), m)
    if not cells:
        return "<p class='muted'>no SLO measurements in these runs</p>"
    phases = sorted({p for _, p in cells}, key=["under load", "before fault", "after rollback"].index)
    head = "<table id='slos'><tr><th>SLO</th><th>objective</th>" + "".join(f"<th>{_e(p)}</th>" for p in phases)
    rows = [head + "</tr>"]
    for name, m in meta.items():
        tds = []
        for phase in phases:
            seen = cells.get((name, phase), [])
            values = [v for v, _ in seen if v is not None]
            met = sum(ok for _, ok in seen)
            if not seen:
                tds.append("<td>–</td>")
                continue
            unit = str(meta[name].get("unit", ""))
            spread = (
                " / ".join(slo_value(v, unit) for v in (min(values), statistics.median(values), max(values)))
                if values
                else "no data"
            )
            tds.append(
                f"<td class='{'passed' if met == len(seen) else 'failed'}'>{spread} ({met}/{len(seen)} met)</td>"
            )
        rows.append(
            f"<tr><td>{_e(name)}<br><small>{_e(m.get('sop'))}</small></td>"
            f"<td>{_e(slo_objective(m.get('objective', ''), m.get('unit', '')))}</td>{''.join(tds)}</tr>"
        )
    return "".join(rows) + "</table>"


def sop_deviations(monitoring_dir: Path) -> str:
    """The 'Deviations from SOP-004' section of the config's README, as written by its owners."""
    readme = monitoring_dir / "README.md"
    if not readme.is_file():
        return ""
    text = readme.read_text()
    m = re.search(r"^## Deviations from SOP[^\n]*\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    return m.group(1).strip() if m else ""


def escalation_rows(runs: Sequence[Mapping[str, Any]]) -> dict[str, list[tuple[float, float, float, bool]]]:
    """Per escalation address: (arrived after firing, not-before, bound, in time) of every run."""
    out: dict[str, list[tuple[float, float, float, bool]]] = defaultdict(list)
    for run in runs:
        for d in run.get("drills", []):
            for e in d.get("escalations") or []:
                if e.get("arrived_s") is None:
                    continue
                arrived, after, bound = float(e["arrived_s"]), float(e["after_s"]), float(e["bound_s"])
                out[str(e["address"])].append((arrived, after, bound, after - 0.002 <= arrived <= bound))
    return dict(out)


def escalation_table(runs: Sequence[Mapping[str, Any]]) -> str:
    """SOP-004's escalation steps across runs: each arrival against its delay and bound."""
    rows = escalation_rows(runs)
    if not rows:
        return "<p class='muted'>no escalation drill in these runs</p>"
    body = []
    for address, points in sorted(rows.items(), key=lambda kv: kv[1][0][1]):
        values = [p[0] for p in points]
        body.append(
            f"<tr><td>{_e(address)}</td><td>{points[0][1]:g}s</td>"
            f"<td>{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}s</td>"
            f"<td>{dot_plot([(v, b, ok) for v, _, b, ok in points])}</td>"
            f"<td>{sum(p[3] for p in points)}/{len(points)}</td></tr>"
        )
    return (
        "<table id='escalations'><tr><th>escalated to</th><th>not before (scaled)</th>"
        "<th>arrived after firing min/med/max</th><th>per run</th><th>in time</th></tr>" + "".join(body) + "</table>"
    )


def told_rows(runs: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], list[tuple[float, float, bool]]]:
    """Per (fault, how told): (told after the fault, bound, in time) of every run (scaled seconds)."""
    out: dict[tuple[str, str], list[tuple[float, float, bool]]] = defaultdict(list)
    for run in runs:
        for d in run.get("drills", []):
            for t in d.get("told") or []:  # told_s None: nobody was told (counted, not plotted)
                bound = float(t["bound_s"])
                told = float(t["told_s"]) if t.get("told_s") is not None else float("nan")
                out[(str(t.get("fault")), str(t.get("how")))].append((told, bound, told <= bound))
    return dict(out)


def told_table(runs: Sequence[Mapping[str, Any]]) -> str:
    """When alerting itself broke: time to "someone is told", per fault, across runs."""
    rows = told_rows(runs)
    if not rows:
        return "<p class='muted'>no drill broke the alerting pipeline in these runs</p>"
    body = []
    for (fault, how), points in sorted(rows.items()):
        told = [p for p in points if p[0] == p[0]]  # NaN: nobody was told in that run
        values = [p[0] for p in told]
        spread = f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}s" if values else "never"
        body.append(
            f"<tr><td>{_e(fault)}</td><td>{_e(how)}</td><td>{spread}</td>"
            f"<td>{dot_plot(told) if told else '–'}</td><td>{sum(p[2] for p in points)}/{len(points)}</td></tr>"
        )
    return (
        "<table id='told'><tr><th>pipeline fault</th><th>told by</th><th>time to told min/med/max</th>"
        "<th>per run</th><th>in time</th></tr>" + "".join(body) + "</table>"
    )
