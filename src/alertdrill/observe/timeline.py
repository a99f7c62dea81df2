"""The timeline of one drill: each moment taken from a source of truth, in Unix seconds.

fault_at: the ledger (after the fault was applied) · pending_at: Prometheus `activeAt` ·
firing_at: Alertmanager `startsAt` (= the rule's FiredAt) · notified_at: recorder arrival ·
rollback_at: the ledger · resolved_at: the resolved payload's `endsAt` (= ResolvedAt) ·
resolved_notified_at: recorder arrival of the resolved notification.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Timeline:
    fault_at: float | None = None
    pending_at: float | None = None
    firing_at: float | None = None
    notified_at: float | None = None
    rollback_at: float | None = None
    resolved_at: float | None = None
    resolved_notified_at: float | None = None
    receivers: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    def since_fault(self, t: float | None) -> float | None:
        if t is None or self.fault_at is None:
            return None
        return round(t - self.fault_at, 3)

    @property
    def fire_latency_s(self) -> float | None:
        """fault -> firing (rule state), real seconds."""
        return self.since_fault(self.firing_at)

    @property
    def notify_latency_s(self) -> float | None:
        """fault -> first firing notification, real seconds."""
        return self.since_fault(self.notified_at)

    @property
    def recovery_s(self) -> float | None:
        """rollback -> resolved notification (or, for an alert never paged, its resolution)."""
        end = self.resolved_notified_at or self.resolved_at
        if self.rollback_at is None or end is None:
            return None
        return round(end - self.rollback_at, 3)

    def observed(self) -> dict[str, object]:
        data = asdict(self)
        return {
            k: data[k]
            for k in (
                "labels",
                "receivers",
                "fault_at",
                "pending_at",
                "firing_at",
                "notified_at",
                "rollback_at",
                "resolved_at",
                "resolved_notified_at",
            )
        }
