"""The HTML report: one self-contained file (no CDN, no script), a summary and a card per drill.

Each card draws the drill's timeline on one axis (seconds from the fault): the moments the
drill observed, with the bound it was judged against drawn as a band, so a late page or a slow
recovery is seen, not computed.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping
from typing import Any

from alertdrill.drill.record import CHAIN_LINKS
from alertdrill.report.results import slo_objective, slo_value, told_cells
from alertdrill.report.timeline import timeline_svg

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
.passed{color:#2e7d32;font-weight:600}.failed{color:#b00020;font-weight:600}.skipped{color:#777}
.error,.inconclusive{color:#8a6d00;font-weight:600}
.card{border:1px solid #ddd;border-radius:6px;padding:12px 16px;margin:16px 0}
.card.bad{border-color:#b00020;border-width:2px}pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:400px;font-size:12px}
.msg{background:#fdecea;padding:8px;border-radius:4px}
.chain{margin:6px 0}.link{padding:1px 6px;border-radius:3px;font-size:12px}.link.held{background:#e8f5e9}
.link.broken{background:#b00020;color:#fff;font-weight:600}.link.unknown{background:#fff3cd}.link.unreached{color:#999}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}s"


def _runbook_rows(d: Mapping[str, Any]) -> str:
    """The team's runbook as the on-call ran it: each command, its verdict and why (and, for the
    autoscaling drill, how far and how fast the workers scaled)."""
    scaling = d.get("scaling") or {}
    out = (
        f"<p>autoscaling: peak {_e(scaling.get('replicas_peak'))} replicas; scaled out "
        f"{_s(scaling.get('scaled_out_s'))}, drained {_s(scaling.get('drained_s'))} after the fault</p>"
        if scaling
        else ""
    )
    steps = d.get("runbook") or []
    if not steps:
        return out
    rows = "".join(
        f"<tr class='{_e(s.get('verdict'))}'><td>line {_e(s.get('line'))}</td><td><code>{_e(s.get('command'))}</code>"
        f"</td><td>{_e(s.get('verdict'))}</td><td>{_e(s.get('why') or '')}</td></tr>"
        for s in steps
    )
    return (
        f"<table class='runbook'><tr><th></th><th>runbook command</th><th>verdict</th><th>why</th></tr>{rows}</table>"
    )


def _chain_rows(d: Mapping[str, Any]) -> str:
    """Each page that did not come, as its chain of links: held (with its time), the first broken
    one marked, the ones after it not reached (drill/chain.py)."""
    out = []
    for c in d.get("chains") or []:
        names = [str(link["name"]) for link in c.get("links") or []]
        cells = []
        for link in c.get("links") or []:
            held = link.get("held")
            mark, cls = ("✓", "held") if held is True else ("?", "unknown") if held is None else ("✗", "broken")
            at = f" +{float(link['at_s']):.2f}s" if link.get("at_s") is not None else ""
            cells.append(
                f"<span class='link {cls}' title='{_e(link.get('evidence'))}'>{mark} {_e(link['name'])}{at}</span>"
            )
        cells += [f"<span class='link unreached'>{_e(n)}</span>" for n in CHAIN_LINKS if n not in names]
        out.append(
            f"<div class='chain'><b>{_e(c.get('alert'))}</b>: {' → '.join(cells)}<br>"
            f"<span class='chainline'>{_e(c.get('line'))}</span></div>"
        )
    return "".join(out)


def _messages_table(d: Mapping[str, Any]) -> str:
    """Each message as its recipients got it, and the escalation steps against their bounds."""
    out = []
    if d.get("messages"):
        rows = "".join(
            f"<tr><td>+{float(m['at_s']):.2f}s</td><td>{_e(m.get('status'))}</td><td>{_e(m.get('alert'))}</td>"
            f"<td>{_e(', '.join(m.get('recipients') or []))}</td><td>{_e(m.get('subject'))}</td>"
            f"<td>{_e(m.get('kind'))} ({_e(m.get('receiver'))}{', TLS' if m.get('tls') else ''})</td></tr>"
            for m in d["messages"]
        )
        out.append(
            "<table class='messages'><tr><th>arrived</th><th>status</th><th>alert</th><th>to</th><th>subject</th>"
            f"<th>via</th></tr>{rows}</table>"
        )
    if d.get("escalations"):
        rows = "".join(
            f"<tr><td>{_e(e['address'])}</td><td>{_s(e.get('after_s'))}</td><td>{_s(e.get('arrived_s'))}</td>"
            f"<td>{_s(e.get('bound_s'))}</td></tr>"
            for e in d["escalations"]
        )
        out.append(
            "<table class='escalations'><tr><th>escalated to</th><th>not before</th><th>arrived (after firing)</th>"
            f"<th>bound</th></tr>{rows}</table>"
        )
    if d.get("acknowledged_s") is not None:
        out.append(f"<p>acknowledged (silence) at +{float(d['acknowledged_s']):.2f}s</p>")
    for t in d.get("told") or []:
        if t.get("told_s") is None:
            out.append(f"<p class='told'>nobody was told by {_e(t.get('how'))} within {float(t['bound_s']):.2f}s</p>")
            continue
        terms = " + ".join(f"{n} {float(v):g}s" for n, v in t.get("terms") or [])
        back = f"; told it recovered at +{float(t['recovered_s']):.2f}s" if t.get("recovered_s") is not None else ""
        out.append(
            f"<p class='told'>{_e(', '.join(t.get('who') or []))} told by {_e(t.get('how'))} that alerting broke "
            f"({_e(t.get('fault'))}): +{float(t['told_s']):.2f}s after it, bound {float(t['bound_s']):.2f}s "
            f"({_e(terms)}){_e(back)}</p>"
        )
    for o in d.get("pipeline") or []:
        back = "until rollback" if o.get("back_s") is None else f"back at +{float(o['back_s']):.2f}s"
        out.append(f"<p>pipeline fault: {_e(o.get('component'))} down at +{float(o['down_s']):.2f}s, {back}</p>")
    if d.get("duplicates"):
        dup = ", ".join(f"{_e(a)} ×{n}" for a, n in sorted(d["duplicates"].items()))
        out.append(f"<p>paged more than once for this incident: {dup}</p>")
    return "".join(out)


def _labels_table(drill: Mapping[str, Any]) -> str:
    e, o = drill["expected"], drill["observed"]
    rows = [("receivers", ", ".join(e.get("receivers") or []) or "–", ", ".join(o.get("receivers") or []) or "–")]
    rows += [(k, v, (o.get("labels") or {}).get(k, "–")) for k, v in (e.get("labels") or {}).items()]
    rows.append(("for (scaled)", _s(e.get("for_s")), ""))
    body = "".join(f"<tr><td>{_e(a)}</td><td>{_e(b)}</td><td>{_e(c)}</td></tr>" for a, b, c in rows)
    return f"<table><tr><th></th><th>expected</th><th>seen</th></tr>{body}</table>"


def _slo_table(d: Mapping[str, Any]) -> str:
    """SOP-004's SLOs as measured in this drill: under load, or before the fault and after rollback."""
    rows = d.get("slos") or []
    if not rows:
        return ""
    phases = list(dict.fromkeys(str(m.get("phase")) for m in rows))
    by_slo: dict[str, dict[str, Any]] = {}
    for m in rows:
        by_slo.setdefault(str(m.get("slo")), {"first": m})[str(m.get("phase"))] = m
    head = (
        "<table class='slos'><tr><th>SLO</th><th>SOP-004</th><th>objective</th>"
        + "".join(f"<th>{_e(p)}</th>" for p in phases)
        + "</tr>"
    )
    body = []
    for name, cells in by_slo.items():
        first = cells["first"]
        tds = []
        for phase in phases:
            m = cells.get(phase)
            if m is None:
                tds.append("<td>–</td>")
                continue
            value = "no data" if m.get("value") is None else _e(slo_value(float(m["value"]), m.get("unit", "")))
            tds.append(f"<td class='{'passed' if m.get('met') else 'failed'}'>{value}</td>")
        body.append(
            f"<tr><td>{_e(name)}</td><td>{_e(first.get('sop'))}</td>"
            f"<td>{_e(slo_objective(first.get('objective', ''), first.get('unit', '')))}</td>{''.join(tds)}</tr>"
        )
    extra = ""
    if d.get("slo_return_s") is not None:
        extra = f"<p>back at every steady-state SLO {d['slo_return_s']:.2f}s after the rollback</p>"
    if d.get("load"):
        load = d["load"]
        extra += (
            f"<p>load generator: {load.get('requests_per_s', 0):g} requests/s, "
            f"{load.get('messages_per_s', 0):g} messages/s for {load.get('seconds', 0):.0f}s, "
            f"{load.get('errors', 0):g} errors; client p95 {load.get('client_p95_s', 0):g}s</p>"
        )
    return extra + head + "".join(body) + "</table>"


