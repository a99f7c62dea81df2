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

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from alertdrill.config.routing_cases import load_cases
from alertdrill.errors import ConfigError
from alertdrill.faults.injection import CommandsUndo, undo_to_json
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.tools import run_tool
from alertdrill.runtime.yamlfile import dump_yaml, yaml_text
from alertdrill.stack.base import Timing, discovery_handoff_s
from alertdrill.stack.kube import amconfig_crd, manifests
from alertdrill.stack.kube.manifests import Manifest
from alertdrill.stack.kube.operator import PrometheusSelection, parse_prometheus_list
from alertdrill.stack.kube.tools import Runner

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


@dataclass
class SecretSwap:
    """The Alertmanager's config Secret: FLUO's in for the run, the team's saved and put back."""

    runner: Runner
    kubectl: Callable[..., list[str]]
    way: AlertingWay

    def _put(self, data_b64: str) -> list[str]:
        am = self.way.alertmanager
        patch = json.dumps({"data": {"alertmanager.yaml": data_b64}})
        return self.kubectl(
            "patch", "secret", am.config_secret, "--namespace", am.namespace, "--type", "merge", "--patch", patch
        )

    def swap(self, fluo_config: str, backup: Path) -> list[str]:
        """Replace the config; return the command that restores the team's (saved to `backup`)."""
        am = self.way.alertmanager
        jsonpath = "jsonpath={.data.alertmanager\\.yaml}"
        get = self.kubectl("get", "secret", am.config_secret, "--namespace", am.namespace, "--output", jsonpath)
        original = self.runner.run(get, timeout=TIMEOUTS.kube_get).stdout.strip()
        if not original:
            raise ConfigError(
                f"Secret {am.namespace}/{am.config_secret} has no alertmanager.yaml: nothing alertdrill could put "
                "back after the run, so it does not replace it"
            )
        backup.parent.mkdir(parents=True, exist_ok=True)
        backup.write_text(base64.b64decode(original).decode())
        backup.chmod(0o600)
        restore = self._put(original)
        self.runner.run(self._put(base64.b64encode(fluo_config.encode()).decode()), timeout=TIMEOUTS.kube_apply)
        return restore


#: What FLUO's PodMonitor, ServiceMonitors and rules need of the cluster's operator.
OPERATOR_CRDS = (
    "podmonitors.monitoring.coreos.com",
    "servicemonitors.monitoring.coreos.com",
    "prometheusrules.monitoring.coreos.com",
)
#: Prometheus' scrape timeout when a config sets none; capped at the interval.
UPSTREAM_SCRAPE_TIMEOUT_S = 10.0
#: The restore record `alertdrill revert` finds (beside the drills' fault records, undone last).
RESTORE_RECORD = "000-alertmanager-config.json"


