"""The sinks against the real Alertmanager: its email integration over STARTTLS with the run's CA,
and its Slack, PagerDuty, Opsgenie and webhook integrations with their real payloads."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from alertdrill.notify.recorder import NotificationRecorder
from alertdrill.notify.redirect import SinkTargets, redirect_receivers
from alertdrill.notify.webhook import Notification
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.runtime.binaries import find_binary
from alertdrill.runtime.ports import LOOPBACK, free_port
from alertdrill.runtime.tlsca import issue_run_certificates
from alertdrill.stack.local.servers import AlertmanagerPeer, alertmanager_process

pytestmark = pytest.mark.integration

ALERT = {
    "labels": {"alertname": "ServiceDown", "job": "bff", "severity": "critical", "instance": "127.0.0.1:1"},
    "annotations": {"summary": "Service bff is down", "runbook_url": "https://runbooks.fluo.com/servicedown"},
}
CONFIG: dict[str, Any] = {
    "global": {"smtp_smarthost": "smtp.fluo.com:587", "smtp_from": "alertmanager@fluo.com", "smtp_require_tls": True},
    "route": {"receiver": "mail", "group_by": ["alertname"], "group_wait": "200ms", "group_interval": "1s",
              "routes": [{"matchers": ['job="bff"'], "receiver": "mail", "continue": True},
                         {"matchers": ['job="bff"'], "receiver": "apis"}]},
    "receivers": [
        {"name": "mail", "email_configs": [{"to": "on-call-engineer@fluo.com, senior-engineer@fluo.com",
                                            "send_resolved": True}]},
        {"name": "apis",
         "slack_configs": [{"api_url": "https://hooks.slack.com/x", "channel": "#ops", "send_resolved": True}],
         "pagerduty_configs": [{"routing_key": "rk-123"}],
         "opsgenie_configs": [{"api_key": "k", "responders": [{"type": "team", "name": "sre"}]}],
         "webhook_configs": [{"url": "https://hooks.example.com/x"}]},
    ],
}  # fmt: skip


@pytest.fixture
def start_alertmanager(tmp_path: Path) -> Iterator[Callable[[NotificationRecorder, bool], AlertmanagerClient]]:
    started: list[Any] = []

    def start(recorder: NotificationRecorder, with_ca: bool) -> AlertmanagerClient:
        ca = str(recorder.certs.ca_file) if with_ca and recorder.certs else None
        targets = SinkTargets(recorder.url, lambda r: f"{LOOPBACK}:{recorder.smtp_port(r)}", ca)
        config = tmp_path / "alertmanager.yml"
        config.write_text(yaml.safe_dump(redirect_receivers(CONFIG, targets)))
        port = free_port()
        peer = AlertmanagerPeer(0, port)  # one Alertmanager, gossip off
        proc = alertmanager_process(find_binary("alertmanager"), config, tmp_path, "sinks", peer, 60.0, 1)
        started.append(proc)
        proc.start()
        proc.wait_ready()
        return AlertmanagerClient(f"http://{LOOPBACK}:{port}")

    yield start
    for proc in started:
        proc.stop()


def _post(am: AlertmanagerClient, resolved: bool = False) -> None:
    alert = dict(ALERT)
    if resolved:
        alert["endsAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    am.post_alerts([alert])


def _wait(recorder: NotificationRecorder, pred: Callable[[list[Notification]], bool], timeout: float = 15) -> None:
    assert recorder.wait_for(pred, timeout=timeout), [(n.message.kind if n.message else "?", n.status)
                                                      for n in recorder.notifications()]  # fmt: skip


def test_email_arrives_over_starttls_as_people_read_it_and_resolves(tmp_path: Path, start_alertmanager: Any) -> None:
    certs = issue_run_certificates(tmp_path / "tls", [LOOPBACK])
    with NotificationRecorder(certs=certs) as recorder:
        am = start_alertmanager(recorder, True)
        _post(am)
        _wait(recorder, lambda ns: any(n.message and n.message.kind == "email" for n in ns))
        (mail,) = [m for m in recorder.messages() if m.kind == "email"]
        assert mail.tls is True  # STARTTLS, verified against the run's CA: TLS was never turned off
        assert mail.receiver == "mail" and mail.sender == "alertmanager@fluo.com"
        assert mail.recipients == ("on-call-engineer@fluo.com", "senior-engineer@fluo.com")  # the envelope
        assert mail.status == "firing" and "ServiceDown" in mail.subject
        assert mail.extra["to"] == "on-call-engineer@fluo.com, senior-engineer@fluo.com"  # the header
        (alert,) = mail.alerts  # read back from the default template's label list
        assert alert.alertname == "ServiceDown" and alert.labels["job"] == "bff" and alert.status == "firing"
        assert "https://runbooks.fluo.com/servicedown" in mail.text and "<no value>" not in mail.text
        _post(am, resolved=True)
        _wait(recorder, lambda ns: any(n.status == "resolved" and n.message and n.message.kind == "email" for n in ns))


def test_require_tls_is_kept_a_sink_without_starttls_gets_no_mail(tmp_path: Path, start_alertmanager: Any) -> None:
    """The negative twin of the CA: with no STARTTLS offered, the real integration refuses to send."""
    with NotificationRecorder(certs=None) as recorder:
        am = start_alertmanager(recorder, False)
        _post(am)
        # the HTTP integrations still deliver: proof that the alert went out while email could not
        _wait(recorder, lambda ns: any(n.message and n.message.kind == "slack" for n in ns))
        time.sleep(1.5)
        assert [m for m in recorder.messages() if m.kind == "email"] == []


def test_http_integrations_keep_their_payloads_and_get_their_apis_answers(
    tmp_path: Path, start_alertmanager: Any
) -> None:
    certs = issue_run_certificates(tmp_path / "tls", [LOOPBACK])
    with NotificationRecorder(certs=certs) as recorder:
        am = start_alertmanager(recorder, True)
        _post(am)
        kinds = {"slack", "pagerduty", "opsgenie", "webhook"}
        _wait(recorder, lambda ns: kinds <= {n.message.kind for n in ns if n.message})
        by_kind = {m.kind: m for m in recorder.messages()}
        assert by_kind["slack"].recipients == ("#ops",) and "ServiceDown" in by_kind["slack"].subject
        assert by_kind["pagerduty"].recipients == ("pagerduty:rk-123",) and by_kind["pagerduty"].status == "firing"
        assert by_kind["opsgenie"].recipients == ("sre",) and "ServiceDown" in by_kind["opsgenie"].subject
        assert by_kind["webhook"].alerts[0].labels["job"] == "bff"
        _post(am, resolved=True)
        # PagerDuty resolves by event_action, Opsgenie by POST …/close: both read as resolved
        _wait(recorder, lambda ns: {"pagerduty", "opsgenie", "slack", "email"} <= {
            n.message.kind for n in ns if n.message and n.status == "resolved"})  # fmt: skip
        counters = [
            line for line in am.metrics_text().splitlines() if line.startswith("alertmanager_notifications_failed")
        ]
        failed = [line for line in counters if not line.endswith(" 0")]
        assert failed == []  # every API answer was one Alertmanager accepts as success


def test_a_refused_relay_keeps_its_port_so_the_heal_can_always_reopen_it() -> None:
    """While the relay refuses, a connection is refused and no other socket can bind its port
    (CI once saw the port taken meanwhile, and the heal fail); after the heal, mail connects."""
    import socket

    with NotificationRecorder(certs=None) as recorder:
        port = recorder.smtp_port("mail")
        recorder.relay.fail("refuse")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((LOOPBACK, port), timeout=2)
        with socket.socket() as other:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with pytest.raises(OSError, match="in use"):
                other.bind((LOOPBACK, port))
        recorder.relay.heal()
        with socket.create_connection((LOOPBACK, port), timeout=2) as sock:
            assert sock.recv(64).startswith(b"220")
    with socket.socket() as after:  # stopped: nothing is held any more
        after.bind((LOOPBACK, port))
