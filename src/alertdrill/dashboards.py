"""The SOP-004 dashboards (`monitoring/grafana/*.json`) checked against a running stack.

A dashboard that parses but shows "No data" is the failure people only notice during an
incident. So every panel query must parse as PromQL and return at least one series: on the local
stack straight from Prometheus, on kind through Grafana's own query API (the datasource and
provisioning are then part of what is checked).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import promql_parser

from alertdrill.errors import ConfigError
from alertdrill.observe.prometheus import PrometheusClient

GRAFANA_VARIABLE = re.compile(r"\$\{?(__rate_interval|__interval|__range)\}?")
METRIC_NAME = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{|\[|\)|$)")


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref: str
    expr: str


@dataclass(frozen=True)
class PanelResult:
    query: PanelQuery
    ok: bool
    detail: str

    def line(self) -> str:
        q = self.query
        return f"{'ok  ' if self.ok else 'FAIL'} {q.dashboard} / {q.panel} [{q.ref}]: {self.detail}"


def _panels(items: list[Any]) -> Iterator[dict[str, Any]]:
    for panel in items:
        if isinstance(panel, dict):
            yield panel
            yield from _panels(panel.get("panels") or [])  # collapsed rows keep theirs inside


def load_queries(grafana_dir: Path) -> list[PanelQuery]:
    """Every Prometheus target of every panel; a file that is not a dashboard is a located error."""
    files = sorted(grafana_dir.glob("*.json"))
    if not files:
        raise ConfigError(f"{grafana_dir}: no dashboards (*.json)")
    out = []
    for path in files:
        try:
            board = json.loads(path.read_text())
        except ValueError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(board, dict) or "panels" not in board:
            raise ConfigError(f"{path}: not a Grafana dashboard (no 'panels')")
        title = str(board.get("title", path.stem))
        for panel in _panels(board["panels"]):
            for target in panel.get("targets") or []:
                if isinstance(target, dict) and target.get("expr"):
                    ref = str(target.get("refId", "?"))
                    out.append(PanelQuery(title, str(panel.get("title", panel.get("id"))), ref, str(target["expr"])))
    return out


def resolve_variables(expr: str, scrape_s: float) -> str:
    """Grafana's interval variables as Grafana would set them for a 5-minute view."""
    rate = f"{max(4 * scrape_s, 15):g}s"
    values = {"__rate_interval": rate, "__interval": f"{max(scrape_s, 1):g}s", "__range": "5m"}
    return GRAFANA_VARIABLE.sub(lambda m: values[m.group(1)], expr)


def _check(query: PanelQuery, scrape_s: float, has_data: Callable[[str], bool]) -> PanelResult:
    expr = resolve_variables(query.expr, scrape_s)
    try:
        promql_parser.parse(expr)
    except Exception as exc:  # the parser raises ValueError subclasses with the position
        return PanelResult(query, False, f"does not parse: {exc}")
    if has_data(expr):
        return PanelResult(query, True, "returns data")
    return PanelResult(query, False, f"returns no data: {query.expr}")


def check_with_prometheus(queries: list[PanelQuery], prometheus_url: str, scrape_s: float) -> list[PanelResult]:
    with PrometheusClient(prometheus_url) as prom:
        results = [_check(q, scrape_s, lambda e: bool(prom.query(e))) for q in queries]
        return [_explain(r, prom) for r in results]


def _explain(result: PanelResult, prom: PrometheusClient) -> PanelResult:
    """Name the metrics of a query without data that Prometheus has never heard of."""
    if result.ok or not result.detail.startswith("returns no data"):
        return result
    names = {m for m in METRIC_NAME.findall(result.query.expr) if "_" in m and not m.startswith("__")}
    unknown = sorted(n for n in names if not prom.query(f'count({{__name__="{n}"}})'))
    if not unknown:
        return result
    return PanelResult(result.query, False, f"{result.detail} (no series named {', '.join(unknown)})")


def check_with_grafana(
    queries: list[PanelQuery], grafana_url: str, auth: tuple[str, str], scrape_s: float
) -> list[PanelResult]:
    """Through Grafana's /api/ds/query with its Prometheus datasource, as a viewer's browser would."""
    with httpx.Client(base_url=grafana_url.rstrip("/"), auth=auth, timeout=10.0) as http:
        sources = [s for s in http.get("/api/datasources").raise_for_status().json() if s.get("type") == "prometheus"]
        if not sources:
            raise ConfigError(f"Grafana at {grafana_url} has no Prometheus datasource")
        uid = sources[0]["uid"]

        def has_data(expr: str) -> bool:
            body = {
                "queries": [{"refId": "A", "datasource": {"uid": uid}, "expr": expr, "instant": True}],
                "from": "now-5m",
                "to": "now",
            }
            frames = http.post("/api/ds/query", json=body).raise_for_status().json()["results"]["A"].get("frames", [])
            return any(any(col for col in f.get("data", {}).get("values", [])) for f in frames)

        return [_check(q, scrape_s, has_data) for q in queries]


def check_on_stack(stack: Any, timeout_s: float) -> list[PanelResult]:
    """Every panel on this stack, retried until all return data or `timeout_s` passes (a stack
    that just started has not filled its rate windows yet)."""
    import time

    queries = load_queries(stack.monitoring.root / "grafana")
    scrape = stack.timing.scrape_interval_s
    password = getattr(stack, "grafana_password", None)
    deadline = time.monotonic() + timeout_s
    while True:
        if password and "grafana" in stack.urls():
            results = check_with_grafana(queries, stack.urls()["grafana"], ("admin", password), scrape)
        else:
            results = check_with_prometheus(queries, stack.prometheus_url, scrape)
        if all(r.ok for r in results) or time.monotonic() > deadline:
            return results
        time.sleep(1.0)


def lint_queries(
    queries: list[PanelQuery], knows: Callable[[str], bool], suggest: Callable[[str], str]
) -> list[tuple[str, str]]:
    """Offline (for `alertdrill check`): each panel query parses and reads only metrics that an
    exporter in play produces or a rule records. Seconds, no stack; the live check proves data."""
    from alertdrill.rules import promql

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