def _versions(results: Mapping[str, Any]) -> str:
    """The servers the verdicts hold for, in the header: a verdict on 2.42 says nothing of 3.14."""
    versions = results.get("versions") or {}
    if not versions:
        return ""
    shown = ", ".join(f"{_e(p)} <b>{_e(v)}</b>" for p, v in versions.items())
    return f"<p id='versions'>Servers: {shown}</p>"


def _workers(results: Mapping[str, Any]) -> str:
    n = int(results.get("workers") or 1)
    return f", on <b>{n}</b> parallel stacks" if n > 1 else ""


def _stack_of(d: Mapping[str, Any]) -> str:
    """Which stack ran it: its logs and fault records are in .alertdrill/runs/<stack_id>/."""
    return f" — stack <code>{_e(d['stack_id'])}</code>" if d.get("stack_id") else ""


def _interrupted(results: Mapping[str, Any]) -> str:
    if results.get("outcome") != "interrupted":
        return ""
    open_drills = results.get("interrupted_drills") or [d for d in [results.get("interrupted_drill")] if d]
    names = ", ".join(f"<b>{_e(d)}</b>" for d in open_drills)
    during = f" during {names} (every fault rolled back)" if open_drills else ""
    return f"<p id='interrupted' class='failed'>Interrupted{during}; drills not yet started did not run.</p>"


