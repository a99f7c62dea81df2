"""Alerting rules as data: loaded from a team's rule files, located for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import promql_parser as pp

from alertdrill.config.durations import parse_duration
from alertdrill.config.layout import RULE_SUFFIXES
from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml


@dataclass(frozen=True)
class AlertRule:
    """One alerting rule and where it came from."""

    name: str
    expr: str
    for_s: float
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    group: str = ""
    file: Path = Path()


@dataclass(frozen=True)
class RuleFile:
    """One rule file: its path and its parsed document (kept whole for rewriting)."""

    path: Path
    document: dict[str, Any]


def rule_files(rules_dir: Path) -> list[Path]:
    if not rules_dir.is_dir():
        raise ConfigError(f"{rules_dir}: no rules directory; put Prometheus rule files there")
    files = sorted(p for p in rules_dir.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
    if not files:
        raise ConfigError(f"{rules_dir}: no *.yml rule files found")
    return files


def load_rule_file(path: Path) -> RuleFile:
    doc = load_yaml(path)
    problems: list[str] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list):
        raise ConfigError(f"{path}: a rule file needs a top-level 'groups:' list")
    for gi, group in enumerate(doc["groups"]):
        if not isinstance(group, dict) or not isinstance(group.get("rules", []), list):
            problems.append(f"{path}: groups[{gi}] must be a mapping with a 'rules:' list")
            continue
        for ri, rule in enumerate(group.get("rules") or []):
            where = f"{path}: group {group.get('name')!r} rules[{ri}]"
            if not isinstance(rule, dict) or "expr" not in rule:
                problems.append(f"{where}: each rule needs 'expr'")
            elif "alert" not in rule and "record" not in rule:
                problems.append(f"{where}: each rule needs 'alert' or 'record'")
    if problems:
        raise ConfigError("\n".join(problems))
    return RuleFile(path=path, document=doc)


def alert_rules(files: list[RuleFile]) -> list[AlertRule]:
    """Every alerting rule across the files, in file order."""
    out: list[AlertRule] = []
    for rf in files:
        for group in rf.document["groups"]:
            for rule in group.get("rules") or []:
                if "alert" not in rule:
                    continue
                where = f"{rf.path}: rule {rule['alert']!r}"
                out.append(
                    AlertRule(
                        name=str(rule["alert"]),
                        expr=str(rule["expr"]),
                        for_s=parse_duration(rule.get("for", "0s"), where),
                        labels={str(k): str(v) for k, v in (rule.get("labels") or {}).items()},
                        annotations={str(k): str(v) for k, v in (rule.get("annotations") or {}).items()},
                        group=str(group.get("name", "")),
                        file=rf.path,
                    )
                )
    return out


def has_range_window(expr: str) -> bool:
    """Whether the expression reads a range vector (rate, increase, *_over_time, subqueries)."""
    found = False

    def visit(node: Any) -> None:
        nonlocal found
        if isinstance(node, pp.MatrixSelector | pp.SubqueryExpr):
            found = True

    try:
        pp.walk(pp.parse(expr), visit)
    except ValueError:
        return False
    return found
