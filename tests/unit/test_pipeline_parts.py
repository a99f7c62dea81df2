"""The pipeline's breakable parts on real sockets: the link relay that drops instead of refusing,
the SMTP relay that answers 451 or refuses, and the team's pipeline policy read from its files."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from alertdrill.config.pipeline import PipelinePolicy
from alertdrill.drill.outages import Outage, RouteTimers, latest_term
from alertdrill.errors import ConfigError
from alertdrill.faults.injection import ALERTMANAGER, LINK, MAIL_RELAY, PROMETHEUS
from alertdrill.notify.smtp import SmtpSink
from alertdrill.stack.base import Timing
from alertdrill.stack.local.link import LinkRelay


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()


def test_a_cut_link_hangs_the_sender_to_its_timeout_and_a_healed_one_answers(upstream: int) -> None:
    with LinkRelay("test", upstream) as link:
        url = f"http://127.0.0.1:{link.port}/"
        assert httpx.get(url, timeout=2).text == "ok"
        link.cut()
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):  # not ConnectError: nothing is refused
            httpx.get(url, timeout=0.5)
        assert time.monotonic() - started >= 0.5
        link.heal()
        assert httpx.get(url, timeout=2).text == "ok"


def test_the_relay_answers_451_then_refuses_then_accepts_again() -> None:
    got: list[object] = []
    with SmtpSink(got.append, certs=None) as sink:
        port = sink.endpoint("oncall")

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                smtp.sendmail("am@x", ["on-call@x"], "Subject: t\r\n\r\nbody")

        sink.fail("4xx")
        with pytest.raises(smtplib.SMTPDataError) as err:
            send()
        assert err.value.smtp_code == 451
        sink.heal()
        sink.fail("refuse")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
        sink.heal()
        send()  # the same port again
    assert len(got) == 1


TIMING = Timing(scrape_interval_s=1, eval_interval_s=1, scrape_timeout_s=0.5, time_scale=60)
ROUTE = RouteTimers(group_wait_s=0.5, group_interval_s=5.0, for_s=0.5)


@pytest.mark.parametrize(
    ("component", "named"),
    [
        (ALERTMANAGER, {"resend delay": 1.0, "evaluation": 1.0, "group_wait (group rebuilt)": 0.5, "slack": 1.5}),
        (
            LINK,
            {"Prometheus send timeout": 1.0, "resend delay": 1.0, "evaluation": 1.0, "group_wait": 0.5, "slack": 1.5},
        ),
        (MAIL_RELAY, {"flush deadline max(group_interval, 10s)": 10.0, "slack": 1.5}),
    ],
)
def test_a_page_after_an_outage_waits_for_the_named_timers_of_the_part_that_broke(
    component: str, named: dict[str, float]
) -> None:
    outage = Outage("s", component, struck_at=100.0, healed_at=103.0)
    term = latest_term([outage], 100.0, 104.0, TIMING, ROUTE, replicas=1, slack_s=1.5, allowance_s=0.0)
    assert term is not None and dict(term.terms) == named
    assert term.deadline == pytest.approx(103.0 + sum(named.values()))
    assert term.explain(100.0).startswith(f"{component} down from +0.00s, back at +3.00s + ")


def test_peers_add_their_wait_and_a_restarted_prometheus_starts_for_again() -> None:
    am = latest_term([Outage("s", ALERTMANAGER, 100, 103)], 100, 104, TIMING, ROUTE, 2, 1.5, 0.0)
    assert am is not None and ("peer wait (1 × peer timeout)", 1.0) in am.terms
    prom = latest_term([Outage("s", PROMETHEUS, 100, 103)], 100, 104, TIMING, ROUTE, 1, 1.5, 0.0)
    assert prom is not None and ("for (clock restarted)", 0.5) in prom.terms


def test_an_outage_that_lasts_until_the_rollback_or_ends_before_the_page_extends_nothing() -> None:
    until_rollback = Outage("s", ALERTMANAGER, 100, None)
    long_before = Outage("s", ALERTMANAGER, 50, 60)
    assert latest_term([until_rollback, long_before], 100, 104, TIMING, ROUTE, 1, 1.5, 0.0) is None


def test_the_pipeline_policy_reads_replicas_from_the_deployment_and_says_where(tmp_path: Path) -> None:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "kube-prometheus-stack.values.yaml").write_text(
        "alertmanager:\n  alertmanagerSpec:\n    replicas: 2\n"
    )
    policy = PipelinePolicy.load(tmp_path)
    assert policy.alertmanager_replicas == 2 and "alertmanagerSpec.replicas" in policy.replicas_from
    (tmp_path / "policy.yml").write_text("pipeline: {alertmanager_replicas: 1, escalation_slip_allowance: 1m}\n")
    policy = PipelinePolicy.load(tmp_path)
    assert policy.alertmanager_replicas == 1 and policy.escalation_slip_allowance_s == 60.0


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("pipeline: {duplicates: sometimes}\n", "pipeline.duplicates: 'sometimes'; use one of report, fail"),
        ("pipeline: {page_delay: 1m}\n", "unknown key(s) ['page_delay']"),
        ("pipeline: {alertmanager_replicas: 7}\n", "7; give 1, 2 or 3 Alertmanagers"),
        ("pipeline: {page_delay_allowance: soon}\n", "'soon' is not a duration"),
    ],
)
def test_a_bad_pipeline_policy_is_one_located_line(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "policy.yml").write_text(text)
    with pytest.raises(ConfigError) as err:
        PipelinePolicy.load(tmp_path)
    assert says in str(err.value) and str(tmp_path / "policy.yml") in str(err.value)
    assert "\n" not in str(err.value)
