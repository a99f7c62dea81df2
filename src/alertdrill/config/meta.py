"""Who is told when alerting itself breaks (policy.yml `meta_monitoring:`), and how fast that can be.

Why a policy section and not a guess from the rules: a heartbeat is an ordinary always-firing
alert, and a meta alert an ordinary rule; only the team knows which ones they are, which
receiver is its heartbeat service's ping URL, and that service's period and grace (set in the
service, not in any file alertdrill reads). With them, "no other alert fired" knows these alerts
are part of the config, and `check` and the drills derive how fast someone can be told.

How fast, term by term (facts from the upstream source, drilled in features/pipeline/):
- Alertmanager pings the service at the first flush (every group_interval) after repeat_interval
  has passed since its last send; the notification log stamps that send a moment *after* the
  flush, so the ping interval is (floor(repeat / group_interval) + 1) × group_interval.
- Every Alertmanager down: the last ping came before the fault; the service pages period + grace
  after it.
- Prometheus down, or its link to Alertmanager cut: Alertmanager keeps the heartbeat firing until
  the endsAt Prometheus gave it at its last send: 4 × max(evaluation interval, resend delay)
  (rules/alerting.go, ValidUntil); only then do the pings stop, and period + grace follow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.config.durations import parse_duration
from alertdrill.config.pipeline import KUBE_VALUES, POLICY_FILE
from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml

SECTION = "meta_monitoring"
#: SOP-004 "System Recovery Time: < 5 minutes": the default limit for being told.
DEFAULT_DETECTION_LIMIT_S = 300.0
#: Prometheus' own default (--rules.alert.resend-delay) and prometheus-operator's evaluationInterval.
DEFAULT_RESEND_DELAY_S = 60.0
DEFAULT_EVALUATION_INTERVAL_S = 30.0
#: Prometheus marks a sent alert valid for this many times max(evaluation interval, resend delay).
VALID_FOR_SENDS = 4
RESEND_DELAY_ARG = "rules.alert.resend-delay"
_KEYS = {"detection_limit", "heartbeat", "alerts", "prometheus"}
_HEARTBEAT_KEYS = {"alert", "receiver", "period", "grace", "notify"}


@dataclass(frozen=True)
class Heartbeat:
    """The always-firing alert, the receiver whose URL is the service's ping URL, and the service."""

    alert: str
    receiver: str
    period_s: float  # the service expects a ping at least this often...
    grace_s: float  # ...and pages this long after one is late
    notify: tuple[str, ...]  # whom the service pages, through its own channel


@dataclass(frozen=True)
class MetaAlert:
    name: str
    #: The integration kind it watches (e.g. "email"): it must reach someone through another one.
    watches: str | None = None


@dataclass(frozen=True)
class PrometheusTimers:
    """Production values the heartbeat's bound depends on, and where each was read."""

    evaluation_interval_s: float
    resend_delay_s: float
    source: str

    @property
    def valid_for_s(self) -> float:
        """How long Alertmanager keeps an alert firing after Prometheus' last send of it."""
        return VALID_FOR_SENDS * max(self.evaluation_interval_s, self.resend_delay_s)


@dataclass(frozen=True)
class MetaMonitoring:
    detection_limit_s: float
    heartbeat: Heartbeat | None
    alerts: tuple[MetaAlert, ...]
    prometheus: PrometheusTimers
    where: str

    @property
    def names(self) -> frozenset[str]:
        """Every alert that is part of watching the pipeline (never noise in a drill)."""
        hb = {self.heartbeat.alert} if self.heartbeat else set()
        return frozenset(hb | {a.name for a in self.alerts})


def ping_interval_s(group_interval_s: float, repeat_interval_s: float) -> float:
    """How often Alertmanager really sends an unchanged group (see the module docstring)."""
    return (math.floor(repeat_interval_s / group_interval_s + 1e-9) + 1) * group_interval_s


