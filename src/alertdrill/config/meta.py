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
from alertdrill.config.pipeline import (
    DEFAULT_RESEND_DELAY_S,
    KUBE_VALUES,
    POLICY_FILE,
    prometheus_spec,
    resend_delay_of,
)
from alertdrill.config.routing import SEND_RESOLVED_DEFAULT
from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml

SECTION = "meta_monitoring"
#: Alertmanager's integrations, by their `<name>_configs` key: what `watches:` may name.
INTEGRATIONS = frozenset(k.removesuffix("_configs") for k in SEND_RESOLVED_DEFAULT)
#: SOP-004 "System Recovery Time: < 5 minutes": the default limit for being told.
DEFAULT_DETECTION_LIMIT_S = 300.0
#: prometheus-operator's evaluationInterval when the values set none.
DEFAULT_EVALUATION_INTERVAL_S = 30.0
#: Prometheus marks a sent alert valid for this many times max(evaluation interval, resend delay).
VALID_FOR_SENDS = 4
_KEYS = {"detection_limit", "heartbeat", "alerts", "prometheus"}
_HEARTBEAT_KEYS = {"alert", "receiver", "period", "grace", "notify"}
#: The receiver name the heartbeat service's own pages are recorded under (notify/heartbeat.py).
SERVICE_PAGES_RECEIVER = "heartbeat-service"


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
        return self.valid_for(self.evaluation_interval_s)

    def valid_for(self, evaluation_interval_s: float) -> float:
        """The same for a rule group evaluated every `evaluation_interval_s` (its own `interval:`)."""
        return VALID_FOR_SENDS * max(evaluation_interval_s, self.resend_delay_s)


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
    heartbeat: Heartbeat,
    prometheus_stopped: bool,
    valid_for_s: float,
    scale: float = 1.0,
    resolved_ping_s: float = 0.0,
) -> tuple[tuple[str, float], ...]:
    """From the fault to the heartbeat service's page, each term named (seconds / `scale`).

    `prometheus_stopped`: Prometheus' sends stopped (Prometheus down, or the link cut), so the
    heartbeat stays firing in Alertmanager for `valid_for_s` first; else every Alertmanager is down.
    `resolved_ping_s`: the heartbeat's receiver sends resolved messages (webhooks do by default),
    and a service counts one as a ping: it comes up to a group_interval after the heartbeat expired.
    """
    terms: list[tuple[str, float]] = []
    if prometheus_stopped:
        terms.append(("heartbeat kept firing in Alertmanager: 4 × max(evaluation, resend delay)", valid_for_s))
        if resolved_ping_s:
            terms.append(("its resolved message, a last ping: group_interval", resolved_ping_s))
    terms += [("heartbeat service period", heartbeat.period_s / scale), ("its grace", heartbeat.grace_s / scale)]
    return tuple(terms)


def sends_resolved(alertmanager: dict[str, Any], receiver: str) -> bool:
    """Whether any integration of `receiver` sends resolved messages (each kind's default applies)."""
    for r in alertmanager.get("receivers") or []:
        if isinstance(r, dict) and r.get("name") == receiver:
            return any(
                bool(conf.get("send_resolved", SEND_RESOLVED_DEFAULT.get(key, True)))
                for key, confs in r.items()
                if key.endswith("_configs")
                for conf in confs or []
                if isinstance(conf, dict)
            )
    return False


def group_interval_of(documents: list[dict[str, Any]], alert: str) -> float | None:
    """The `interval:` of the rule group that defines `alert` (None: the global evaluation interval)."""
    for doc in documents:
        for group in doc.get("groups") or []:
            if any(r.get("alert") == alert for r in group.get("rules") or []) and group.get("interval"):
                return parse_duration(group["interval"], f"rule group {group.get('name')}.interval")
    return None


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
        detection_limit_s=_duration(section, "detection_limit", DEFAULT_DETECTION_LIMIT_S, where),
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
    if str(value["receiver"]) == SERVICE_PAGES_RECEIVER:
        raise ConfigError(
            f"{where}.receiver: {SERVICE_PAGES_RECEIVER!r} is where alertdrill records the heartbeat service's "
            "own pages; name the heartbeat's receiver something else"
        )
    notify = value.get("notify") or []
    if not isinstance(notify, list) or not all(isinstance(n, str) for n in notify):
        raise ConfigError(f"{where}.notify: a list of addresses the service pages")
    return Heartbeat(
        alert=str(value["alert"]),
        receiver=str(value["receiver"]),
        period_s=_duration(value, "period", 60.0, where),
        grace_s=_duration(value, "grace", 60.0, where),
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
        watches = str(spec["watches"]) if spec.get("watches") else None
        if watches is not None and watches not in INTEGRATIONS:
            raise ConfigError(
                f"{where}.{name}.watches: {watches!r} is no Alertmanager integration; "
                f"use one of {', '.join(sorted(INTEGRATIONS))}"
            )
        out.append(MetaAlert(str(name), watches))
    return tuple(out)


def _prometheus_timers(root: Path, value: Any, where: str) -> PrometheusTimers:
    """The policy's values, else the kube-prometheus-stack values, else the upstream defaults."""
    if value is not None:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: a mapping {{evaluation_interval: 30s, resend_delay: 1m}}")
        _no_unknown(value, {"evaluation_interval", "resend_delay"}, where)
        return PrometheusTimers(
            _duration(value, "evaluation_interval", DEFAULT_EVALUATION_INTERVAL_S, where),
            _duration(value, "resend_delay", DEFAULT_RESEND_DELAY_S, where),
            where,
        )
    evaluation = prometheus_spec(root).get("evaluationInterval") or None
    resend = resend_delay_of(root)
    return PrometheusTimers(
        parse_duration(evaluation, f"{root / KUBE_VALUES}: evaluationInterval")
        if evaluation
        else DEFAULT_EVALUATION_INTERVAL_S,
        DEFAULT_RESEND_DELAY_S if resend is None else resend,
        str(root / KUBE_VALUES) if (evaluation or resend is not None) else "upstream defaults",
    )


def _duration(section: dict[str, Any], key: str, default: float, where: str) -> float:
    """A duration key; absent or blank (`period:`) is its default."""
    value = section.get(key)
    return default if value is None or value == "" else parse_duration(value, f"{where}.{key}")
