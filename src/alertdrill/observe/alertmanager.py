"""A small Alertmanager API v2 client (httpx, a timeout on every call)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from alertdrill.errors import ObserveError
from alertdrill.observe.http import ApiClient
from alertdrill.runtime.timeparse import to_unix


@dataclass(frozen=True)
class AmAlert:
    """An alert as Alertmanager holds it: where the routing tree sends it, since when."""

    name: str
    labels: dict[str, str]
    receivers: tuple[str, ...]
    starts_at: float | None
    state: str  # active | suppressed | unprocessed
    fingerprint: str = ""
    inhibited_by: tuple[str, ...] = ()  # fingerprints of the alerts that inhibit it
    silenced_by: tuple[str, ...] = ()  # silence ids


class AlertmanagerClient(ApiClient):
    """Talks to one Alertmanager by URL; raises ObserveError naming the URL on any failure."""

    def _get(self, path: str) -> Any:
        try:
            response = self._http.get(path)
            response.raise_for_status()
            return response.json() if path.startswith("/api/") else response.text
        except (httpx.HTTPError, ValueError) as exc:
            raise ObserveError(f"Alertmanager {self.base_url}{path}: {exc}") from exc

    def alerts(self) -> list[AmAlert]:
        return [
            AmAlert(
                name=a["labels"].get("alertname", ""),
                labels=a["labels"],
                receivers=tuple(sorted(r["name"] for r in a.get("receivers", []))),
                starts_at=to_unix(a.get("startsAt")),
                state=a.get("status", {}).get("state", ""),
                fingerprint=str(a.get("fingerprint", "")),
                inhibited_by=tuple(a.get("status", {}).get("inhibitedBy") or ()),
                silenced_by=tuple(a.get("status", {}).get("silencedBy") or ()),
            )
            for a in self._get("/api/v2/alerts")
        ]

    def silence(self, silence_id: str) -> dict[str, Any]:
        """`GET /api/v2/silence/{id}`: its matchers, who made it and why."""
        return dict(self._get(f"/api/v2/silence/{silence_id}"))

    def version(self) -> str:
        """The release this Alertmanager reports (`/api/v2/status`), e.g. "0.34.0"."""
        status = self._get("/api/v2/status")
        return str(status.get("versionInfo", {}).get("version") or "unknown")

    def status(self) -> dict[str, Any]:
        """`/api/v2/status`: version, running config (`config.original`), cluster."""
        return dict(self._get("/api/v2/status"))

    def cluster(self) -> tuple[str, int]:
        """Gossip state (`/api/v2/status`): ("ready" | "settling" | "disabled", peers seen)."""
        cluster = self._get("/api/v2/status").get("cluster", {})
        return str(cluster.get("status", "disabled")), len(cluster.get("peers") or [])

    def is_settled(self, peers: int) -> bool:
        """Ready, and (clustered) gossip settled with every peer: before that a restarted peer may
        page from its stale snapshot (its silences and notification log not yet merged)."""
        if not self.is_ready():
            return False
        if peers <= 1:
            return True
        try:
            status, seen = self.cluster()
        except ObserveError:
            return False
        return status == "ready" and seen >= peers

    def _gauge(self, name: str) -> float | None:
        """One unlabelled sample of Alertmanager's own `/metrics`, or None when it has none."""
        for line in str(self._get("/metrics")).splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    def config_reload_ok(self) -> bool:
        """`alertmanager_config_last_reload_successful`: 0 after a reload it refused."""
        value = self._gauge("alertmanager_config_last_reload_successful")
        if value is None:
            raise ObserveError(
                f"Alertmanager {self.base_url}/metrics has no alertmanager_config_last_reload_successful"
            )
        return value == 1.0

    def aggregation_groups(self) -> int:
        """`alertmanager_dispatcher_aggregation_groups`: groups alive, including resolved ones."""
        return int(self._gauge("alertmanager_dispatcher_aggregation_groups") or 0)

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """`POST /api/v2/alerts`: what Prometheus does (tests of the sinks stand in for it)."""
        try:
            self._http.post("/api/v2/alerts", json=alerts).raise_for_status()
        except httpx.HTTPError as exc:
            raise ObserveError(f"Alertmanager {self.base_url}/api/v2/alerts: {exc}") from exc

    def metrics_text(self) -> str:
        return str(self._get("/metrics"))

    def add_silence(self, matchers: dict[str, str], ends_at: float, created_by: str, comment: str) -> str:
        """`POST /api/v2/silences` (equality matchers): an acknowledgement; returns the silence id."""
        body = {
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
            "startsAt": _iso(time.time() - 1),
            "endsAt": _iso(ends_at),
            "createdBy": created_by,
            "comment": comment,
        }
        try:
            response = self._http.post("/api/v2/silences", json=body)
            response.raise_for_status()
            return str(response.json()["silenceID"])
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise ObserveError(f"Alertmanager {self.base_url}/api/v2/silences: {exc}") from exc

    def expire_silence(self, silence_id: str) -> None:
        """`DELETE /api/v2/silence/{id}`: the acknowledgement ends (a drill's cleanup)."""
        try:
            self._http.delete(f"/api/v2/silence/{silence_id}").raise_for_status()
        except httpx.HTTPError as exc:
            raise ObserveError(f"Alertmanager {self.base_url}/api/v2/silence/{silence_id}: {exc}") from exc


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
