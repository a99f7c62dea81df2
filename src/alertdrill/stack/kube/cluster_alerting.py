"""How FLUO's rules and Alertmanager config reach an existing cluster's monitoring, and how the
cluster is given back as it was.

Why: without `--install monitoring` alertdrill once applied only a PrometheusRule, so FLUO's
Alertmanager config (its routes to the recorder, redirected) never reached the cluster's
Alertmanager and no drill could be paged. The way in is the operator's, as the Alertmanager
object says:
- it selects AlertmanagerConfigs (`alertmanagerConfigSelector`): one is added, in a namespace it
  selects, and deleted after the run. The team's own config is not touched, but the operator
  nests the CR under a `namespace` matcher (unless its strategy is None), so FLUO's rules get a
  `namespace` label on this path (their `absent()` alerts carry none), and it forces
  `continue: true`, so the team's own routes see the drills' alerts too;
- else its config Secret: FLUO's config replaces `alertmanager.yaml` for the run and the team's
  is put back at teardown (also by `alertdrill revert` after a crash).
Either way only when told (`--install alertmanager-config`): a cluster's Alertmanager is not
alertdrill's to change by default. Before anything is applied, every routing test case is checked
with the real `amtool config routes test` on the config the operator would render.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.config.routing_cases import load_cases
from alertdrill.errors import ConfigError
from alertdrill.runtime.tools import run_tool
from alertdrill.runtime.yamlfile import dump_yaml
from alertdrill.stack.kube import amconfig_crd

log = logging.getLogger(__name__)

CR_NAME = "alertdrill-fluo"
OPT_IN = "alertmanager-config"
#: The operator's default when `alertmanagerConfigMatcherStrategy` is unset.
ON_NAMESPACE = "OnNamespace"
EXCEPT_OWN = "OnNamespaceExceptForAlertmanagerNamespace"
#: What a team's root route stands for in the offline proof: FLUO's route comes first, with
#: `continue: true`, so the team's other routes cannot change which of FLUO's receivers match.
TEAM_STAND_IN = {"route": {"receiver": "the-teams-own-root"}, "receivers": [{"name": "the-teams-own-root"}]}


@dataclass(frozen=True)
class AlertmanagerObject:
    """A prometheus-operator Alertmanager, as far as FLUO's config getting in is concerned."""

    name: str
    namespace: str
    #: matchLabels of alertmanagerConfigSelector; None: unset, it selects no AlertmanagerConfig.
    config_selector: dict[str, str] | None
    #: alertmanagerConfigNamespaceSelector: None its own namespace only, {} all, else these labels.
    config_namespaces: dict[str, str] | None
    strategy: str
    config_secret: str
    #: spec.alertmanagerConfiguration.name: a global AlertmanagerConfig the operator builds the
    #: base config from instead of the config Secret (`pkg/alertmanager/operator.go`).
    global_config: str = ""
    replicas: int = 1

    def pods(self) -> list[str]:
        """Its StatefulSet's pods, as the operator names them."""
        return [f"alertmanager-{self.name}-{i}" for i in range(max(1, self.replicas))]

    @property
    def where(self) -> str:
        return f"{self.namespace}/{self.name}"


def _match_labels(spec: dict[str, Any], key: str) -> dict[str, str] | None:
    if spec.get(key) is None:
        return None
    return {str(k): str(v) for k, v in ((spec[key] or {}).get("matchLabels") or {}).items()}


def parse_alertmanager_list(text: str) -> AlertmanagerObject:
    """From `kubectl get alertmanagers -A -o json`: the one Alertmanager FLUO's config goes to."""
    try:
        items = json.loads(text or "{}").get("items") or []
    except ValueError as exc:
        raise ConfigError(f"kubectl get alertmanagers did not print JSON: {exc}") from None
    if not items:
        raise ConfigError(
            "the cluster runs no prometheus-operator Alertmanager object, so FLUO's Alertmanager config has "
            "nowhere to go; let alertdrill install one with --install workload,monitoring"
        )
    meta, spec = items[0]["metadata"], items[0].get("spec") or {}
    if len(items) > 1:
        log.warning("several Alertmanager objects: FLUO's config goes to %s/%s", meta.get("namespace"), meta["name"])
    return AlertmanagerObject(
        name=str(meta["name"]),
        namespace=str(meta.get("namespace") or "default"),
        config_selector=_match_labels(spec, "alertmanagerConfigSelector"),
        config_namespaces=_match_labels(spec, "alertmanagerConfigNamespaceSelector"),
        strategy=str((spec.get("alertmanagerConfigMatcherStrategy") or {}).get("type") or ON_NAMESPACE),
        config_secret=str(spec.get("configSecret") or f"alertmanager-{meta['name']}"),
        global_config=str((spec.get("alertmanagerConfiguration") or {}).get("name") or ""),
        replicas=int(spec.get("replicas") or 1),
    )


