"""Alert coverage, per alert *and* severity: which kind of evidence each has (a rule test that
expects it, a routing test that names it or only shares its severity, a live drill) and where
its pages go.

Why per severity: one alert name at two severities (warning and critical) is two alerts for the
people paged, and a routing case that merely shares a severity says nothing about this alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alertdrill import grammar
from alertdrill.config.routing_cases import RouteCase
from alertdrill.config.ruleset import AlertRule

NAMED, BY_SEVERITY, NONE = "named", "severity only", "—"


@dataclass(frozen=True)
class CoverageRow:
    alert: str
    severity: str
    rule_test: bool
    routing_test: str  # NAMED | BY_SEVERITY | NONE
    live_drill: bool
    receivers: tuple[str, ...]

    @property
    def has_any_test(self) -> bool:
        """A rule test or live drill of this alert, or a routing case that names it; a routing case
        that only shares its severity is not evidence about this alert."""
        return self.rule_test or self.routing_test == NAMED or self.live_drill

    @property
    def evidence(self) -> str:
        kinds = [
            k
            for k, on in (
                ("rule test", self.rule_test),
                ("routing test", self.routing_test == NAMED),
                ("live drill", self.live_drill),
            )
            if on
        ]
        return ", ".join(kinds) or "none"


def drilled_alerts(features_dir: Path, heartbeat: str | None = None) -> set[str]:
    """Every alert a feature drills; the team's heartbeat (its name from policy.yml) when a
    feature makes its service page."""
    if not features_dir.is_dir():
        return set()
    found = {alert for p in features_dir.rglob("*.feature") for alert in grammar.drilled_alerts(p.read_text())}
    if grammar.HEARTBEAT_DRILLED in found and heartbeat is not None:
        found.add(heartbeat)
    return found - {grammar.HEARTBEAT_DRILLED}


def _routing(rule: AlertRule, severity: str, cases: list[RouteCase]) -> str:
    same = [c for c in cases if c.labels.get("severity") == severity or (not severity and "severity" not in c.labels)]
    if any(c.labels.get("alertname") == rule.name for c in same):
        return NAMED
    return BY_SEVERITY if same else NONE


def coverage(
    rules: list[AlertRule],
    tested: set[tuple[str, str | None]],
    cases: list[RouteCase],
    drilled: set[str],
    receivers: dict[tuple[str, str], tuple[str, ...]],
) -> list[CoverageRow]:
    """`tested`: (alert, severity) pairs rule tests expect (severity None: not stated)."""
    severities: dict[str, set[str]] = {}
    for rule in rules:
        severities.setdefault(rule.name, set()).add(rule.labels.get("severity", ""))
    rows = []
    for rule in rules:
        sev = rule.labels.get("severity", "")
        unambiguous = len(severities[rule.name]) == 1
        rule_test = (rule.name, sev) in tested or ((rule.name, None) in tested and unambiguous)
        rows.append(
            CoverageRow(
                rule.name,
                sev,
                rule_test,
                _routing(rule, sev, cases),
                rule.name in drilled,
                receivers.get((rule.name, sev), ()),
            )
        )
    return rows


def render(rows: list[CoverageRow]) -> str:
    mark = {True: "yes", False: "—"}
    header = ("alert", "severity", "rule test", "routing test", "live drill", "receivers")
    table = [header] + [
        (
            r.alert,
            r.severity or "—",
            mark[r.rule_test],
            r.routing_test,
            mark[r.live_drill],
            ",".join(r.receivers) or "—",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table)
