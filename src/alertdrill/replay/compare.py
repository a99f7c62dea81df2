"""The live alerts and expression results against a test group's expectations, one check each.

Why a tolerance on numbers only: a per-second function on a scaled clock is divided back by the
scale, which can move a value by the last bit of a float (1e-16 relative). Labels are compared
exactly; values, and numbers inside annotations, agree within `REL_TOL` — said in the check.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from alertdrill.config.durations import format_duration, parse_duration
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.replay.causes import GROUP_INTERVAL, PROMTOOL_TOO, UNEXPLAINED
from alertdrill.replay.feed import Clock
from alertdrill.replay.plan import AlertCase, ExprCase, ReplayGroup
from alertdrill.replay.rules import scale_promql
from alertdrill.replay.watch import Evaluations, LiveAlert

REL_TOL = 1e-9
#: Not a disagreement: the evaluation was not read (the replay re-runs the group slower).
UNOBSERVED = "unobserved"
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)")


@dataclass(frozen=True)
class Check:
    """One comparison of a replay: ok, or the disagreement with its cause."""

    kind: str  # alert | expr | page | resolved
    name: str
    at_s: float  # test time
    ok: bool
    detail: str
    cause: str = ""  # a causes.Cause code when not ok
    explanation: str = ""


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=REL_TOL)


def same_text(a: str, b: str) -> bool:
    """Equal, or equal but for numbers within REL_TOL of each other."""
    if a == b:
        return True
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    return all(close(float(x), float(y)) for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b), strict=True))


def _matches(expected: dict[str, dict[str, str]], live: LiveAlert) -> bool:
    ann = expected["annotations"]
    return (
        expected["labels"] == live.labels
        and ann.keys() == live.annotations.keys()
        and all(same_text(v, live.annotations[k]) for k, v in ann.items())
    )


def _unmatched(case: AlertCase, live: list[LiveAlert]) -> tuple[list[dict[str, dict[str, str]]], list[LiveAlert]]:
    left = list(live)
    missing = []
    for exp in case.expected:
        exp = {"labels": {**exp["labels"], "alertname": case.alertname}, "annotations": exp["annotations"]}
        hit = next((a for a in left if _matches(exp, a)), None)
        if hit is None:
            missing.append(exp)
        else:
            left.remove(hit)
    return missing, left


def rule_interval_s(group: ReplayGroup, alertname: str) -> tuple[str, float] | None:
    """(rule group name, its own interval) of the rule defining `alertname`, if the group sets one."""
    for rf in group.rule_files:
        for g in rf.document["groups"]:
            if g.get("interval") and any(r.get("alert") == alertname for r in g.get("rules") or []):
                return str(g.get("name")), parse_duration(g["interval"], str(rf.path))
    return None


def compare_alert(group: ReplayGroup, case: AlertCase, seen: Evaluations) -> Check:
    k = int(case.eval_time_s // group.eval_interval_s)
    live = seen.firing(k, case.alertname)
    if live is None:
        return Check("alert", case.alertname, case.eval_time_s, False, "evaluation not observed", UNOBSERVED)
    missing, extra = _unmatched(case, live)
    if not missing and not extra:
        return Check("alert", case.alertname, case.eval_time_s, True, f"{len(live)} firing, as expected")
    detail = "; ".join(
        [f"expected, not firing live: {m['labels']}" for m in missing]
        + [f"firing live, not expected: {a.labels} {a.annotations}" for a in extra]
    )
    if (case.alertname, case.eval_time_s) in group.promtool_failed:
        why = PROMTOOL_TOO.explain(version=group.promtool_version)
        return Check("alert", case.alertname, case.eval_time_s, False, detail, PROMTOOL_TOO.code, why)
    own = rule_interval_s(group, case.alertname)
    if own is not None and own[1] != group.eval_interval_s:
        why = GROUP_INTERVAL.explain(
            group=own[0],
            live=format_duration(own[1]),
            tested=format_duration(group.eval_interval_s),
            alert=case.alertname,
        )
        return Check("alert", case.alertname, case.eval_time_s, False, detail, GROUP_INTERVAL.code, why)
    return Check(
        "alert", case.alertname, case.eval_time_s, False, detail, UNEXPLAINED.code, UNEXPLAINED.explain(detail=detail)
    )


def compare_expr(url: str, group: ReplayGroup, case: ExprCase, clock: Clock) -> Check:
    expr = scale_promql(case.expr, group.time_scale, f"{group.label}: expr {case.expr!r}")
    with PrometheusClient(url) as prom:
        got = [(s.labels, s.value) for s in prom.query(expr, at=clock.at(case.eval_time_s) / 1000)]
    left = list(got)
    missing = []
    for labels, value in case.expected:
        hit = next((g for g in left if g[0] == labels and close(g[1], value)), None)
        if hit is None:
            missing.append((labels, value))
        else:
            left.remove(hit)
    if not missing and not left:
        return Check("expr", case.expr, case.eval_time_s, True, f"{len(got)} sample(s), as expected")
    detail = "; ".join([f"expected {lab} {v:g}" for lab, v in missing] + [f"got {lab} {v:g}" for lab, v in left])
    if (case.expr, case.eval_time_s) in group.promtool_failed:
        why = PROMTOOL_TOO.explain(version=group.promtool_version)
        return Check("expr", case.expr, case.eval_time_s, False, detail, PROMTOOL_TOO.code, why)
    return Check(
        "expr", case.expr, case.eval_time_s, False, detail, UNEXPLAINED.code, UNEXPLAINED.explain(detail=detail)
    )