def detection_terms(
    heartbeat: Heartbeat, prometheus_stopped: bool, valid_for_s: float, scale: float = 1.0
) -> tuple[tuple[str, float], ...]:
    """From the fault to the heartbeat service's page, each term named (seconds / `scale`).

    `prometheus_stopped`: Prometheus' sends stopped (Prometheus down, or the link cut), so the
    heartbeat stays firing in Alertmanager for `valid_for_s` first; else every Alertmanager is down.
    """
    terms: list[tuple[str, float]] = []
    if prometheus_stopped:
        terms.append(("heartbeat kept firing in Alertmanager: 4 × max(evaluation, resend delay)", valid_for_s))
    terms += [("heartbeat service period", heartbeat.period_s / scale), ("its grace", heartbeat.grace_s / scale)]
    return tuple(terms)


def load_meta_monitoring(root: Path) -> MetaMonitoring | None:
    """policy.yml's `meta_monitoring:` (None: the team has not opted in)."""
    path = root / POLICY_FILE
    data = load_yaml(path) if path.is_file() else None
    if not isinstance(data, dict) or SECTION not in data:
        return None
    section = data[SECTION]
    where = f"{path}: {SECTION}"
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: must be a mapping (heartbeat:, alerts:, detection_limit:)")
    _no_unknown(section, _KEYS, where)
    return MetaMonitoring(
        detection_limit_s=parse_duration(
            section.get("detection_limit", DEFAULT_DETECTION_LIMIT_S), f"{where}.detection_limit"
        ),
        heartbeat=_heartbeat(section.get("heartbeat"), f"{where}.heartbeat"),
        alerts=_alerts(section.get("alerts"), f"{where}.alerts"),
        prometheus=_prometheus_timers(root, section.get("prometheus"), f"{where}.prometheus"),
        where=where,
    )


def _no_unknown(section: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")


def _heartbeat(value: Any, where: str) -> Heartbeat | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("alert") or not value.get("receiver"):
        raise ConfigError(f"{where}: give alert:, receiver:, period: and grace: (e.g. {{alert: Heartbeat, ...}})")
    _no_unknown(value, _HEARTBEAT_KEYS, where)
    notify = value.get("notify") or []
    if not isinstance(notify, list) or not all(isinstance(n, str) for n in notify):
        raise ConfigError(f"{where}.notify: a list of addresses the service pages")
    return Heartbeat(
        alert=str(value["alert"]),
        receiver=str(value["receiver"]),
        period_s=parse_duration(value.get("period", "1m"), f"{where}.period"),
        grace_s=parse_duration(value.get("grace", "1m"), f"{where}.grace"),
        notify=tuple(notify),
    )


def _alerts(value: Any, where: str) -> tuple[MetaAlert, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: a mapping of alert name to {{watches: <integration>}} (or {{}})")
    out = []
    for name, spec in value.items():
        spec = spec or {}
        if not isinstance(spec, dict) or set(spec) - {"watches"}:
            raise ConfigError(f"{where}.{name}: only `watches: <integration kind>` is known, got {spec!r}")
        out.append(MetaAlert(str(name), str(spec["watches"]) if spec.get("watches") else None))
    return tuple(out)


def _prometheus_timers(root: Path, value: Any, where: str) -> PrometheusTimers:
    """The policy's values, else the kube-prometheus-stack values, else the upstream defaults."""
    if isinstance(value, dict):
        return PrometheusTimers(
            parse_duration(value.get("evaluation_interval", "30s"), f"{where}.evaluation_interval"),
            parse_duration(value.get("resend_delay", "1m"), f"{where}.resend_delay"),
            where,
        )
    values_path = root / KUBE_VALUES
    values = load_yaml(values_path) if values_path.is_file() else None
    spec = ((values or {}).get("prometheus") or {}).get("prometheusSpec") or {} if isinstance(values, dict) else {}
    evaluation = spec.get("evaluationInterval") or None
    args = [a for a in spec.get("additionalArgs") or [] if isinstance(a, dict)]
    resend = next((a.get("value") for a in args if a.get("name") == RESEND_DELAY_ARG), None)
    return PrometheusTimers(
        parse_duration(evaluation, f"{values_path}: evaluationInterval")
        if evaluation
        else DEFAULT_EVALUATION_INTERVAL_S,
        parse_duration(resend, f"{values_path}: additionalArgs {RESEND_DELAY_ARG}")
        if resend
        else DEFAULT_RESEND_DELAY_S,
        str(values_path) if (evaluation or resend) else "upstream defaults",
    )
