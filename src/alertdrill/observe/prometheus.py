"""A small Prometheus HTTP API client (httpx, a timeout on every call)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from alertdrill.errors import ObserveError
from alertdrill.observe.http import ApiClient
from alertdrill.runtime.timeparse import to_unix


@dataclass(frozen=True)
class PromAlert:
    """An alert as the rule evaluator sees it: state and the time it first matched."""

    name: str
    labels: dict[str, str]
    state: str  # pending | firing
    active_at: float | None


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


class PrometheusClient(ApiClient):
    """Talks to one Prometheus by URL; raises ObserveError naming the URL on any failure."""

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            response = self._http.get(path, params=params)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ObserveError(f"Prometheus {self.base_url}{path}: {exc}") from exc
        if body.get("status") != "success":
            raise ObserveError(f"Prometheus {self.base_url}{path}: {body.get('error', body)}")
        return body["data"]

    def alerts(self) -> list[PromAlert]:
        data = self._get("/api/v1/alerts")
        return [
            PromAlert(
                name=a["labels"].get("alertname", ""),
                labels=a["labels"],
                state=a["state"],
                active_at=to_unix(a.get("activeAt")),
            )
            for a in data.get("alerts", [])
        ]

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        params = {"query": expr} if at is None else {"query": expr, "time": f"{at:.3f}"}
        data = self._get("/api/v1/query", params)
        if data["resultType"] != "vector":
            raise ObserveError(f"Prometheus query {expr!r}: expected a vector, got {data['resultType']}")
        return [Sample(labels=r["metric"], value=float(r["value"][1])) for r in data["result"]]

    def rule_groups(self) -> list[dict[str, Any]]:
        """`/api/v1/rules`: every rule group with its last evaluation and its alerts' labels,
        annotations and state (what a replay compares at each evaluation)."""
        groups: list[dict[str, Any]] = self._get("/api/v1/rules").get("groups", [])
        return groups

    def label_values(self, label: str) -> list[str]:
        """Every value `label` has in this Prometheus (`/api/v1/label/<label>/values`): with
        `__name__`, the metric names it holds; with `job`, its scrape jobs."""
        return [str(v) for v in self._get(f"/api/v1/label/{label}/values") or []]

    def version(self) -> str:
        """The release this Prometheus reports (`/api/v1/status/buildinfo`), e.g. "3.14.0"."""
        return str(self._get("/api/v1/status/buildinfo").get("version") or "unknown")

    def alertmanagers(self) -> list[str]:
        """The Alertmanager URLs the notifier currently sends to."""
        data = self._get("/api/v1/alertmanagers")
        return [str(a["url"]) for a in data.get("activeAlertmanagers", [])]

    def target_health(self) -> dict[str, list[str]]:
        """Health of every active target, by job (`up`, `down`, `unknown`)."""
        data = self._get("/api/v1/targets", {"state": "active"})
        health: dict[str, list[str]] = {}
        for target in data.get("activeTargets", []):
            health.setdefault(target["labels"].get("job", ""), []).append(target["health"])
        return health


def query_values(url: str, expr: str) -> list[float]:
    """One instant query's sample values, on a client of its own (what faults and isolation ask)."""
    with PrometheusClient(url) as prom:
        return [s.value for s in prom.query(expr)]
