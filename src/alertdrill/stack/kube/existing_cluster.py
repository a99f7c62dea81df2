"""An existing cluster's Prometheus and Alertmanager through a run: read before anything is
installed, FLUO's alerting config put in (cluster_alerting.py says which way) and loaded before
FLUO's rules can fire, and the team's given back after FLUO's alerts have left.

Why this order: FLUO's Heartbeat fires the moment its rule loads. Rules before FLUO's config (or
left after the team's config is back) would send FLUO's alerts through the team's own routes, to
its real receivers. So: config in, wait until the Alertmanager runs it, rules; at the end rules
out, wait until the Alertmanager holds none of FLUO's alerts, config back. The give-back is
recorded before anything is changed (`alertdrill revert` finds it after a crash), its command
reads the team's saved config from a 0600 file (never on a command line, which the run logs), and
it counts as done only when it succeeded.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from alertdrill.errors import ConfigError
from alertdrill.faults.injection import CommandsUndo, undo_to_json
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.yamlfile import yaml_text
from alertdrill.settings import Settings
from alertdrill.stack.base import Timing, discovery_handoff_s
from alertdrill.stack.kube import amconfig_crd, manifests, values
from alertdrill.stack.kube.cluster_alerting import (
    CR_NAME,
    OPT_IN,
    AlertingWay,
    AlertmanagerObject,
    choose_way,
    parse_alertmanager_list,
    prove_routes,
)
from alertdrill.stack.kube.operator import PrometheusSelection, parse_prometheus_list
from alertdrill.stack.kube.tools import CommandFailed, Runner, poll_command

log = logging.getLogger(__name__)

#: What FLUO's PodMonitor, ServiceMonitors and rules need of the cluster's operator.
OPERATOR_CRDS = (
    "podmonitors.monitoring.coreos.com",
    "servicemonitors.monitoring.coreos.com",
    "prometheusrules.monitoring.coreos.com",
)
#: Prometheus' scrape timeout when a config sets none; capped at the interval.
UPSTREAM_SCRAPE_TIMEOUT_S = 10.0
#: The give-back record `alertdrill revert` finds (beside the drills' fault records, undone last).
RESTORE_RECORD = "000-alertmanager-config.json"
#: The operator's governing Service of every Alertmanager, reached through the API server's proxy.
OPERATED_SERVICE = "alertmanager-operated:web"
AM_PORT = 9093


@dataclass
class ExistingMonitoring:
    runner: Runner
    kubectl: Callable[..., list[str]]
    workload_namespace: str
    allowed: bool
    bin_path: str | None = None  # amtool's version set
    keep_stack: bool = False
    #: A dry run: amtool is not asked and nothing is waited for (each wait's command is listed once).
    planning: bool = False
    selection: PrometheusSelection | None = None
    way: AlertingWay | None = None
    give_back: list[list[str]] = field(default_factory=list)
    run_dir: Path = Path(".")
    context: str | None = None  # the kubeconfig context the give-back is pinned to

    def follow(self, timing: Timing, am: dict[str, Any], routing_tests: Path | None, run_dir: Path) -> Timing:
        """Read the cluster (`read`), prove FLUO's routes on what the operator would render, and
        return the timing of its Prometheus: its evaluation interval, its scrape interval where
        that is longer than the 5 s alertdrill's monitors ask for (NATS' and the exporters'
        monitors set none), its discovery reload tick and version."""
        self.run_dir = run_dir
        self.read()
        sel, way = self.selection, self.way
        if sel is None or way is None:
            raise ConfigError("the cluster's Prometheus and Alertmanager objects could not be read")
        if self.keep_stack:  # its give-back would be left to a later run's automatic revert, rules still firing
            raise ConfigError(
                f"--keep-stack would leave Alertmanager {way.alertmanager.where} running FLUO's config beside FLUO's "
                "rules, with nothing to give the team's back in order: drop --keep-stack on this cluster"
            )
        problems = [] if self.planning else prove_routes(way, am, routing_tests, run_dir, self.bin_path)
        if problems:
            raise ConfigError("FLUO's routes as the operator would render them miss: " + "; ".join(problems))
        scrape = max(timing.scrape_interval_s, sel.scrape_interval_s)
        log.info(
            "following Prometheus %s: evaluates every %gs, scrapes every %gs", sel.name, sel.eval_interval_s, scrape
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

    def rules(self, rule_paths: list[Path]) -> manifests.Manifest:
        """FLUO's rules as the cluster's Prometheus selects them, with the labels the way in asks for."""
        labels = self.selection.rule_labels if self.selection else {}
        return values.prometheus_rule(rule_paths, self.workload_namespace, labels, self.alert_labels())

    # -- in ---------------------------------------------------------------------------------
    def put_in(self, am: dict[str, Any], ca_pem: str, apply: Callable[[Path], None], recorder_host: str) -> None:
        """FLUO's config into the Alertmanager (its give-back recorded first), then wait until every
        replica runs this run's (a route only it has); then the give-back deletes FLUO's rules first."""
        way = self.way
        if way is None:
            raise ConfigError("the cluster's Alertmanager was not read before FLUO's config was put in")
        token = self.run_dir.name
        am = amconfig_crd.with_run_token(am, token)
        if way.kind == "AlertmanagerConfig":
            cr = amconfig_crd.alertmanager_config(am, CR_NAME, way.namespace, way.alertmanager.config_selector or {})
            keys = amconfig_crd.routing_keys_secret(am, CR_NAME, way.namespace)
            # the CA the CR's email configs reference: the workload's namespace has it (with the sink's key pair)
            own = way.namespace == self.workload_namespace
            ca = [] if own else [manifests.sink_tls_secret(way.namespace, {"ca.pem": ca_pem})]
            path = values.dump_all([*ca, *([keys] if keys else []), cr], self.run_dir / "manifests" / "alerting.yaml")
            self._record(self.kubectl("delete", "--filename", str(path), "--ignore-not-found"))
            apply(path)
        else:
            self._swap(yaml_text(amconfig_crd.with_inline_ca(am, ca_pem)), recorder_host)
        self._wait_for_config(token)  # the run's id: in its own route's matcher, and nowhere else
        # offline, the rules go first (the record runs last-recorded first): FLUO's Heartbeat must
        # not fire into the team's routes once they are back
        self._record(self.kubectl("delete", "prometheusrule", values.RULE_NAME, *self._in_workload_ns()))

    def _in_workload_ns(self) -> tuple[str, ...]:
        return ("--namespace", self.workload_namespace, "--ignore-not-found")

    def _patch_file(self, name: str, config_b64: str) -> Path:
        """A merge patch of the Secret's alertmanager.yaml, in a 0600 file (its content stays off command lines)."""
        path = self.run_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps({"data": {"alertmanager.yaml": config_b64}}))
        return path

    @property
    def _am(self) -> AlertmanagerObject:
        if self.way is None:
            raise ConfigError("the cluster's Alertmanager was not read before FLUO's config was put in")
        return self.way.alertmanager

    def _patch(self, patch: Path) -> list[str]:
        am = self._am
        merge = ("--type", "merge", "--patch-file", str(patch))
        return self.kubectl("patch", "secret", am.config_secret, "--namespace", am.namespace, *merge)

    def _swap(self, fluo_config: str, recorder_host: str) -> None:
        """The Secret way: the team's config saved (0600) and its give-back recorded, then FLUO's patched in."""
        am = self._am
        jsonpath = "jsonpath={.data.alertmanager\\.yaml}"
        get = self.kubectl("get", "secret", am.config_secret, "--namespace", am.namespace, "--output", jsonpath)
        original = self.runner.run(get, timeout=TIMEOUTS.kube_get).stdout.strip()
        if not original:
            raise ConfigError(
                f"Secret {am.namespace}/{am.config_secret} has no alertmanager.yaml: nothing alertdrill could put "
                "back after the run, so it does not replace it"
            )
        if recorder_host in base64.b64decode(original).decode(errors="replace"):
            raise ConfigError(
                f"Secret {am.namespace}/{am.config_secret} already holds a config of alertdrill's (it names "
                f"{recorder_host}): an earlier run's was not given back; run `alertdrill revert` first"
            )
        self._record(self._patch(self._patch_file("alertmanager.teams.patch.json", original)))
        fluo = self._patch_file("alertmanager.fluo.patch.json", base64.b64encode(fluo_config.encode()).decode())
        self.runner.run(self._patch(fluo), timeout=TIMEOUTS.kube_apply)

    def _record(self, argv: list[str]) -> None:
        """Another give-back command, recorded before what it undoes happens. Pinned to this run's
        cluster (`pinned`): a later `alertdrill revert` must not reach another current context."""
        self.give_back.append(self.pinned(argv))
        if self.planning:  # a plan's commands are never left for a revert to run
            return
        record = self.run_dir / "faults" / RESTORE_RECORD
        record.parent.mkdir(parents=True, exist_ok=True)
        offline = undo_to_json(CommandsUndo(tuple(tuple(a) for a in reversed(self.give_back))))
        doc = {"name": "the team's Alertmanager config", "injected_at": 0, "offline": offline, "must_succeed": True}
        record.write_text(json.dumps(doc))

    def pinned(self, argv: list[str]) -> list[str]:
        """`argv` with the cluster named outright: an absolute --kubeconfig, and --context (the
        current one, asked once, when the run was given none)."""
        out = list(argv)
        if "--kubeconfig" in out:
            i = out.index("--kubeconfig") + 1
            out[i] = str(Path(out[i]).resolve())
        if "--context" not in out:
            if self.context is None and self.planning:
                self.context = "(the current context, read at run time)"
            if self.context is None:
                current = self.runner.run(self.kubectl("config", "current-context"), timeout=TIMEOUTS.kube_get)
                self.context = current.stdout.strip() or "(none)"
            out[1:1] = ["--context", self.context]
        return out

    def _proxy(self, path: str, pod: str | None = None) -> list[str]:
        """An Alertmanager API path through the API server: one replica (`pod`), or any of them."""
        ns = f"/api/v1/namespaces/{self._am.namespace}"
        where = f"{ns}/pods/{pod}:{AM_PORT}" if pod else f"{ns}/services/{OPERATED_SERVICE}"
        return self.kubectl("get", "--raw", f"{where}/proxy{path}")

    def _wait(self, what: str, argv: list[str], done: Callable[[str], bool], timeout_s: float) -> bool:
        if self.planning:
            self.runner.run(argv, timeout=TIMEOUTS.kube_get, check=False)
            return True
        log.info("waiting for %s (up to %.0fs)", what, timeout_s)
        try:
            result = poll_command(self.runner, argv, lambda d: d.returncode == 0 and done(d.stdout), timeout_s)
        except CommandFailed as exc:  # a hung kubectl: not awaited, said, and what follows still runs
            log.warning("%s: %s", what, exc)
            return False
        return result is not None

    def _wait_for_config(self, token: str) -> None:
        """Every replica runs this run's config (its status shows the run's own route): the operator
        and its config reloader take up to a few minutes (a Secret's volume syncs)."""
        timeout = TIMEOUTS.kube_am_config_loaded
        for pod in self._am.pods():
            status = self._proxy("/api/v2/status", pod)
            if not self._wait(f"{pod} to run FLUO's config", status, lambda out: token in out, timeout):
                raise ConfigError(
                    f"Alertmanager {self._am.where} ({pod}) does not run this run's config {timeout:.0f}s after it "
                    "went in (no route of this run in its /api/v2/status): see the operator's log"
                )

    def _run_failed(self, argv: list[str]) -> bool:
        try:
            return self.runner.run(argv, timeout=TIMEOUTS.kube_apply, check=False).returncode != 0
        except CommandFailed as exc:
            log.error("%s", exc)
            return True

    # -- out --------------------------------------------------------------------------------
    def give_back_after_rules(self, alertnames: frozenset[str]) -> None:
        """FLUO's rules out, its alerts gone from the Alertmanager (bounded), then the team's config
        back; what fails stays recorded for `alertdrill revert`, and is said."""
        if not self.give_back:
            return
        self._run_failed(self.kubectl("delete", "prometheusrule", values.RULE_NAME, *self._in_workload_ns()))

        def none_of_fluos(out: str) -> bool:
            try:
                alerts = json.loads(out or "[]")
            except ValueError:
                return False
            ours = self.alert_labels().items()
            return not any(
                a.get("labels", {}).get("alertname") in alertnames and ours <= a.get("labels", {}).items()
                for a in alerts
            )

        alerts, timeout = self._proxy("/api/v2/alerts"), TIMEOUTS.kube_am_alerts_gone
        if not self._wait("FLUO's alerts to leave the Alertmanager", alerts, none_of_fluos, timeout):
            log.warning("FLUO's alerts are still in the Alertmanager; giving its config back anyway")
        failed = [a for a in reversed(self.give_back) if self._run_failed(a)]
        if failed:
            log.error(
                "the team's Alertmanager config was NOT given back (%s); run `alertdrill revert`", " ".join(failed[0])
            )
            return
        (self.run_dir / "faults" / RESTORE_RECORD).unlink(missing_ok=True)
        log.info("the cluster's Alertmanager config is the team's again (%s)", OPT_IN)


def existing_monitoring(settings: Settings, runner: Runner, kubectl: Callable[..., list[str]]) -> ExistingMonitoring:
    """What `--install` allows on this cluster; `alertmanager-config` needs the workload (its recorder)."""
    install = settings.kube.install
    if OPT_IN in install and "workload" not in install:
        raise ConfigError(
            f"--install {','.join(install)}: {OPT_IN} routes FLUO's alerts to alertdrill's recorder, which comes "
            f"with the workload; use --install workload,{OPT_IN}"
        )
    return ExistingMonitoring(
        runner, kubectl, settings.kube.namespace, OPT_IN in install, settings.bin_path, settings.keep_stack
    )
