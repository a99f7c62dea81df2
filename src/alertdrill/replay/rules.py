"""The rules a replay loads: the team's rules on a scaled clock, evaluated on promtool's grid,
silent before the replay's time 0.

Why rewritten at all, and only this much:
- Scaled clock: windows, offsets, `for` and `keep_firing_for` divide by the scale; so do the
  per-second functions (`rate`, `irate`, `deriv` are divided by it, `predict_linear`'s horizon
  too), else a counter fed at promtool's pace would read `scale` times faster.
- promtool's grid: promtool evaluates every group at every `evaluation_interval`, in order, at
  the same instant. Groups that share an interval are loaded as one group, in that order, so a
  recording rule feeds the alert after it in the same evaluation, as in promtool. A group's own
  `interval:` is kept (production evaluates it that way): if it differs from the tests', the live
  alert is evaluated less or more often, which is a disagreement a replay exists to show.
- Time 0: before it no sample exists and no rule may start a `for` clock (`absent()` would be
  pending already). Every rule is joined `and on() alertdrill_replay_gate`, a series the replay
  writes from time 0 on; a clock rule (`alertdrill_replay_clock`, not gated) stamps each
  evaluation so the replay learns the grid's phase to the millisecond before time 0 is chosen.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import promql_parser as pp

from alertdrill.config.durations import format_duration, parse_duration
from alertdrill.config.promql import parse_located
from alertdrill.config.promql_durations import ExactDurations
from alertdrill.replay.plan import ReplayGroup
from alertdrill.runtime.yamlfile import dump_yaml

GATE = "alertdrill_replay_gate"
CLOCK = "alertdrill_replay_clock"
GROUP_LABEL = "alertdrill_replay_group"
#: Functions whose value is per second of the (now scaled) clock.
PER_SECOND = frozenset({"rate", "irate", "deriv"})


def scale_promql(expr: str, scale: float, where: str) -> str:
    """`expr` as it reads on a clock `scale` times faster, with the values it had before."""
    if scale == 1:
        return expr
    tree = parse_located(expr, where)
    durations = ExactDurations()  # promql-parser would print them to the second
    changed = False

    def post(node: Any) -> Any:
        nonlocal changed
        new = _scaled_node(node)
        changed = changed or new is not None
        return new

    def _scaled_node(node: Any) -> Any:
        if durations.scale_times(node, scale, lambda seconds: seconds / scale):
            return pp.parse(str(node))
        if isinstance(node, pp.Call) and node.func.name in PER_SECOND:
            return pp.parse(f"({node} / {scale:g})")
        if isinstance(node, pp.Call) and node.func.name == "predict_linear":
            series, horizon = (str(a) for a in node.args)
            return pp.parse(f"predict_linear({series}, ({horizon}) / {scale:g})")
        return None

    result = pp.transform(tree, post_visit=post)
    if not changed:  # nothing on the clock: the team's text, not the parser's reprint of it
        return expr
    return durations.write_out(str(result))


def gated(expr: str) -> str:
    return f"({expr}) and on () {GATE}"


def _scaled_duration(text: str, scale: float, where: str) -> str:
    return format_duration(parse_duration(text, where) / scale)


def _rule(rule: dict[str, Any], group: dict[str, Any], scale: float, where: str) -> dict[str, Any]:
    out = copy.deepcopy(rule)
    out["expr"] = gated(scale_promql(str(rule["expr"]), scale, where))
    for key in ("for", "keep_firing_for"):
        if rule.get(key):
            out[key] = _scaled_duration(str(rule[key]), scale, where)
    if group.get("labels"):  # a group's labels, under the rule's own (Prometheus 3 group labels)
        out["labels"] = {**group["labels"], **(rule.get("labels") or {})}
    return out


def ordered_groups(group: ReplayGroup) -> list[tuple[str, dict[str, Any]]]:
    """(file, rule group) in the order promtool evaluates them: `group_eval_order` first, then file order."""
    found = [(str(rf.path), g) for rf in group.rule_files for g in rf.document["groups"]]
    order = {name: i for i, name in enumerate(group.group_order)}
    return sorted(found, key=lambda fg: order.get(str(fg[1].get("name")), len(order)))


def replay_rules(group: ReplayGroup) -> dict[str, Any]:
    """One rule group per evaluation interval, each opened by its clock rule."""
    scale = group.time_scale
    merged: dict[float, list[dict[str, Any]]] = {}
    for path, g in ordered_groups(group):
        interval = parse_duration(g["interval"], path) if g.get("interval") else group.eval_interval_s
        rules = merged.setdefault(interval, [])
        for r in g.get("rules") or []:
            rules.append(_rule(r, g, scale, f"{path}: rule {r.get('alert') or r.get('record')!r}"))
    groups = []
    for interval, rules in merged.items():
        name = f"replay-every-{format_duration(interval)}"
        clock = {"record": CLOCK, "expr": "vector(1)", "labels": {GROUP_LABEL: name}}
        groups.append({"name": name, "interval": format_duration(interval / scale), "rules": [clock, *rules]})
    return {"groups": groups}


def write_replay_rules(group: ReplayGroup, dest: Path) -> Path:
    dump_yaml(replay_rules(group), dest)
    return dest


def primary_group(group: ReplayGroup) -> str:
    """The merged group whose grid time 0 is put on: the one evaluated at the tests' own interval,
    else (every group sets its own) the first."""
    names = [g["name"] for g in replay_rules(group)["groups"]]
    wanted = f"replay-every-{format_duration(group.eval_interval_s)}"
    return wanted if wanted in names else names[0]
