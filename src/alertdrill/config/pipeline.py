"""The team's promises about its own alerting pipeline (policy.yml `pipeline:`), and how many
Alertmanagers it runs.

Why here and not in the drills: what a pipeline fault may cost (a page late by how much, a
duplicate tolerated or not) is the team's decision, like its SLOs; the drills measure against it.
The number of Alertmanagers is read from where the team deploys it (the kube-prometheus-stack
values' `alertmanager.alertmanagerSpec.replicas`), so the local stack runs what the cluster runs;
`pipeline.alertmanager_replicas` in policy.yml names it for a team without those values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.config.durations import parse_duration
from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml

POLICY_FILE = "policy.yml"
KUBE_VALUES = Path("k8s") / "kube-prometheus-stack.values.yaml"
DUPLICATE_VERDICTS = ("report", "fail")
_KEYS = {"alertmanager_replicas", "page_delay_allowance", "escalation_slip_allowance", "duplicates"}
#: Prometheus' flag, as kube-prometheus-stack values pass it (prometheusSpec.additionalArgs).
RESEND_DELAY_ARG = "rules.alert.resend-delay"
#: Prometheus' own default for it.
DEFAULT_RESEND_DELAY_S = 60.0


@dataclass(frozen=True)
class PipelinePolicy:
    """Production seconds; every allowance is added on top of a bound derived from the config."""

    alertmanager_replicas: int = 1
    page_delay_allowance_s: float = 0.0
    escalation_slip_allowance_s: float = 0.0
    duplicates: str = "report"  # "fail": a person paged twice for one incident fails the drill
    replicas_from: str = "default (1)"
    #: Prometheus' resend delay in production (kube values' additionalArgs, else the default):
    #: the stacks run it scaled, and the heartbeat's bound depends on it.
    resend_delay_s: float = DEFAULT_RESEND_DELAY_S

    @classmethod
    def load(cls, root: Path) -> PipelinePolicy:
        section = _pipeline_section(root / POLICY_FILE)
        where = f"{root / POLICY_FILE}: pipeline"
        unknown = sorted(set(section) - _KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}; known: {sorted(_KEYS)}")
        duplicates = str(section.get("duplicates", "report"))
        if duplicates not in DUPLICATE_VERDICTS:
            raise ConfigError(f"{where}.duplicates: {duplicates!r}; use one of {', '.join(DUPLICATE_VERDICTS)}")
        replicas, source = _replicas(root, section, where)
        return cls(
            alertmanager_replicas=replicas,
            page_delay_allowance_s=parse_duration(
                section.get("page_delay_allowance", 0), f"{where}.page_delay_allowance"
            ),
            escalation_slip_allowance_s=parse_duration(
                section.get("escalation_slip_allowance", 0), f"{where}.escalation_slip_allowance"
            ),
            duplicates=duplicates,
            replicas_from=source,
            resend_delay_s=resend_delay_of(root) or DEFAULT_RESEND_DELAY_S,
        )


def _pipeline_section(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = load_yaml(path) or {}
    section = data.get("pipeline", {}) if isinstance(data, dict) else {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: pipeline: must be a mapping (e.g. pipeline: {{duplicates: report}})")
    return section


def _replicas(root: Path, section: dict[str, Any], where: str) -> tuple[int, str]:
    if "alertmanager_replicas" in section:
        value, source = section["alertmanager_replicas"], f"{where}.alertmanager_replicas"
    else:
        values = root / KUBE_VALUES
        spec = _dig(load_yaml(values) if values.is_file() else None, "alertmanager", "alertmanagerSpec")
        if not isinstance(spec, dict) or "replicas" not in spec:
            return 1, "default (1: no replicas in policy.yml or the kube-prometheus-stack values)"
        value, source = spec["replicas"], f"{values}: alertmanager.alertmanagerSpec.replicas"
    if not isinstance(value, int) or not 1 <= value <= 3:
        raise ConfigError(f"{source}: {value!r}; give 1, 2 or 3 Alertmanagers")
    return value, source


def prometheus_spec(root: Path) -> dict[str, Any]:
    """The kube-prometheus-stack values' `prometheus.prometheusSpec` ({} without the file)."""
    values = root / KUBE_VALUES
    spec = _dig(load_yaml(values) if values.is_file() else None, "prometheus", "prometheusSpec")
    return spec if isinstance(spec, dict) else {}


def resend_delay_of(root: Path) -> float | None:
    """`--rules.alert.resend-delay` as the values pass it (None: not set, Prometheus' default)."""
    args = [a for a in prometheus_spec(root).get("additionalArgs") or [] if isinstance(a, dict)]
    value = next((a.get("value") for a in args if a.get("name") == RESEND_DELAY_ARG), None)
    return None if value is None else parse_duration(value, f"{root / KUBE_VALUES}: additionalArgs {RESEND_DELAY_ARG}")


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
