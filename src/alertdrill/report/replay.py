"""A replay's JUnit file (one suite per test group, one case per alert, expression and page) and
its HTML report: per group the verdicts, and a timeline of every alert's state at each evaluation
with the pages it caused."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from alertdrill.runtime.atomic import write_text_atomic

_LEGEND = "dashed: the last eval_time; marks: first firing evaluation of a paged alert (green: paged in time)"
_COLOURS = {"pending": "#f5c542", "firing": "#d9534f"}


def write_replay_junit(path: Path, results: dict[str, Any]) -> None:
    root = ET.Element("testsuites", name="alertdrill-replay", time=f"{results['wall_s']:.3f}")
    total = failures = 0
    for g in results["groups"]:
        suite = ET.SubElement(root, "testsuite", name=g["label"], time=f"{g['wall_s']:.3f}")
        cases = 0
        if g["skipped"]:
            case = ET.SubElement(suite, "testcase", classname="replay", name=g["label"])
            ET.SubElement(case, "skipped", message="; ".join(g["skipped"])[:500])
            cases = 1
        if g["error"]:
            case = ET.SubElement(suite, "testcase", classname="replay", name=g["label"])
            ET.SubElement(case, "error", message=g["error"][:200]).text = g["error"]
            cases, failures = cases + 1, failures + 1
        for c in g["checks"]:
            name = (
                f"{c['kind']} {c['name']} @ {c['at_s']:g}s"
                if c["kind"] in ("alert", "expr")
                else f"{c['kind']} {c['name']}"
            )
            case = ET.SubElement(suite, "testcase", classname=f"replay.{c['kind']}", name=name)
            cases += 1
            if not c["ok"]:
                failures += 1
                message = f"[{c['cause']}] {c['explanation'] or c['detail']}"
                ET.SubElement(case, "failure", message=message[:300]).text = f"{message}\n{c['detail']}"
        suite.set("tests", str(cases))
        total += cases
    root.set("tests", str(total))
    root.set("failures", str(failures))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="unicode", xml_declaration=True)


def _timeline(g: dict[str, Any]) -> str:
    """One row per alert: a cell per evaluation, yellow pending, red firing; pages as marks."""
    if not g["timeline"]:
        return "<p>no alert was pending or firing live</p>"
    times = sorted({t for states in g["timeline"].values() for t, _ in states})
    end = max(times + [g["horizon_s"]]) or 1.0
    rows = []
    for ident, states in g["timeline"].items():
        step = g["eval_interval_s"]
        cells = "".join(
            f'<rect x="{t / end * 600:.1f}" y="2" width="{max(step / end * 600, 1):.1f}" height="14" '
            f'fill="{_COLOURS.get(s, "#999")}"><title>{t:g}s {s}</title></rect>'
            for t, s in states
        )
        name = ident.split("{", 1)[0]
        marks = "".join(
            f'<line x1="{p["fired_at_s"] / end * 600 + 0.5:.1f}" x2="{p["fired_at_s"] / end * 600 + 0.5:.1f}" y1="0" '
            f'y2="18" stroke="{"#2a7" if p["ok"] else "#000"}" stroke-width="2"><title>{html.escape(p["receiver"])}: '
            f"{html.escape(p['detail'])}</title></line>"
            for p in g["pages"]
            if p["alert"] == name and ident.endswith(_ident_labels(p["labels"]))
        )
        x = g["horizon_s"] / end * 600
        line = f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="18" stroke="#06c" stroke-dasharray="2"/>'
        rows.append(
            f"<tr><td><code>{html.escape(ident)}</code></td><td><svg width='600' height='18'>{cells}{marks}{line}"
            "</svg></td></tr>"
        )
    return "<table class='tl'>" + "".join(rows) + f"</table><p class='small'>0 to {end:g}s (test time); {_LEGEND}</p>"


def _ident_labels(labels: dict[str, str]) -> str:
    return ", ".join(f"{n}={v!r}" for n, v in sorted(labels.items()) if n != "alertname") + "}"


def render_replay_html(results: dict[str, Any]) -> str:
    s = results["summary"]
    head = (
        f"<h1>alertdrill replay {html.escape(results['run_id'])}</h1><p>{html.escape(results['versions'])} · "
        f"{s['groups']} group(s): {s.get('agrees', 0)} agree, {s.get('disagrees', 0)} disagree, "
        f"{s.get('skipped', 0)} skipped, {s.get('error', 0)} error · {results['wall_s']:.1f}s wall on "
        f"{results['workers']} stack(s)</p>"
    )
    parts = [head]
    for g in results["groups"]:
        colour = {"agrees": "#2a7", "disagrees": "#c33", "skipped": "#888", "error": "#c80"}[g["status"]]
        parts.append(f"<h2 style='color:{colour}'>{html.escape(g['label'])} — {g['status']}</h2>")
        parts.append(f"<p class='small'>time scale {g['time_scale']:g} · {g['wall_s']:.1f}s wall</p>")
        if g["skipped"]:
            parts.append("<ul>" + "".join(f"<li>cannot replay: {html.escape(r)}</li>" for r in g["skipped"]) + "</ul>")
            continue
        if g["error"]:
            parts.append(f"<pre>{html.escape(g['error'])}</pre>")
        rows = "".join(
            f"<tr class='{'ok' if c['ok'] else 'bad'}'><td>{c['kind']}</td><td>{html.escape(c['name'])}</td>"
            f"<td>{c['at_s']:g}s</td><td>{'agrees' if c['ok'] else html.escape(c['cause'])}</td>"
            f"<td>{html.escape(c['explanation'] or c['detail'])}</td></tr>"
            for c in g["checks"]
        )
        parts.append(
            f"<table><tr><th>check</th><th>what</th><th>at</th><th>verdict</th><th>why</th></tr>{rows}</table>"
        )
        parts.append(_timeline(g))
        if g["notes"]:
            parts.append(
                "<details><summary>notes</summary><ul>"
                + "".join(f"<li>{html.escape(n)}</li>" for n in g["notes"])
                + "</ul></details>"
            )
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto}td,th{padding:2px 6px;text-align:left;"
        "vertical-align:top}tr.bad{background:#fdd}tr.ok td:nth-child(4){color:#2a7}.small{color:#666;font-size:90%}"
    )
    return f"<!doctype html><meta charset='utf-8'><title>alertdrill replay</title><style>{style}</style>" + "".join(
        parts
    )


def write_replay_html(path: Path, results: dict[str, Any]) -> None:
    write_text_atomic(path, render_replay_html(results))
