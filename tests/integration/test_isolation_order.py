"""Why kind's isolation restarts Prometheus first and Alertmanager only after a clean start
(issue 30, wrong verdict 4), on the real Prometheus and Alertmanager of the local stack:

- a Prometheus that fired an alert keeps sending it, resolved, after it resolved (re-sent at each
  resend delay for 15 minutes, `rules/alerting.go` resolvedRetention): Alertmanager keeps counting
  resolved alerts received while nothing fires, so a fresh Alertmanager beside it would hold that
  alert's group again and the next drill's alert would skip group_wait;
- the queries isolation asks a restarted Prometheus (stack/kube/isolation.py) see exactly that:
  quiet now, yet fired since it started.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.runtime.wait import poll
from alertdrill.settings import Settings
from alertdrill.stack.kube.isolation import fired_since_start_query, quiet_alerts_query
from alertdrill.stack.local.stack import LocalStack

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _resolved_received(alertmanager_url: str) -> float:
    text = httpx.get(alertmanager_url + "/metrics", timeout=5).text
    lines = [ln for ln in text.splitlines() if ln.startswith("alertmanager_alerts_received_total{")]
    return sum(float(ln.rsplit(" ", 1)[1]) for ln in lines if 'status="resolved"' in ln)


def test_a_prometheus_that_fired_keeps_resending_it_resolved_and_isolation_sees_it(tmp_path: Path) -> None:
    settings = Settings.resolve({"state_dir": str(tmp_path)}, env={})
    monitoring = MonitoringConfig.load(REPO / "monitoring")
    firing = monitoring.always_firing
    started = time.time()
    with LocalStack(settings, monitoring) as stack, PrometheusClient(stack.prometheus_url) as prom:

        def ask(expr: str) -> list[float]:
            return [s.value for s in prom.query(expr)]

        kill = stack.faults().kill_workload("bff")
        fired = 'ALERTS{alertname="ServiceDown",alertstate="firing"}'
        assert poll("ServiceDown firing", lambda: ask(fired), poll_s=0.2, timeout_s=30).met
        kill.revert()
        assert poll("quiet again", lambda: ask(quiet_alerts_query(firing)), poll_s=0.2, timeout_s=60,
                    done=lambda v: not v or v[0] == 0).met  # fmt: skip
        assert ask(fired_since_start_query(firing, time.time() - started)) >= [1.0]  # isolation: restart again

        before = _resolved_received(stack.alertmanager_url)
        resend = stack.timing.pipeline.resend_delay_s
        time.sleep(4 * resend)
        assert not ask(quiet_alerts_query(firing)) or ask(quiet_alerts_query(firing)) == [0.0]  # nothing fires...
        assert _resolved_received(stack.alertmanager_url) >= before + 2  # ...yet the resolved one keeps coming
