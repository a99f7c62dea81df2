"""HTTP integrations as their real APIs behave: what Alertmanager posts, what it gets back.

Why answer like the real API: Alertmanager checks the status code (and retries on some), so a
recorder that answered a PagerDuty event with an empty 200 would test a path production never
takes. Only the URL of each integration is redirected; the payload is the real one, and this
module reads back from it who it is for, whether it fires or resolves, and what it says.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alertdrill.notify.message import AlertRef, Message, status_of
from alertdrill.runtime.timeparse import to_unix


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"


#: What a parser gets: the payload, and the path after the integration (Opsgenie's `/close`).
Parser = Callable[[dict[str, Any], str], dict[str, Any]]


@dataclass(frozen=True)
class IntegrationKind:
    """One HTTP integration Alertmanager has, as alertdrill plays its service: where its config
    takes the URL (redirected to the recorder), how the service answers, and what a payload says
    (the Message fields besides who received it and when). A new kind is one entry in KINDS."""

    name: str  # the `<name>_configs` key of a receiver
    url_key: str
    parse: Parser
    reply: Callable[[dict[str, Any]], Reply] = lambda _payload: Reply(200, b"", "text/plain")
    #: A `global:` key that would otherwise supply the real endpoint.
    global_url_key: str | None = None
    #: Appended to the redirected URL (Opsgenie appends `v2/alerts` itself).
    url_suffix: str = ""


def _slack(payload: dict[str, Any], _rest: str) -> dict[str, Any]:
    atts = [a for a in payload.get("attachments") or [] if isinstance(a, dict)]
    title = _texts(*(a.get("title") for a in atts)) or str(payload.get("text", ""))
    body = _texts(*(v for a in atts for v in (a.get("pretext"), a.get("text"), a.get("fallback"))))
    links = tuple(str(a["title_link"]) for a in atts if a.get("title_link"))
    return {
        "status": status_of(title, body),
        "recipients": (str(payload.get("channel", "")),),
        "subject": title,
        "text": body,
        "links": links,
    }


def _pagerduty(payload: dict[str, Any], _rest: str) -> dict[str, Any]:
    details = payload.get("payload") or {}
    action = str(payload.get("event_action", ""))
    text = _texts(details.get("summary"), json.dumps(details.get("custom_details") or {}, sort_keys=True))
    links = tuple(str(link.get("href")) for link in payload.get("links") or [] if isinstance(link, dict))
    return {
        "status": {"trigger": "firing", "resolve": "resolved"}.get(action, ""),
        "recipients": (f"pagerduty:{payload.get('routing_key', '')}",),
        "subject": str(details.get("summary", "")),
        "text": text,
        "links": links,
        "extra": {"dedup_key": payload.get("dedup_key")},
    }


def _opsgenie(payload: dict[str, Any], rest: str) -> dict[str, Any]:
    responders = tuple(str(r.get("name") or r.get("username") or r.get("id")) for r in payload.get("responders") or [])
    return {
        "status": "resolved" if rest.rstrip("/").endswith("/close") else "firing",
        "recipients": responders,
        "subject": str(payload.get("message", "")),
        "text": _texts(payload.get("message"), payload.get("description")),
        "extra": {"alias": payload.get("alias"), "priority": payload.get("priority")},
    }


def _webhook(payload: dict[str, Any], _rest: str) -> dict[str, Any]:
    return {
        "status": str(payload.get("status", "")),
        "text": json.dumps(payload.get("commonAnnotations") or {}),
        "alerts": _webhook_alerts(payload),
        "extra": {"group_key": str(payload.get("groupKey", ""))},
    }


def _pagerduty_reply(payload: dict[str, Any]) -> Reply:  # Events API v2 enqueue: 202 + dedup_key
    key = str(payload.get("dedup_key") or uuid.uuid4().hex)
    return Reply(202, json.dumps({"status": "success", "message": "Event processed", "dedup_key": key}).encode())


def _opsgenie_reply(_payload: dict[str, Any]) -> Reply:  # Alert API: 202 + result/took/requestId
    body = {"result": "Request will be processed", "took": 0.01, "requestId": str(uuid.uuid4())}
    return Reply(202, json.dumps(body).encode())


#: Every HTTP integration alertdrill receives natively; any other becomes a stand-in webhook.
KINDS: dict[str, IntegrationKind] = {
    kind.name: kind
    for kind in (
        IntegrationKind("webhook", "url", _webhook),
        IntegrationKind("slack", "api_url", _slack, lambda _p: Reply(200, b"ok", "text/plain"), "slack_api_url"),
        IntegrationKind("pagerduty", "url", _pagerduty, _pagerduty_reply, "pagerduty_url"),
        IntegrationKind("opsgenie", "api_url", _opsgenie, _opsgenie_reply, "opsgenie_api_url", url_suffix="/"),
    )
}


def reply_for(kind: str, payload: dict[str, Any]) -> Reply:
    """The response the real service gives an accepted request (documented status and body shape)."""
    return KINDS.get(kind, KINDS["webhook"]).reply(payload)


def _webhook_alerts(payload: dict[str, Any]) -> tuple[AlertRef, ...]:
    return tuple(
        AlertRef(
            str(a.get("labels", {}).get("alertname", "")),
            dict(a.get("labels", {})),
            str(a.get("status", "")),
            to_unix(a.get("startsAt")),
            to_unix(a.get("endsAt")),
        )
        for a in payload.get("alerts") or []
        if isinstance(a, dict)
    )


def _texts(*values: Any) -> str:
    return "\n".join(str(v) for v in values if isinstance(v, str | int | float) and str(v).strip())


def from_http(
    receiver: str, integration: str, kind: str, rest: str, payload: dict[str, Any], arrived: float
) -> Message:
    """One POST of an HTTP integration; `rest` is the path after the integration (Opsgenie's close)."""
    fields = KINDS.get(kind, KINDS["webhook"]).parse(payload, rest)
    fields.setdefault("recipients", (f"{kind}:{receiver}",))
    return Message(receiver=receiver, integration=integration, kind=kind, arrived_at=arrived, **fields)
