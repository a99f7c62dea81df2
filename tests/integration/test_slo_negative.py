"""The SLO features, the steady-state hypothesis and the dashboard check must fail when what they
measure is broken on purpose: an SLI recorded from a metric no exporter has, the worker memory SLI
divided by the CPU limit, and a dashboard panel on a wrong metric name (the SOP's own
`nats_jetstream_stream_messages`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration

SLO_RULES = "rules/fluo.slo.rules.yml"
BOARD = "grafana/nats_message_broker.json"


def _p95_from_a_wrong_metric(text: str) -> str:
    old = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="bff"}[5m])))'
    assert old in text
    return text.replace(old, old.replace("http_request_duration_seconds_bucket", "http_request_latency_seconds_bucket"))


def _worker_memory_over_the_cpu_limit(text: str) -> str:
    """A copy-paste slip: memory bytes divided by the CPU limit (cores), a share of millions."""
    old = 'kube_pod_container_resource_limits{container="workers", resource="memory"}'
    assert old in text
    return text.replace(old, old.replace('"memory"', '"cpu"'))


def _panel_on_the_sops_metric_name(text: str) -> str:
    return text.replace('"expr": "nats_stream_total_messages"', '"expr": "nats_jetstream_stream_messages"')


def test_broken_sli_and_dashboard_fail_the_slo_features_and_the_steady_state(
    runner: Runner, monitoring_copy: Callable[..., Path]
) -> None:
    monitoring_copy(lambda t: _worker_memory_over_the_cpu_limit(_p95_from_a_wrong_metric(t)), SLO_RULES)
    broken = monitoring_copy(_panel_on_the_sops_metric_name, BOARD)
    proc = runner.run(
        "run", "features/slo", "features/alerts/service_down.feature", "-k", "slo or dashboard or bff_is_killed",
        "-q", "--monitoring", str(broken), timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    drills = {d["scenario"]: d for d in json.loads((runner.report_dir / "results.json").read_text())["drills"]}
    assert len(drills) == 3 and all(d["outcome"] == "failed" for d in drills.values()), drills
    under_load = drills["the BFF and NATS at 1200 messages per second meet every SLO"]
    assert re.search(r"SLOs missed under load: bff-latency-p95: no data", under_load["message"])
    assert re.search(r"worker-memory: [\d.]+e\+0[6-9] ratio", under_load["message"]), under_load["message"]
    missed = [m["slo"] for m in under_load["slos"] if not m["met"]]
    assert missed == ["bff-latency-p95", "worker-memory"]  # the rest still measured
    board = drills["every panel of every dashboard returns data"]["message"]
    # The wrong metric name, and the p95 panel that shows the broken SLI: both named.
    assert "2 of 26 dashboard panel queries failed" in board
    assert "FLUO Application Performance / BFF latency p95 / p99 (SLO < 200 ms / < 500 ms) [A]" in board
    assert "FLUO NATS Message Broker / Stream messages (backlog; alert > 1000)" in board
    assert "no series named nats_jetstream_stream_messages" in board
    killed = drills["the BFF is killed"]
    assert (
        "steady state not met before the fault" in killed["message"] and "bff-latency-p95: no data" in killed["message"]
    )
    assert killed["observed"]["fault_at"] is None  # the fault was never injected into an unsteady system
    assert runner.leftovers() == []
