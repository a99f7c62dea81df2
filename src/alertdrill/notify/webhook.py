"""Per-alert notifications: one message (email, Slack post, webhook …) as one entry per alert it carries.

A drill follows an alert, not a message: `Notification` is "this alert reached this receiver's
integration, for these recipients, saying this". When a message names no labels a drill can read
(a custom template), it is one entry without an alert, matched by what its text mentions.
"""

from __future__ import annotations

from dataclasses import dataclass

from alertdrill.notify.message import Message


@dataclass(frozen=True)
class Notification:
    """One alert inside one delivered message, as a receiver would have got it."""

    receiver: str
    integration: str
    status: str  # firing | resolved (of this alert, else of the message)
    alertname: str  # "" when the message names no labels (matched by content)
    labels: dict[str, str]
    arrived_at: float
    group_key: str
    message: Message | None = None
    starts_at: float | None = None
    ends_at: float | None = None

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.message.recipients if self.message else ()

    def matches(self, alertname: str, labels: dict[str, str]) -> bool:
        if not self.alertname and self.message is not None:
            return self.message.mentions(alertname, labels)
        return self.alertname == alertname and all(self.labels.get(k) == v for k, v in labels.items())


def notifications_of(message: Message) -> list[Notification]:
    """Every alert of one message; the message itself when it names none."""
    group_key = str(message.extra.get("group_key", ""))
    if not message.alerts:
        return [
            Notification(message.receiver, message.integration, message.status, "", {}, message.arrived_at, "", message)
        ]
    return [
        Notification(
            receiver=message.receiver,
            integration=message.integration,
            status=a.status or message.status,
            alertname=a.alertname,
            labels=dict(a.labels),
            arrived_at=message.arrived_at,
            group_key=group_key,
            message=message,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
        )
        for a in message.alerts
    ]
