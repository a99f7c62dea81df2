"""A replay's results as results.json holds them: what the JUnit file and the HTML report read."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from alertdrill.replay.run import GroupResult


def group_json(r: GroupResult) -> dict[str, Any]:
    g = r.group
    return {
        "file": str(g.source),
        "number": g.number,
        "name": g.name,
        "label": g.label,
        "status": r.status,
        "time_scale": g.time_scale,
        "eval_interval_s": g.eval_interval_s,
        "horizon_s": g.horizon_s,
        "wall_s": round(r.wall_s, 3),
        "skipped": g.skipped,
        "error": r.error,
        "checks": [asdict(c) for c in r.checks],
        "notes": r.notes,
        "pages": r.pages,
        "timeline": r.timeline,
    }


def results_json(results: list[GroupResult], run_id: str, versions: str, wall_s: float, workers: int) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    causes: dict[str, int] = {}
    for r in results:
        for c in r.checks:
            if not c.ok:
                causes[c.cause] = causes.get(c.cause, 0) + 1
    return {
        "kind": "replay",
        "run_id": run_id,
        "versions": versions,
        "wall_s": round(wall_s, 3),
        "workers": workers,
        "summary": {"groups": len(results), **counts, "causes": causes},
        "groups": [group_json(r) for r in results],
    }
