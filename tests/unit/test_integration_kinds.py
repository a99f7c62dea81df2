"""A new notification kind is one entry in notify.integrations.KINDS plus its payload parser: the
redirection points its configs at the recorder, the recorder answers as its service does, and its
payloads become Messages — no other table or if-chain to extend."""

from __future__ import annotations

from typing import Any

import pytest

from alertdrill.notify import integrations
from alertdrill.notify.integrations import IntegrationKind, Reply, from_http, reply_for
from alertdrill.notify.redirect import SinkTargets, redirect_receivers


def _teams(payload: dict[str, Any], _rest: str) -> dict[str, Any]:
    """Microsoft Teams' MessageCard, as Alertmanager's msteams_configs sends it."""
    title = str(payload.get("title", ""))
    return {
        "status": "resolved" if "RESOLVED" in title else "firing",
        "subject": title,
        "text": str(payload.get("text", "")),
    }


def test_a_new_kind_is_one_entry_and_its_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    teams = IntegrationKind("msteams", "webhook_url", _teams, lambda _p: Reply(200, b"1", "text/plain"))
    monkeypatch.setitem(integrations.KINDS, "msteams", teams)
    config = {
        "route": {"receiver": "chat"},
        "receivers": [{"name": "chat", "msteams_configs": [{"webhook_url": "https://outlook.example/hook"}]}],
    }
    targets = SinkTargets("http://127.0.0.1:9999", lambda _r: "127.0.0.1:2525", None)
    (conf,) = redirect_receivers(config, targets)["receivers"][0]["msteams_configs"]
    assert conf["webhook_url"] == "http://127.0.0.1:9999/receiver/chat/msteams-0"  # not a stand-in webhook
    payload = {"title": "[FIRING:1] ServiceDown", "text": "bff is down"}
    message = from_http("chat", "msteams-0", "msteams", "", payload, 1.0)
    assert (message.status, message.subject, message.recipients) == (
        "firing",
        "[FIRING:1] ServiceDown",
        ("msteams:chat",),
    )
    assert reply_for("msteams", payload).body == b"1"


def test_an_unknown_kind_still_becomes_a_stand_in_webhook() -> None:
    config = {"route": {"receiver": "chat"}, "receivers": [{"name": "chat", "msteams_configs": [{}]}]}
    receiver = redirect_receivers(config, SinkTargets("http://127.0.0.1:9999", lambda _r: "x:1", None))["receivers"][0]
    assert "msteams_configs" not in receiver
    assert receiver["webhook_configs"][0]["url"].endswith("/receiver/chat/stand-in-msteams-0")
