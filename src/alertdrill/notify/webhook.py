"""The webhook sink's payload: Alertmanager's webhook JSON as one Notification per alert."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alertdrill.runtime.timeparse import to_unix


@dataclass(frozen=True)
class Notification:
    """One alert inside one webhook POST, as a receiver would have got it."""

    receiver: str
    integration: str
    status: str  # firing | resolved (of this alert)
    alertname: str
    labels: dict[str, str]
    starts_at: float | None
    ends_at: float | None
    arrived_at: float
    group_key: str

    def matches(self, alertname: str, labels: dict[str, str]) -> bool:
        return self.alertname == alertname and all(self.labels.get(k) == v for k, v in labels.items())


def from_webhook(receiver: str, integration: str, payload: dict[str, Any], arrived: float) -> list[Notification]:
    """Every alert of one webhook POST (Alertmanager's `version: 4` payload) as it arrived."""
    group_key = str(payload.get("groupKey", ""))
    return [
        Notification(
            receiver=receiver,
            integration=integration,
            status=str(a.get("status", "")),
            alertname=str(a.get("labels", {}).get("alertname", "")),
            labels=dict(a.get("labels", {})),
            starts_at=to_unix(a.get("startsAt")),
            ends_at=to_unix(a.get("endsAt")),
            arrived_at=arrived,
            group_key=group_key,
        )
        for a in payload.get("alerts") or []
        if isinstance(a, dict)
    ]