def _summary_row(d: Mapping[str, Any]) -> str:
    """One drill in the summary table (a pipeline-only drill: when someone was told)."""
    e = d["expected"]
    seen = (
        _s(d.get("notify_latency_s")) if d.get("notify_latency_s") is not None else f"({_s(d.get('fire_latency_s'))})"
    )
    told = told_cells(d)
    if told is not None:  # alerting itself broke: when someone was told, and told it was back
        return (
            f"<tr><td>{_e(told[0])}</td><td>{_e(d['scenario'])}</td><td class='{_e(d['outcome'])}'>"
            f"{_e(d['outcome'])}</td><td>{_e(told[1])}</td><td>–</td><td>{_e(told[2])}</td></tr>"
        )
    return (
        f"<tr><td>{_e(d.get('alert') or '–')}</td><td>{_e(d['scenario'])}</td>"
        f"<td class='{_e(d['outcome'])}'>{_e(d['outcome'])}</td>"
        f"<td title='{_e(e.get('fire_bound_terms') or '')}'>{seen} / {_s(e.get('fire_bound_s'))}</td>"
        f"<td>{_e(', '.join(d['observed'].get('receivers') or []) or '–')}</td>"
        f"<td title='{_e(e.get('recovery_bound_terms') or '')}'>"
        f"{_s(d.get('recovery_s'))} / {_s(e.get('recovery_bound_s'))}</td></tr>"
    )


def render_html(results: Mapping[str, Any], diagnostics: Mapping[str, str] | None = None) -> str:
    """The whole report as one HTML string."""
    diagnostics = diagnostics or {}
    s = results.get("summary", {})
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(results.get("started_at", 0)))
    took = results.get("finished_at", 0) - results.get("started_at", 0)
    out = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>alertdrill {_e(results.get('run_id'))}</title>"
        f"<style>{CSS}</style></head><body>",
        f"<h1>alertdrill run {_e(results.get('run_id'))}</h1>",
        f"<p id='summary'><span class='passed'>{s.get('passed', 0)} passed</span>, "
        f"<span class='failed'>{s.get('failed', 0)} failed</span>, "
        f"<span class='error'>{s.get('error', 0)} error</span> (could not be carried out), "
        f"<span class='inconclusive'>{s.get('inconclusive', 0)} inconclusive</span> "
        "(not at its SLOs before the fault), "
        f"{s.get('skipped', 0)} skipped — stack <b>{_e(results.get('stack'))}</b>, time scale "
        f"<b>{results.get('time_scale', 1):g}</b> (production times divided by it), started {started}, "
        f"took {took:.0f}s"
        f"{_workers(results)}</p>",
        _versions(results),
        _interrupted(results),
        "<table id='drills'><tr><th>alert</th><th>scenario</th><th>verdict</th><th>paged (fired) / bound</th>"
        "<th>receivers</th><th>recovery / bound</th></tr>",
    ]
    out += [_summary_row(d) for d in results.get("drills", [])]
    out.append("</table>")
    for d in results.get("drills", []):
        state = "ok" if d["outcome"] == "passed" else "bad"
        out.append(
            f"<div class='card {state}' data-outcome='{_e(d['outcome'])}'>"
            f"<h2>{_e(d.get('alert') or (told_cells(d) or ('–',))[0])} — {_e(d['scenario'])} "
            f"<span class='{_e(d['outcome'])}'>{_e(d['outcome'])}</span></h2>"
            f"<p>{_e(d['feature'])}{_stack_of(d)}</p>{_chain_rows(d)}{_runbook_rows(d)}{timeline_svg(d)}{_labels_table(d)}"
            f"{_messages_table(d)}"
        )
        if d.get("unexpected_alerts"):
            out.append(f"<p>unexpected alerts: {_e(', '.join(d['unexpected_alerts']))}</p>")
        out.append(_slo_table(d))
        if d["outcome"] != "passed" and d.get("message"):
            out.append(f"<p class='msg'>{_e(d['message'])}</p>")
        if d["scenario"] in diagnostics:
            out.append(
                f"<details><summary>diagnostics captured before teardown</summary>"
                f"<pre>{_e(diagnostics[d['scenario']])}</pre></details>"
            )
        out.append("</div>")
    out.append("</body></html>")
    return "".join(out)
