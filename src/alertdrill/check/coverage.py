"""Alert coverage: which alerts have a rule test, a routing test, a live drill, and a receiver."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alertdrill import grammar
from alertdrill.check.routetests import RouteCase
from alertdrill.config.ruleset import AlertRule


@dataclass(frozen=True)
class CoverageRow:
    alert: str
    rule_test: bool
    routing_test: bool
    live_drill: bool
    receivers: tuple[str, ...]

    @property
    def has_any_test(self) -> bool:
        return self.rule_test or self.routing_test or self.live_drill


def drilled_alerts(features_dir: Path) -> set[str]:
    if not features_dir.is_dir():
        return set()
    return {alert for p in features_dir.rglob("*.feature") for alert in grammar.drilled_alerts(p.read_text())}


def coverage(
    rules: list[AlertRule],
    rule_tested: set[str],
    cases: list[RouteCase],
    drilled: set[str],
    receivers: dict[str, tuple[str, ...]],
) -> list[CoverageRow]:
    rows = []
    for rule in rules:
        routed = any(
            all(
                case.labels.get(k) == v
                for k, v in rule.labels.items()
                if k in ("severity", "priority") and k in case.labels
            )
            and "severity" in case.labels
            and case.labels["severity"] == rule.labels.get("severity")
            for case in cases
        )
        rows.append(
            CoverageRow(
                rule.name,
                rule.name in rule_tested,
                routed,
                rule.name in drilled,
                receivers.get(rule.name, ()),
            )
        )
    return rows


def render(rows: list[CoverageRow]) -> str:
    mark = {True: "yes", False: "—"}
    header = ("alert", "rule test", "routing test", "live drill", "receivers")
    table = [header] + [
        (r.alert, mark[r.rule_test], mark[r.routing_test], mark[r.live_drill], ",".join(r.receivers) or "—")
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table)
