"""The SOP dashboards offline, for `alertdrill check`: every panel query parses and reads only
metrics that an exporter in play produces or a rule records. Seconds, no stack."""

from __future__ import annotations

from collections.abc import Callable

from alertdrill.config import promql
from alertdrill.config.dashboards import PanelQuery, resolve_variables


def lint_queries(
    queries: list[PanelQuery], metric_problem: Callable[[str], tuple[str, str] | None]
) -> list[tuple[str, str]]:
    """Problems as (where, what); the live check (alertdrill.slo.dashboards) proves data.

    `metric_problem(name)`: (what, fix) when the lint's universe says the name is wrong
    (check.lint.Catalog.metric_problem, which also knows the config's recorded series)."""
    problems = []
    for q in queries:
        where = f"{q.dashboard} / {q.panel} [{q.ref}]"
        try:
            sels = promql.selectors(resolve_variables(q.expr, 15.0))
        except ValueError as exc:
            problems.append((where, f"does not parse: {exc}"))
            continue
        for sel in sels:
            problem = metric_problem(sel.metric) if sel.metric else None
            if problem is not None:
                problems.append((where, f"{problem[0]}; {problem[1]}"))
    return problems
