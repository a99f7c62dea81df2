"""The final table a run prints: alert, verdict, latency against its bound, receivers, recovery."""

from __future__ import annotations

from typing import Any

from alertdrill.report.results import told_cells
from alertdrill.runtime.binaries import versions_label

GREEN, RED, YELLOW, RESET = "\033[32m", "\033[31m", "\033[33m", "\033[0m"


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}s"


def summary_table(results: dict[str, Any], color: bool = False) -> str:
    rows = [("alert", "scenario", "verdict", "paged (or fired) / bound", "receivers", "recovery / bound")]
    for d in results.get("drills", []):
        e = d["expected"]
        seen = _fmt(d["notify_latency_s"]) if d["notify_latency_s"] is not None else f"({_fmt(d['fire_latency_s'])})"
        told = told_cells(d)
        if told is not None:  # alerting itself broke: when someone was told, and told it was back
            rows.append((told[0], d["scenario"][:40], d["outcome"], told[1], "-", told[2]))
            continue
        rows.append(
            (
                str(d.get("alert") or "-"),
                d["scenario"][:40],
                d["outcome"],
                f"{seen} / {_fmt(e['fire_bound_s'])}",
                ",".join(d["observed"].get("receivers", [])) or "-",
                f"{_fmt(d['recovery_s'])} / {_fmt(e['recovery_bound_s'])}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        if color and n:
            tint = {"passed": GREEN, "failed": RED}.get(row[2], YELLOW)  # error, inconclusive: not a verdict
            cells[2] = tint + cells[2] + RESET
        lines.append("  ".join(cells).rstrip())
    s = results.get("summary", {})
    lines.append(
        f"{s.get('passed', 0)} passed, {s.get('failed', 0)} failed, "
        f"{s.get('error', 0)} error, {s.get('inconclusive', 0)} inconclusive, {s.get('skipped', 0)} skipped; stack "
        f"{results.get('stack')} at time scale {results.get('time_scale'):g} "
        f"(production times divided by it)"
        + (f"; {versions_label(results['versions'])}" if results.get("versions") else "")
    )
    if results.get("outcome") == "interrupted":
        open_drills = results.get("interrupted_drills") or [d for d in [results.get("interrupted_drill")] if d]
        during = ", ".join(repr(d) for d in open_drills)
        lines.append(
            "INTERRUPTED"
            + (f" during {during} (every fault rolled back)" if open_drills else "")
            + "; drills not yet started did not run"
        )
    for d in results.get("drills", []):
        if d["outcome"] != "passed" and d["message"]:
            lines.append(f"- {d['outcome']}: {d['scenario']}: {d['message'].splitlines()[0][:300]}")
    if s.get("error") or s.get("inconclusive"):
        lines.append(
            "error: the drill could not be carried out (not a verdict on the monitoring); "
            "inconclusive: the system was not at its SLOs before the fault"
        )
    return "\n".join(lines)
