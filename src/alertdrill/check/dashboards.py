"""The SOP dashboards offline, for `alertdrill check`: every panel query parses and reads only
metrics that an exporter in play produces or a rule records. Seconds, no stack."""

from __future__ import annotations

from collections.abc import Callable

from alertdrill.config import promql
from alertdrill.config.dashboards import PanelQuery, resolve_variables


def lint_queries(
    queries: list[PanelQuery], knows: Callable[[str], bool], suggest: Callable[[str], str]
) -> list[tuple[str, str]]:
    """Problems as (where, what); the live check (alertdrill.slo.dashboards) proves data."""
    problems = []
    for q in queries:
        where = f"{q.dashboard} / {q.panel} [{q.ref}]"
        try:
            sels = promql.selectors(resolve_variables(q.expr, 15.0))
        except ValueError as exc:
            problems.append((where, f"does not parse: {exc}"))
            continue
        for sel in sels:
            if sel.metric and not knows(sel.metric):
                problems.append(
                    (where, f"metric {sel.metric} is produced by no exporter in play; {suggest(sel.metric)}")
                )
    return problems
