"""Small questions asked of a PromQL expression through its syntax tree, never its text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import promql_parser as pp

from alertdrill.errors import ConfigError

COMPARISONS = (">", "<", ">=", "<=", "==", "!=")


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[tuple[str, str, str], ...]  # (label, op, value); op is = != =~ !~


_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


def parse(expr: str) -> Any:
    return pp.parse(expr)


def parse_located(expr: str, where: str) -> Any:
    """The tree of `expr`, or a ConfigError naming `where` (a rule, a test) with the parser's reason."""
    try:
        return pp.parse(expr)
    except ValueError as exc:
        raise ConfigError(f"{where}: PromQL does not parse: {exc}") from None


def selectors(expr: str) -> list[Selector]:
    found: list[Selector] = []

    def visit(node: Any) -> None:
        if isinstance(node, pp.VectorSelector):
            matchers = tuple((m.name, _OPS.get(str(m.op), str(m.op)), m.value) for m in node.matchers.matchers)
            name = node.name or next((v for n, _op, v in matchers if n == "__name__"), "")
            found.append(Selector(metric=name, matchers=matchers))

    pp.walk(pp.parse(expr), visit)
    return found


def top_comparison(expr: str) -> tuple[Any, str, float] | None:
    """(left side node, operator, number) when the expression is `<expr> <cmp> <number>`."""
    tree = pp.parse(expr)
    if isinstance(tree, pp.BinaryExpr) and str(tree.op) in COMPARISONS and isinstance(tree.rhs, pp.NumberLiteral):
        return tree.lhs, str(tree.op), float(tree.rhs.val)
    return None


def value_sources(expr: str) -> list[Any]:
    """The sub-expressions whose sample values an alert's `$value` carries: a comparison filters
    and keeps its left side, `and`/`unless` keep the left side's values, `or` either side's."""
    out: list[Any] = []

    def walk(node: Any) -> None:
        while isinstance(node, pp.ParenExpr):
            node = node.expr
        if isinstance(node, pp.BinaryExpr):
            op = str(node.op)
            if op in COMPARISONS or op in ("and", "unless"):
                walk(node.lhs)
                return
            if op == "or":
                walk(node.lhs)
                walk(node.rhs)
                return
        out.append(node)

    walk(pp.parse(expr))
    return out


def selector_name(node: Any) -> str | None:
    """The metric name of a plain selector (through parentheses), else None."""
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return str(node.name) if isinstance(node, pp.VectorSelector) and node.name else None


def ratio_records(documents: list[dict[str, Any]]) -> set[str]:
    """Recording rules whose every value source is a division: their series are ratios."""
    out = set()
    for doc in documents:
        for group in doc.get("groups") or []:
            for rule in group.get("rules") or []:
                if isinstance(rule, dict) and "record" in rule:
                    try:
                        if all(is_ratio(n) for n in value_sources(str(rule["expr"]))):
                            out.add(str(rule["record"]))
                    except ValueError:
                        continue
    return out


def is_ratio(node: Any) -> bool:
    """A division at the top (through parentheses): what humanizePercentage can honestly print."""
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return isinstance(node, pp.BinaryExpr) and str(node.op) == "/"
