"""Time scaling of rules: `for`, `keep_firing_for`, range and subquery windows and offsets divided by N.

Why a parser: a regex on `[5m]` also rewrites regex matchers and string literals that happen to
contain it. promql-parser's `transform` keeps edits only when the callback returns a new node,
so each changed node is re-parsed from its own printed form; its durations are written out to
the millisecond afterwards (config.promql_durations: the parser prints whole seconds, so
`[90s]` at scale 60 once became `[1s]`, not `[1s500ms]`). Offsets scale too: `x offset 1h` on a
clock 60 times faster looks back one minute (it once looked back a real hour, before the run began).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import promql_parser as pp

from alertdrill.config.durations import format_duration, parse_duration
from alertdrill.config.promql import parse_located
from alertdrill.config.promql_durations import ExactDurations
from alertdrill.config.ruleset import RuleFile


@dataclass(frozen=True)
class ScaleNote:
    """A window that could not be scaled exactly (clamped to keep enough samples)."""

    where: str
    original_s: float
    scaled_s: float


def scale_expr(expr: str, factor: float, min_range_s: float, where: str, notes: list[ScaleNote]) -> str:
    """Divide every range and subquery window in `expr` by `factor` (at least `min_range_s`)."""
    if factor == 1:
        return expr
    tree = parse_located(expr, where)
    durations = ExactDurations()
    changed = False

    def window(original: float) -> float:
        scaled = round(max(original / factor, min_range_s) * 1000) / 1000
        if scaled * factor > original + 1e-9:
            notes.append(ScaleNote(where, original, scaled))
        return scaled

    def post(node: Any) -> Any:
        nonlocal changed
        if not durations.scale_times(node, factor, window):
            return None
        changed = True
        return pp.parse(str(node))

    result = pp.transform(tree, post_visit=post)
    return durations.write_out(str(result)) if changed else expr


def scale_rule_file(rf: RuleFile, factor: float, min_range_s: float, notes: list[ScaleNote]) -> dict[str, Any]:
    """A scaled copy of one rule file's document, ready to be written for Prometheus."""
    doc = copy.deepcopy(rf.document)
    for group in doc["groups"]:
        if "interval" in group:
            where = f"{rf.path}: group {group.get('name')!r}"
            group["interval"] = format_duration(max(parse_duration(group["interval"], where) / factor, 1.0))
        for rule in group.get("rules") or []:
            name = rule.get("alert") or rule.get("record")
            where = f"{rf.path}: rule {name!r}"
            rule["expr"] = scale_expr(str(rule["expr"]), factor, min_range_s, where, notes)
            for key in ("for", "keep_firing_for"):
                if key in rule:
                    rule[key] = format_duration(parse_duration(rule[key], where) / factor)
    return doc