@dataclass
class ExistingMonitoring:
    """An existing cluster's Prometheus and Alertmanager: read before anything is installed (a
    refusal comes first), FLUO's alerting config put in its way, and the team's given back."""

    runner: Runner
    kubectl: Callable[..., list[str]]
    workload_namespace: str
    allowed: bool
    bin_path: str | None = None  # amtool's version set
    selection: PrometheusSelection | None = None
    way: AlertingWay | None = None

    def follow(self, timing: Timing, am: dict[str, Any], routing_tests: Path | None, run_dir: Path) -> Timing:
        """Read the cluster (`read`), prove FLUO's routes on what the operator would render, and
        return the timing of its Prometheus: its evaluation interval, its scrape interval where
        that is longer than the 5 s alertdrill's monitors ask for (NATS' and the exporters'
        monitors set none), its discovery reload tick and version."""
        self.read()
        sel, way = self.selection, self.way
        if sel is None or way is None:
            raise ConfigError("the cluster's Prometheus and Alertmanager objects could not be read")
        problems = prove_routes(way, am, routing_tests, run_dir, self.bin_path)
        if problems:
            raise ConfigError("FLUO's routes as the operator would render them miss: " + "; ".join(problems))
        scrape = max(timing.scrape_interval_s, sel.scrape_interval_s)
        log.info(
            "following Prometheus %s: evaluation every %gs, scrapes every %gs", sel.name, sel.eval_interval_s, scrape
        )
        return replace(
            timing,
            eval_interval_s=sel.eval_interval_s,
            scrape_interval_s=scrape,
            scrape_timeout_s=min(UPSTREAM_SCRAPE_TIMEOUT_S, scrape),
            discovery_s=discovery_handoff_s(sel.version or "3", sel.discovery_reload_s),
        )

    def read(self) -> None:
        """The operator's CRDs, the Prometheus object (what it loads, from where, how often) and
        the Alertmanager object (how FLUO's config gets in): a ConfigError names what is missing."""
        crds = self.runner.run(self.kubectl("get", "crd", *OPERATOR_CRDS), timeout=TIMEOUTS.kube_get, check=False)
        if crds.returncode != 0:
            raise ConfigError(
                f"the cluster has no Prometheus operator CRDs ({', '.join(OPERATOR_CRDS)}): install "
                "kube-prometheus-stack there, or let alertdrill do it with --install workload,monitoring "
                f"({(crds.stderr or crds.stdout).strip()[:200]})"
            )
        get = ("--all-namespaces", "-o", "json")
        prometheus = self.runner.run(self.kubectl("get", "prometheuses", *get), timeout=TIMEOUTS.kube_get)
        self.selection = parse_prometheus_list(prometheus.stdout)
        alertmanagers = self.runner.run(self.kubectl("get", "alertmanagers", *get), timeout=TIMEOUTS.kube_get)
        self.way = choose_way(parse_alertmanager_list(alertmanagers.stdout), self.workload_namespace, self.allowed)
        log.info("FLUO's alerting config: %s", self.way.describe())

    def namespace_labels(self) -> dict[str, str]:
        """What the workload namespace must carry for the Prometheus and Alertmanager to load FLUO's objects."""
        labels = self.selection.namespace_labels(self.workload_namespace) if self.selection else {}
        if self.way is not None and self.way.namespace == self.workload_namespace:
            labels = {**labels, **self.way.namespace_labels}
        return labels

    def alert_labels(self) -> dict[str, str]:
        """Labels FLUO's alerting rules get here: the namespace the operator's matcher asks for."""
        if self.way is not None and self.way.namespace_matcher:
            return {"namespace": self.way.namespace}
        return {}

    def put_in(self, am: dict[str, Any], ca_pem: str, run_dir: Path) -> tuple[list[Manifest], list[str] | None]:
        """FLUO's config for the Alertmanager: the objects to apply (an AlertmanagerConfig, the CA
        and routing-key Secrets), or — the Secret way — swapped in now; the restore command."""
        way = self.way
        if way is None:
            raise ConfigError("the cluster's Alertmanager was not read before FLUO's config was put in")
        if way.kind == "AlertmanagerConfig":
            cr = amconfig_crd.alertmanager_config(am, CR_NAME, way.namespace, way.alertmanager.config_selector or {})
            keys = amconfig_crd.routing_keys_secret(am, CR_NAME, way.namespace)
            # the CA the CR's email configs reference: the workload's namespace has it (with the sink's key pair)
            own = way.namespace == self.workload_namespace
            ca = [] if own else [manifests.sink_tls_secret(way.namespace, {"ca.pem": ca_pem})]
            return [*ca, *([keys] if keys else []), cr], None
        inline = amconfig_crd.with_inline_ca(am, ca_pem)
        restore = SecretSwap(self.runner, self.kubectl, way).swap(
            yaml_text(inline), run_dir / "alertmanager.teams.yaml"
        )
        record = run_dir / "faults" / RESTORE_RECORD
        record.parent.mkdir(parents=True, exist_ok=True)
        offline = undo_to_json(CommandsUndo((tuple(restore),)))
        record.write_text(json.dumps({"name": "the team's Alertmanager config", "injected_at": 0, "offline": offline}))
        return [], restore
