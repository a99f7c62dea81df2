"""A message as a person (or their pager) receives it: who it went to, what it says, when.

Why a message model above the per-alert Notification: the email integration renders alerts into
a subject and an HTML body for a list of addresses; Slack, PagerDuty and Opsgenie render them
into their own payloads. What a drill asserts of people (addresses, a readable subject, the
runbook link) is a property of the message; which alerts it carries is read back from it: from
the labels the default email template prints, else from what the text mentions.
"""

from __future__ import annotations

import dataclasses
import email
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from html import unescape
from html.parser import HTMLParser
from typing import Any

#: What Alertmanager's Go templates print for a label or annotation the alert does not have.
NO_VALUE = "<no value>"

#: Firing/resolved as the default templates put it first in a subject or title.
_STATUS = re.compile(r"\b(FIRING|RESOLVED)\b", re.IGNORECASE)
_SECTION = re.compile(r"^\[\d+\]\s+(Firing|Resolved)\b")
_PAIR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*) = (.*)$")
_URL = re.compile(r"https?://[^\s\"'<>]+")


@dataclass(frozen=True)
class AlertRef:
    """An alert a message carries, as far as the message says (labels may be partial)."""

    alertname: str
    labels: dict[str, str]
    status: str
    starts_at: float | None = None  # only machine-readable payloads (webhook) carry these
    ends_at: float | None = None


@dataclass(frozen=True)
class Message:
    """One delivery to one receiver's integration."""

    receiver: str
    integration: str  # e.g. "email-0", "slack-1"
    kind: str  # email | webhook | slack | pagerduty | opsgenie | stand-in
    arrived_at: float
    status: str  # firing | resolved | "" (the message does not say)
    recipients: tuple[str, ...] = ()
    sender: str = ""
    subject: str = ""
    text: str = ""
    links: tuple[str, ...] = ()
    alerts: tuple[AlertRef, ...] = ()
    tls: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def mentions(self, alertname: str, match: dict[str, str]) -> bool:
        """The message names the alert and every value the drill picks it by."""
        hay = f"{self.subject}\n{self.text}"
        return alertname in hay and all(v in hay for v in match.values())

    def summary(self) -> dict[str, Any]:
        """What a report shows of a message."""
        return {
            "receiver": self.receiver,
            "integration": self.integration,
            "kind": self.kind,
            "status": self.status,
            "recipients": list(self.recipients),
            "subject": self.subject,
            "arrived_at": self.arrived_at,
            "tls": self.tls,
        }


class _TextExtractor(HTMLParser):
    """HTML → text lines, breaking where a browser would start a new line; keeps hrefs."""

    BREAKS = {"br", "p", "div", "tr", "td", "th", "li", "h1", "h2", "h3", "h4", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head", "title"):
            self._skip += 1
        if tag in self.BREAKS:
            self.parts.append("\n")
        if tag == "a":
            self.links.extend(v for k, v in attrs if k == "href" and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title"):
            self._skip = max(0, self._skip - 1)
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, list[str]]:
    parser = _TextExtractor()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line), parser.links


def status_of(*texts: str) -> str:
    """`firing` or `resolved` by the first of the two words in the first text that has one."""
    for text in texts:
        m = _STATUS.search(text or "")
        if m:
            return m.group(1).lower()
    return ""


def alerts_in_text(text: str) -> list[AlertRef]:
    """Alerts as the default email template lists them: `[N] Firing`, `Labels`, `name = value`."""
    out: list[AlertRef] = []
    section, status, in_labels = "", "", False
    labels: dict[str, str] = {}

    def close() -> None:
        if labels.get("alertname"):
            out.append(AlertRef(labels["alertname"], dict(labels), status))

    for line in text.splitlines():
        heading = _SECTION.match(line)
        if heading:
            section, in_labels = heading.group(1).lower(), False
            continue
        if line == "Labels":
            close()
            labels, in_labels, status = {}, True, section  # the section the alert is listed under
            continue
        pair = _PAIR.match(line)
        if in_labels and pair:
            labels[pair.group(1)] = pair.group(2)
        elif in_labels:
            in_labels = False
    close()
    return out


def _decoded(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None:
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""


def from_email(
    receiver: str, integration: str, content: bytes, envelope: tuple[str, tuple[str, ...]], arrived: float, tls: bool
) -> Message:
    """An SMTP delivery: envelope recipients are who gets it; headers and bodies what they read."""
    msg = email.message_from_bytes(content, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    plain, html = _decoded(msg, "plain"), _decoded(msg, "html")
    html_text, links = html_to_text(html) if html else ("", [])
    text = "\n".join(t for t in (plain.strip(), html_text) if t)
    subject = str(msg.get("Subject", "") or "")
    links += _URL.findall(plain)
    alerts = alerts_in_text(html_text) or alerts_in_text(plain)
    return Message(
        receiver=receiver,
        integration=integration,
        kind="email",
        arrived_at=arrived,
        status=status_of(subject) or _section_status(alerts),
        recipients=tuple(r.lower() for r in envelope[1]),
        sender=envelope[0],
        subject=subject,
        text=text,
        links=tuple(dict.fromkeys(unescape(u) for u in links)),
        alerts=tuple(alerts),
        tls=tls,
        extra={"to": str(msg.get("To", "") or ""), "from": str(msg.get("From", "") or ""), "html": html},
    )


def _section_status(alerts: list[AlertRef]) -> str:
    states = {a.status for a in alerts}
    return "firing" if "firing" in states else ("resolved" if states == {"resolved"} else "")


def message_to_json(m: Message) -> dict[str, Any]:
    """A message as the in-cluster recorder serves it to the runner's mirror."""
    out = dataclasses.asdict(m)
    out["extra"] = {k: v for k, v in m.extra.items() if isinstance(v, str | int | float | bool | type(None))}
    return out


def message_from_json(data: dict[str, Any]) -> Message:
    fields = {f.name for f in dataclasses.fields(Message)}
    kw = {k: v for k, v in data.items() if k in fields}
    kw["recipients"] = tuple(kw.get("recipients") or ())
    kw["links"] = tuple(kw.get("links") or ())
    kw["alerts"] = tuple(AlertRef(**a) for a in kw.get("alerts") or [])
    return Message(**kw)
