"""The four SOP-004 dashboards, read and checked offline; the Grafana query path against a STUB
Grafana API (no Grafana here). The live check against Prometheus is in the drills."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import promql_parser
import pytest

from alertdrill.config.dashboards import PanelQuery, load_queries, resolve_variables
from alertdrill.errors import ConfigError
from alertdrill.slo.dashboards import check_with_grafana

REPO = Path(__file__).resolve().parents[2]


def test_the_four_sop_dashboards_and_every_query_parses() -> None:
    queries = load_queries(REPO / "monitoring" / "grafana")
    assert {q.dashboard for q in queries} == {
        "FLUO System Overview",
        "FLUO NATS Message Broker",
        "FLUO Kubernetes Cluster",
        "FLUO Application Performance",
    }
    assert len(queries) == 26
    for q in queries:
        promql_parser.parse(resolve_variables(q.expr, 1.0))


def test_grafana_interval_variables_are_resolved() -> None:
    assert resolve_variables("rate(x[$__rate_interval])", 1.0) == "rate(x[15s])"
    assert resolve_variables("rate(x[${__rate_interval}])", 5.0) == "rate(x[20s])"
    assert resolve_variables("increase(x[$__range])", 1.0) == "increase(x[5m])"


def test_a_file_that_is_not_a_dashboard_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(json.dumps({"title": "no panels"}))
    with pytest.raises(ConfigError, match=r"x.json: not a Grafana dashboard"):
        load_queries(tmp_path)


@pytest.fixture
def stub_grafana() -> Iterator[tuple[str, list[dict[str, object]]]]:
    seen: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            self._reply([{"uid": "prom-1", "type": "prometheus", "name": "Prometheus"}])

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"auth": self.headers.get("Authorization"), **body})
            expr = body["queries"][0]["expr"]
            values = [[1.0], [3.0]] if "known" in expr else []
            self._reply({"results": {"A": {"frames": [{"data": {"values": values}}]}}})

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_grafana_path_queries_through_its_prometheus_datasource_stub_api(
    stub_grafana: tuple[str, list[dict[str, object]]],
) -> None:
    url, seen = stub_grafana
    queries = [PanelQuery("D", "good", "A", "known_metric"), PanelQuery("D", "bad", "A", "wrong_metric[$__range]")]
    results = check_with_grafana(queries, url, ("admin", "pw"), 5.0)
    assert [r.ok for r in results] == [True, False]
    assert results[1].detail == "returns no data: wrong_metric[$__range]"
    assert seen[0]["queries"][0]["datasource"] == {"uid": "prom-1"}  # type: ignore[index]
    assert seen[1]["queries"][0]["expr"] == "wrong_metric[5m]"  # type: ignore[index]
    assert str(seen[0]["auth"]).startswith("Basic ")


def test_offline_lint_names_panel_metric_and_the_real_name() -> None:
    from alertdrill.check.dashboards import lint_queries
    from alertdrill.check.lint import Catalog

    catalog = Catalog.load(exporters=("prometheus-nats-exporter",)).with_known(
        {"slo:bff_request_latency_seconds:p95_rate5m"}, set()
    )
    queries = [
        PanelQuery("NATS", "backlog", "A", "nats_jetstream_stream_messages"),
        PanelQuery("App", "p95", "A", "slo:bff_request_latency_seconds:p95_rate5m"),
        PanelQuery("App", "broken", "B", "rate(x[5m)"),
    ]
    problems = lint_queries(queries, catalog.metric_problem)
    assert problems[0] == (
        "NATS / backlog [A]",
        "metric nats_jetstream_stream_messages is produced by no exporter in play; "
        "use nats_stream_total_messages (what the exporter really exports)",
    )
    assert problems[1][0] == "App / broken [B]" and problems[1][1].startswith("does not parse")
    assert len(problems) == 2
