"""Messages as people read them: HTML bodies to text, alerts read back, HTTP payloads understood."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from alertdrill import grammar as g
from alertdrill.drill.people import unreadable
from alertdrill.notify.integrations import from_http, reply_for
from alertdrill.notify.message import (
    Message,
    alerts_in_text,
    from_email,
    html_to_text,
    message_from_json,
    message_to_json,
)
from alertdrill.notify.webhook import notifications_of

# The shape of Alertmanager's default email body (our own minimal HTML, not the template itself).
HTML = """<html><head><style>p {margin: 0}</style></head><body><table><tr><td>
<a href="http://am:9093/#/alerts">View in Alertmanager</a></td></tr>
<tr><td><strong>[1] Firing</strong></td></tr><tr><td>
<strong>Labels</strong><br />alertname = ServiceDown<br style="x">job = bff<br />severity = critical<br />
<strong>Annotations</strong><br />runbook_url = https://runbooks.fluo.com/servicedown<br />
<a href="http://prom/graph">Source</a></td></tr>
<tr><td><strong>[1] Resolved</strong></td></tr><tr><td>
<strong>Labels</strong><br />alertname = ServiceDown<br />job = workers<br />
</td></tr></table></body></html>"""


def _mail(subject: str, html: str, plain: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, "alertmanager@fluo.com", "a@fluo.com"
    if plain is not None:
        msg.set_content(plain)
        msg.add_alternative(html, subtype="html")
    else:
        msg.set_content(html, subtype="html")
    return bytes(msg)


def test_html_body_reads_as_lines_and_keeps_links() -> None:
    text, links = html_to_text(HTML)
    assert "alertname = ServiceDown" in text.splitlines() and "p {margin" not in text
    assert links == ["http://am:9093/#/alerts", "http://prom/graph"]


def test_alerts_are_read_back_from_the_default_label_list_with_their_section_status() -> None:
    text, _ = html_to_text(HTML)
    firing, resolved = alerts_in_text(text)
    assert (firing.alertname, firing.labels["job"], firing.status) == ("ServiceDown", "bff", "firing")
    assert (resolved.labels["job"], resolved.status) == ("workers", "resolved")


def test_email_envelope_not_header_says_who_got_it() -> None:
    m = from_email("critical-oncall", "email", _mail("[FIRING:1] ServiceDown", HTML),
                   ("alertmanager@fluo.com", ("On-Call@fluo.com", "b@fluo.com")), 1.0, True)  # fmt: skip
    assert m.recipients == ("on-call@fluo.com", "b@fluo.com") and m.extra["to"] == "a@fluo.com"
    assert m.status == "firing" and m.tls is True and len(m.alerts) == 2
    assert message_from_json(message_to_json(m)).alerts == m.alerts  # the in-cluster mirror's round trip


def test_a_custom_template_without_labels_is_matched_by_what_it_mentions() -> None:
    m = from_email("r", "email", _mail("Resolved: bff down", "<p>ServiceDown on bff is over</p>", "plain"),
                   ("x@y", ("a@b",)), 1.0, False)  # fmt: skip
    (n,) = notifications_of(m)
    assert n.alertname == "" and n.status == "resolved"
    assert n.matches("ServiceDown", {"job": "bff"}) and not n.matches("ServiceDown", {"job": "nats"})


def test_readability_names_each_problem() -> None:
    ok = Message("r", "email", "email", 0.0, "firing", ("a@b",), subject="[FIRING:1] ServiceDown bff critical",
                 text="runbook_url = https://rb/sd", links=())  # fmt: skip
    assert unreadable(ok, "ServiceDown", "bff", "critical", "https://rb/sd") == []
    bad = Message("r", "email", "email", 0.0, "firing", ("a@b",), subject="", text="<no value> ServiceDown")
    problems = unreadable(bad, "ServiceDown", "bff", "critical", "https://rb/sd")
    assert [p.split(" ")[1] for p in problems] == ["subject", "prints", "does", "does", "does"]


@pytest.mark.parametrize(
    ("kind", "rest", "payload", "status", "recipients", "code"),
    [
        ("slack", "", {"channel": "#ops", "attachments": [{"title": "[RESOLVED] ServiceDown", "text": "x"}]},
         "resolved", ("#ops",), 200),
        ("pagerduty", "", {"routing_key": "rk", "event_action": "trigger", "dedup_key": "d",
                           "payload": {"summary": "[FIRING:1] ServiceDown"}}, "firing", ("pagerduty:rk",), 202),
        ("opsgenie", "v2/alerts/abc/close", {"source": "am"}, "resolved", (), 202),
        ("opsgenie", "v2/alerts", {"message": "ServiceDown", "responders": [{"type": "team", "name": "sre"}]},
         "firing", ("sre",), 202),
    ],
)  # fmt: skip
def test_http_integrations_are_read_as_their_apis_define_them(
    kind: str,
    rest: str,
    payload: dict,
    status: str,
    recipients: tuple,
    code: int,  # type: ignore[type-arg]
) -> None:
    m = from_http("r", f"{kind}-0", kind, rest, payload, 1.0)
    assert (m.status, m.recipients) == (status, recipients)
    assert reply_for(kind, payload).status == code


def test_escalation_steps_parse_and_reject_nonsense() -> None:
    text = '"senior@x" after 5 minutes, "manager@x" after 15 minutes and "director@x" after 30 minutes'
    assert g.escalation_steps(text) == [("senior@x", 300.0), ("manager@x", 900.0), ("director@x", 1800.0)]
    with pytest.raises(ValueError, match="no escalation step"):
        g.escalation_steps('"senior@x" soon')
