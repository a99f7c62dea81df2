"""The SOP-004 dashboards checked against a running stack.

A dashboard that parses but shows "No data" is the failure people only notice during an
incident. So every panel query must parse as PromQL and return at least one series: on the local
stack straight from Prometheus, on kind through Grafana's own query API (the datasource and
provisioning are then part of what is checked).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import promql_parser

from alertdrill.config.dashboards import PanelQuery, load_queries, resolve_variables
from alertdrill.errors import ConfigError
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll
from alertdrill.stack.base import MonitoringStack

METRIC_NAME = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{|\[|\)|$)")


@dataclass(frozen=True)
class PanelResult:
    query: PanelQuery
    ok: bool
    detail: str

    def line(self) -> str:
        q = self.query
        return f"{'ok  ' if self.ok else 'FAIL'} {q.dashboard} / {q.panel} [{q.ref}]: {self.detail}"


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
    with httpx.Client(base_url=grafana_url.rstrip("/"), auth=auth, timeout=TIMEOUTS.grafana_request) as http:
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


def check_on_stack(stack: MonitoringStack, timeout_s: float) -> list[PanelResult]:
    """Every panel on this stack, retried until all return data or `timeout_s` passes (a stack
    that just started has not filled its rate windows yet). Through Grafana where the stack runs one."""
    queries = load_queries(stack.monitoring.root / "grafana")
    scrape = stack.timing.scrape_interval_s
    grafana = stack.grafana

    def check() -> list[PanelResult]:
        if grafana is not None:
            return check_with_grafana(queries, grafana.url, (grafana.user, grafana.password), scrape)
        return check_with_prometheus(queries, stack.prometheus_url, scrape)

    waited = poll("every panel has data", check, done=lambda rs: all(r.ok for r in rs), poll_s=1.0, timeout_s=timeout_s)
    return waited.value or []
