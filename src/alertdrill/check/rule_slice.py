"""The rules a promtool test group can see: the alerts it names, the expressions it queries, and
every recording rule those read, transitively.

Why: promtool evaluates every rule of every rule file at every step of a test group. For a large
config that is seconds per group (kubernetes-mixin, 123 rules: a 6-hour KubeJobNotCompleted group
takes 7.8 s), paid again for every mutant. A group's verdict depends only on its slice, so
evaluating the slice alone gives the same verdict (0.09 s for that group). Where the slice cannot
be told from the syntax tree — a selector without a plain metric name, a read of `ALERTS`, a
template that runs a `query`, an expression the parser rejects — the answer is None: every rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from alertdrill.config import promql

RuleId = tuple[int, int, int]  # (rule file, group, rule) positions
#: Series Prometheus writes for alerting rules themselves: reading them reads every alert.
ALERT_SERIES = ("ALERTS", "ALERTS_FOR_STATE")


@lru_cache(maxsize=8192)
def reads(expr: str) -> frozenset[str] | None:
    """The metric names an expression reads, or None when one of them cannot be told."""
    try:
        found = promql.selectors(expr)
    except (ValueError, TypeError):
        return None
    names = set()
    for sel in found:
        by_regex = any(label == "__name__" and op != "=" for label, op, _v in sel.matchers)
        if not sel.metric or by_regex or sel.metric in ALERT_SERIES:
            return None
        names.add(sel.metric)
    return frozenset(names)


def _runs_query(rule: dict[str, Any]) -> bool:
    """A label or annotation template that calls `query` reads series the expression does not name."""
    texts = [*(rule.get("labels") or {}).values(), *(rule.get("annotations") or {}).values()]
    return any("query" in str(t) for t in texts)


@dataclass(frozen=True)
class RuleIndex:
    """Where each alert and recording rule of a set of rule files sits."""

    documents: tuple[dict[str, Any], ...]
    alerts: dict[str, tuple[RuleId, ...]]
    records: dict[str, tuple[RuleId, ...]]

    @classmethod
    def of(cls, documents: Iterable[dict[str, Any]]) -> RuleIndex:
        docs = tuple(documents)
        alerts: dict[str, list[RuleId]] = {}
        records: dict[str, list[RuleId]] = {}
        for fi, doc in enumerate(docs):
            for gi, group in enumerate(doc.get("groups") or []):
                for ri, rule in enumerate(group.get("rules") or []):
                    key, table = ("alert", alerts) if "alert" in rule else ("record", records)
                    table.setdefault(str(rule.get(key)), []).append((fi, gi, ri))
        return cls(docs, {k: tuple(v) for k, v in alerts.items()}, {k: tuple(v) for k, v in records.items()})

    def rule(self, rid: RuleId) -> dict[str, Any]:
        fi, gi, ri = rid
        rule: dict[str, Any] = self.documents[fi]["groups"][gi]["rules"][ri]
        return rule

    def closure(self, alerts: Iterable[str], exprs: Iterable[str]) -> frozenset[RuleId] | None:
        """The rules that decide these alerts and expressions: None when that cannot be told."""
        keep: set[RuleId] = set()
        todo = [rid for name in alerts for rid in self.alerts.get(name, ())]
        pending_exprs = list(exprs)
        while todo or pending_exprs:
            if todo:
                rid = todo.pop()
                if rid in keep:
                    continue
                keep.add(rid)
                rule = self.rule(rid)
                if _runs_query(rule):
                    return None
                pending_exprs.append(str(rule.get("expr", "")))
                continue
            names = reads(pending_exprs.pop())
            if names is None:
                return None
            todo += [rid for name in names for rid in self.records.get(name, ()) if rid not in keep]
        return frozenset(keep)

    def sliced(self, keep: frozenset[RuleId]) -> list[dict[str, Any]]:
        """Copies of the rule files holding only `keep`; every group stays (group_eval_order may
        name it), in its place, with its interval and options."""
        out = []
        for fi, doc in enumerate(self.documents):
            groups = [
                {**group, "rules": [r for ri, r in enumerate(group.get("rules") or []) if (fi, gi, ri) in keep]}
                for gi, group in enumerate(doc.get("groups") or [])
            ]
            out.append({**doc, "groups": groups})
        return out


def group_reads(group: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What a promtool test group looks at: the alerts its alert tests name, the expressions its
    expression tests query."""
    alerts = [str(c["alertname"]) for c in group.get("alert_rule_test") or [] if c.get("alertname")]
    exprs = [str(c["expr"]) for c in group.get("promql_expr_test") or [] if c.get("expr")]
    return alerts, exprs
