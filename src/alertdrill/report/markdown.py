"""A run as Markdown, for where people read CI first: the job page (`$GITHUB_STEP_SUMMARY`) and
`alertdrill report --markdown`.

Why its own renderer: the job page is what a nightly's reader opens; it must answer "is our
monitoring broken, or was the run?" in the first lines — the counts by outcome, each drill that did
not pass with its one-line reason, and where the full report is.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alertdrill.report.results import told_cells

OUTCOME_MARK = {"passed": "✅", "failed": "❌", "error": "⚠️", "inconclusive": "❔", "skipped": "⏭", "interrupted": "⏹"}
MEANING = (
    "**failed**: the monitoring did something wrong · **error**: the drill could not be carried out "
    "(not a verdict on the monitoring) · **inconclusive**: the system was not at its SLOs before the fault"
)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _s(value: object) -> str:
    return "–" if value is None else f"{float(value):.2f}s"  # type: ignore[arg-type]


def render_markdown(results: Mapping[str, Any], report_dir: Path | None = None) -> str:
    s = results.get("summary", {})
    counts = ", ".join(
        f"{s.get(k, 0)} {k}"
        for k in ("passed", "failed", "error", "inconclusive", "skipped", "interrupted")
        if s.get(k, 0) or k == "passed"
    )
    lines = [
        f"## alertdrill run {results.get('run_id')}: {counts}",
        "",
        f"stack **{results.get('stack')}**, time scale {results.get('time_scale', 1):g} (production times divided by "
        f"it){'; interrupted' if results.get('outcome') == 'interrupted' else ''}",
        "",
        MEANING,
        "",
        "| | alert | scenario | paged (fired) / bound | recovery / bound |",
        "|---|---|---|---|---|",
    ]
    for d in results.get("drills", []):
        told = told_cells(d)
        e = d.get("expected") or {}
        paged = (
            told[1]
            if told
            else f"{_s(d.get('notify_latency_s') or d.get('fire_latency_s'))} / {_s(e.get('fire_bound_s'))}"
        )
        recovery = told[2] if told else f"{_s(d.get('recovery_s'))} / {_s(e.get('recovery_bound_s'))}"
        alert = told[0] if told else d.get("alert") or "–"
        mark = OUTCOME_MARK.get(str(d.get("outcome")), "")
        lines.append(
            f"| {mark} {d.get('outcome')} | {_cell(alert)} | {_cell(d.get('scenario'))} | {paged} | {recovery} |"
        )
    bad = [d for d in results.get("drills", []) if d.get("outcome") not in ("passed", "skipped") and d.get("message")]
    if bad:
        lines += ["", "### Why"]
        lines += [
            f"- **{d.get('outcome')}** {_cell(d.get('scenario'))}: {_cell(str(d['message']).splitlines()[0][:400])}"
            for d in bad
        ]
    if report_dir is not None:
        lines += [
            "",
            f"Artifacts: `{report_dir / 'report.html'}` (timelines and diagnostics), "
            f"`{report_dir / 'results.json'}`, `{report_dir / 'junit.xml'}`",
        ]
    return "\n".join(lines) + "\n"


def append_step_summary(path: Path, results: Mapping[str, Any], report_dir: Path) -> None:
    """GitHub appends every step's summary to the job page: add, never replace."""
    with path.open("a", encoding="utf-8") as f:
        f.write(render_markdown(results, report_dir))
