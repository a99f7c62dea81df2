import httpx
import pytest

from alertdrill.errors import ObserveError
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.observe.prometheus import PrometheusClient


def test_prometheus_alerts_parse_state_and_active_at() -> None:
    body = {
        "status": "success",
        "data": {
            "alerts": [
                {
                    "labels": {"alertname": "ServiceDown", "job": "bff"},
                    "state": "pending",
                    "activeAt": "2026-11-26T22:40:23.097123456Z",
                }
            ]
        },
    }
    client = PrometheusClient("http://prom", transport=httpx.MockTransport(lambda req: httpx.Response(200, json=body)))
    (alert,) = client.alerts()
    assert alert.name == "ServiceDown" and alert.state == "pending"
    assert alert.active_at == pytest.approx(1795732823.097123)


def test_prometheus_error_names_url_and_reason() -> None:
    client = PrometheusClient(
        "http://prom:9090",
        transport=httpx.MockTransport(lambda req: httpx.Response(400, json={"status": "error", "error": "bad query"})),
    )
    with pytest.raises(ObserveError, match=r"Prometheus http://prom:9090/api/v1/query"):
        client.query("up ==")


def test_alertmanager_alerts_carry_receivers() -> None:
    body = [
        {
            "labels": {"alertname": "X"},
            "receivers": [{"name": "b"}, {"name": "a"}],
            "startsAt": "2026-11-26T22:40:23Z",
            "status": {"state": "active"},
        }
    ]
    client = AlertmanagerClient("http://am", transport=httpx.MockTransport(lambda req: httpx.Response(200, json=body)))
    (alert,) = client.alerts()
    assert alert.receivers == ("a", "b") and alert.state == "active"


def test_alertmanager_aggregation_groups_from_metrics() -> None:
    text = "# HELP x\nalertmanager_dispatcher_aggregation_groups 3\n"
    client = AlertmanagerClient("http://am", transport=httpx.MockTransport(lambda req: httpx.Response(200, text=text)))
    assert client.aggregation_groups() == 3