@dataclass(frozen=True)
class AlertingWay:
    """How FLUO's config reaches the Alertmanager: an AlertmanagerConfig in `namespace` (whose
    labels must include `namespace_labels`), or its config Secret replaced for the run."""

    alertmanager: AlertmanagerObject
    kind: str  # "AlertmanagerConfig" or "Secret"
    namespace: str
    namespace_labels: dict[str, str]
    #: The operator adds `namespace="<namespace>"` to the CR's route and inhibit rules.
    namespace_matcher: bool

    def describe(self) -> str:
        am = self.alertmanager
        if self.kind == "Secret":
            return (
                f"Alertmanager {am.where} selects no AlertmanagerConfig: FLUO's config (redirected) replaces "
                f"alertmanager.yaml in its config Secret {am.namespace}/{am.config_secret} for the run; the team's "
                "is saved first and put back at teardown (and by `alertdrill revert` after a crash)"
            )
        matcher = (
            f'; the operator adds namespace="{self.namespace}" to its route, so FLUO\'s rules carry that label here'
            if self.namespace_matcher
            else ""
        )
        return (
            f"Alertmanager {am.where} selects AlertmanagerConfigs: FLUO's config goes in as AlertmanagerConfig "
            f"{self.namespace}/{CR_NAME} (deleted at teardown; the team's config is not touched){matcher}. The "
            "operator forces continue: true on it, so the team's own routes see the drills' alerts as well"
        )


def choose_way(am: AlertmanagerObject, workload_namespace: str, allowed: bool) -> AlertingWay:
    """The operator's way in, as the Alertmanager object says; a ConfigError unless allowed."""
    if am.config_selector is None and am.global_config:
        raise ConfigError(
            f"Alertmanager {am.where} builds its config from AlertmanagerConfig {am.global_config} "
            "(spec.alertmanagerConfiguration) and selects no other: its config Secret is not read, so FLUO's "
            "config has no way in. Set alertmanagerConfigSelector there, or use --install workload,monitoring"
        )
    if am.config_selector is None:
        way = AlertingWay(am, "Secret", am.namespace, {}, namespace_matcher=False)
    else:
        ns = am.namespace if am.config_namespaces is None else workload_namespace
        matcher = am.strategy != "None" and not (am.strategy == EXCEPT_OWN and ns == am.namespace)
        way = AlertingWay(am, "AlertmanagerConfig", ns, am.config_namespaces or {}, matcher)
    if not allowed:
        raise ConfigError(
            f"FLUO's Alertmanager config cannot reach Alertmanager {am.where}: alertdrill changes a cluster's "
            f"Alertmanager only when told. Pass --install workload,{OPT_IN} ({way.describe()}), or "
            "--install workload,monitoring to drill on an Alertmanager of alertdrill's own"
        )
    return way


def prove_routes(
    way: AlertingWay, am: dict[str, Any], routing_tests: Path | None, run_dir: Path, bin_path: str | None
) -> list[str]:
    """Every routing test case through the real amtool on the config the operator would render,
    with the labels FLUO's alerts will carry here; one line per case that misses."""
    if way.kind != "AlertmanagerConfig" or routing_tests is None:
        return []
    rendered = amconfig_crd.operator_rendered(TEAM_STAND_IN, am, way.namespace, CR_NAME, way.namespace_matcher)
    path = run_dir / "config" / "alertmanager.operator-rendered.yml"
    dump_yaml(rendered, path)
    extra = {"namespace": way.namespace} if way.namespace_matcher else {}
    problems = []
    for case in load_cases(routing_tests):
        expected = [amconfig_crd.namespaced(r, way.namespace, CR_NAME) for r in case.receivers]
        labels = [f"{k}={v}" for k, v in {**case.labels, **extra}.items()]
        args = ["config", "routes", "test", f"--config.file={path}", f"--verify.receivers={','.join(expected)}"]
        proc = run_tool("amtool", [*args, *labels], bin_path=bin_path)
        if proc.returncode != 0:
            problems.append(f"{case.name}: amtool routes it to {proc.stdout.strip() or '?'} in {path}")
    return problems
