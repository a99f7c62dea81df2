"""HTTP integrations as their real APIs behave: what Alertmanager posts, what it gets back.

Why answer like the real API: Alertmanager checks the status code (and retries on some), so a
recorder that answered a PagerDuty event with an empty 200 would test a path production never
takes. Only the URL of each integration is redirected; the payload is the real one, and this
module reads back from it who it is for, whether it fires or resolves, and what it says.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from alertdrill.notify.message import AlertRef, Message, status_of
from alertdrill.runtime.timeparse import to_unix

#: Integrations whose payload this module understands (others are replaced by a stand-in webhook).
HTTP_KINDS = ("webhook", "slack", "pagerduty", "opsgenie")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"


def reply_for(kind: str, payload: dict[str, Any]) -> Reply:
    """The response the real service gives an accepted request (documented status and body shape)."""
    if kind == "slack":  # incoming webhook: 200 "ok"
        return Reply(200, b"ok", "text/plain")
    if kind == "pagerduty":  # Events API v2 enqueue: 202 + status/message/dedup_key
        key = str(payload.get("dedup_key") or uuid.uuid4().hex)
        return Reply(202, json.dumps({"status": "success", "message": "Event processed", "dedup_key": key}).encode())
    if kind == "opsgenie":  # Alert API: 202 + result/took/requestId
        return Reply(
            202,
            json.dumps({"result": "Request will be processed", "took": 0.01, "requestId": str(uuid.uuid4())}).encode(),
        )
    return Reply(200, b"", "text/plain")


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
    base: dict[str, Any] = {"receiver": receiver, "integration": integration, "kind": kind, "arrived_at": arrived}
    if kind == "slack":
        atts = [a for a in payload.get("attachments") or [] if isinstance(a, dict)]
        title = _texts(*(a.get("title") for a in atts)) or str(payload.get("text", ""))
        body = _texts(*(v for a in atts for v in (a.get("pretext"), a.get("text"), a.get("fallback"))))
        links = tuple(str(a["title_link"]) for a in atts if a.get("title_link"))
        return Message(
            **base,
            status=status_of(title, body),
            recipients=(str(payload.get("channel", "")),),
            subject=title,
            text=body,
            links=links,
        )
    if kind == "pagerduty":
        details = payload.get("payload") or {}
        action = str(payload.get("event_action", ""))
        text = _texts(details.get("summary"), json.dumps(details.get("custom_details") or {}, sort_keys=True))
        links = tuple(str(link.get("href")) for link in payload.get("links") or [] if isinstance(link, dict))
        return Message(
            **base,
            status={"trigger": "firing", "resolve": "resolved"}.get(action, ""),
            recipients=(f"pagerduty:{payload.get('routing_key', '')}",),
            subject=str(details.get("summary", "")),
            text=text,
            links=links,
            extra={"dedup_key": payload.get("dedup_key")},
        )
    if kind == "opsgenie":
        closing = rest.rstrip("/").endswith("/close")
        responders = tuple(
            str(r.get("name") or r.get("username") or r.get("id")) for r in payload.get("responders") or []
        )
        return Message(
            **base,
            status="resolved" if closing else "firing",
            recipients=responders,
            subject=str(payload.get("message", "")),
            text=_texts(payload.get("message"), payload.get("description")),
            extra={"alias": payload.get("alias"), "priority": payload.get("priority")},
        )
    alerts = _webhook_alerts(payload)
    return Message(
        **base,
        status=str(payload.get("status", "")),
        recipients=(f"{kind}:{receiver}",),
        text=json.dumps(payload.get("commonAnnotations") or {}),
        alerts=alerts,
        extra={"group_key": str(payload.get("groupKey", ""))},
    )
