"""`--dry-run` for the kind and cluster stacks: the whole install as a plan, touching nothing.

The stack runs its real install path with a runner that records each command line instead of
running it, so the plan cannot drift from what a run does. Needs none of kind, helm, kubectl or
docker. The values and manifests it would apply are written to the run directory for reading.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.errors import ConfigError
from alertdrill.faults.injection import Injection
from alertdrill.notify.heartbeat import heartbeat_spec
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.settings import Settings
from alertdrill.stack.base import Timing
from alertdrill.stack.kube import manifests
from alertdrill.stack.kube.cluster_alerting import OPT_IN, AlertmanagerObject, choose_way, parse_alertmanager_list
from alertdrill.stack.kube.existing_cluster import ExistingMonitoring
from alertdrill.stack.kube.operator import NAMESPACE_SELECTORS
from alertdrill.stack.kube.stack import KubeStack
from alertdrill.stack.kube.tools import Completed

#: What a dry run assumes an existing cluster's Prometheus selects (read from it on a real run).
ASSUMED_PROMETHEUS = {
    "items": [
        {
            "metadata": {"name": "(read from the cluster at run time)", "namespace": "?"},
            "spec": {
                "ruleSelector": {},
                "serviceMonitorSelector": {},
                "podMonitorSelector": {},
                **{key: {} for key in NAMESPACE_SELECTORS},
            },
        }
    ]
}
#: ...and its Alertmanager: one that selects every AlertmanagerConfig (kube-prometheus-stack's default).
ASSUMED_ALERTMANAGER = {
    "items": [
        {
            "metadata": {"name": "main", "namespace": "monitoring"},
            "spec": {"alertmanagerConfigSelector": {}, "alertmanagerConfigNamespaceSelector": {}},
        }
    ]
}


@dataclass
class PlanRunner:
    """A Runner that records every command and answers as a fresh, willing cluster would."""

    calls: list[tuple[str, ...]] = field(default_factory=list)

    def run(
        self, argv: Any, timeout: float = TIMEOUTS.kube_command, check: bool = True, stdin: str | None = None
    ) -> Completed:
        cmd = tuple(str(a) for a in argv)
        self.calls.append(cmd)
        out = json.dumps(ASSUMED_PROMETHEUS) if "prometheuses" in cmd else ""
        out = json.dumps(ASSUMED_ALERTMANAGER) if "alertmanagers" in cmd else out
        if cmd[-1:] == ("jsonpath={.data.alertmanager\\.yaml}",):
            out = base64.b64encode(b"(its current alertmanager.yaml, read at run time)").decode()
        return Completed(cmd, 0, out, "")


@dataclass(frozen=True)
class KubePlan:
    commands: list[tuple[str, ...]]
    teardown: list[tuple[str, ...]]
    files: list[Path]
    urls: dict[str, str]
    notes: list[str]
    #: What each pipeline fault (features/pipeline/) runs: inject, then heal.
    pipeline_faults: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    #: The heartbeat's route and the service the in-cluster recorder plays (issue 26).
    heartbeat: list[str] = field(default_factory=list)
    #: What a runbook drill (features/runbooks/) runs after the page, per runbook (issue 31).
    runbooks: dict[str, list[str]] = field(default_factory=dict)
    #: How FLUO's Alertmanager config reaches an existing cluster's Alertmanager, and goes (issue 30).
    alerting: list[str] = field(default_factory=list)


def plan_pipeline_faults(stack: KubeStack, runner: PlanRunner) -> dict[str, list[tuple[str, ...]]]:
    """Each pipeline fault applied and healed through the recording runner: the lines a drill runs."""
    faults = stack.faults()
    cases: dict[str, Callable[[], Injection]] = {
        "kill_alertmanager(replica 0)": lambda: faults.kill_alertmanager(0),
        "kill_alertmanager(last replica, held down)": lambda: faults.kill_alertmanager(-1),
        "kill_every_alertmanager": faults.kill_every_alertmanager,
        "kill_prometheus": faults.kill_prometheus,
        "fail_mail_relay(4xx)": lambda: faults.fail_mail_relay("4xx"),
        "fail_mail_relay(refuse)": lambda: faults.fail_mail_relay("refuse"),
        "cut_alertmanager_link": faults.cut_alertmanager_link,
        "break_alertmanager_config": lambda: faults.break_alertmanager_config(broken=True),
    }
    out: dict[str, list[tuple[str, ...]]] = {}
    for name, inject in cases.items():
        first = len(runner.calls)
        inject().revert()
        out[name] = runner.calls[first:]
    return out


def plan_kube_run(settings: Settings, monitoring: MonitoringConfig) -> tuple[KubePlan, KubeStack]:
    """Install through a recording runner, then tear down the same way; nothing is executed."""
    runner = PlanRunner()
    stack = KubeStack(settings, monitoring, runner=runner)
    alerting = _refusal(stack)
    with stack._exit:  # the teardown registered by install() is recorded as well
        stack.install()
        installed = len(runner.calls)
    notes = list(stack.scale_notes)
    if stack.existing is not None and stack.existing.selection is not None:
        notes.append(
            "the cluster's Prometheus selectors and evaluation interval are read from it at run time "
            "(`kubectl get prometheuses -A -o json`); this plan assumed it selects everything"
        )
    files = sorted(p for p in stack.run_dir.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))
    urls = {}
    if stack.is_kind:
        from alertdrill.stack.kube.kind_config import kind_host_ports

        urls = {k: f"http://127.0.0.1:{v}" for k, v in kind_host_ports(settings.kube.kind_config).items()}
    teardown = runner.calls[installed:]
    faults = plan_pipeline_faults(stack, runner) if stack.is_kind else {}
    if not stack.is_kind:
        notes.append(
            "pipeline faults (features/pipeline/) run on kind or the local stack only, never on a cluster's "
            "own Prometheus and Alertmanager"
        )
    plan = KubePlan(
        runner.calls[:installed],
        teardown,
        files,
        urls,
        notes,
        faults,
        heartbeat=_heartbeat_lines(stack),
        runbooks=plan_runbooks(stack, runner),
        alerting=alerting + plan_alerting(stack, runner),
    )
    return plan, stack


def _refusal(stack: KubeStack) -> list[str]:
    """A run without the opt-in stops before installing anything: say so, then plan as if given."""
    if stack.existing is None:
        return []
    stack.existing.planning = True  # amtool and the waits are the run's
    if stack.existing.allowed:
        return []
    stack.existing.allowed = True
    am = parse_alertmanager_list(json.dumps(ASSUMED_ALERTMANAGER))
    try:
        choose_way(am, stack.kube.namespace, allowed=False)
    except ConfigError as exc:
        return [f"without --install ...,{OPT_IN} a run stops here, before installing anything: {exc}", ""]
    return []


def plan_alerting(stack: KubeStack, runner: PlanRunner) -> list[str]:
    """Both ways in, as the Alertmanager object would choose: the assumed one (its lines are in the
    commands and teardown above) and the config Secret way, planned through the recording runner."""
    existing = stack.existing
    if existing is None or existing.way is None:
        return []
    way = existing.way
    lines = [f"assumed (the chart's defaults; read at run time): {way.describe()}"]
    if way.kind == "AlertmanagerConfig":
        rendered = stack.run_dir / "config" / "alertmanager.operator-rendered.yml"
        lines += [
            f"in: kubectl apply of {stack.run_dir / 'manifests' / 'alerting.yaml'} (AlertmanagerConfig, its CA "
            "and routing-key Secrets); out: kubectl delete of the same file at teardown",
            f"at run time, before anything is applied: every routing test case asked of the real amtool on the "
            f"config the operator would render ({rendered})",
        ]
    am = way.alertmanager
    secret_only = AlertmanagerObject(am.name, am.namespace, None, None, "", f"alertmanager-{am.name}")
    other = ExistingMonitoring(runner, stack._kubectl, stack.kube.namespace, True, planning=True)
    other.run_dir, other.way = stack.run_dir / "secret-way", choose_way(secret_only, stack.kube.namespace, True)
    first = len(runner.calls)
    other._swap("(FLUO's config, redirected)", manifests.recorder_host(stack.kube))
    other._wait_for_config(other.run_dir.name)
    lines += ["", f"where the Alertmanager selects no AlertmanagerConfig: {other.way.describe()}"]
    lines += ["in: " + " ".join(c) for c in runner.calls[first:]]
    first = len(runner.calls)
    other.give_back_after_rules(frozenset())
    lines += ["out, at teardown: " + " ".join(c) for c in runner.calls[first:]]
    return lines


def plan_runbooks(stack: KubeStack, runner: PlanRunner) -> dict[str, list[str]]:
    """Each runbook of the team (runbooks.yml) through the on-call's shell with the recording
    runner: how kubectl is pointed at the drill's namespace, how the broken pod is found, then every
    command as written (blanks the run fills from the cluster left as they are)."""
    runbooks = stack.monitoring.runbooks
    if runbooks is None:
        return {}
    shell = stack.runbook_shell()
    first = len(runner.calls)
    kubeconfig = shell.kubeconfig()
    out: dict[str, list[str]] = {"the on-call's shell, once per drill": [" ".join(c) for c in runner.calls[first:]]}
    for rb in runbooks.runbooks:
        first = len(runner.calls)
        values = shell.placeholders("[deployment-name]")
        lines = [
            " ".join(c) + "  # [pod-name]: its pod that is not ready, [node-name]: that pod's node"
            for c in runner.calls[first:]
        ]
        lines.append(f"then each command as `env KUBECONFIG={kubeconfig} bash -c '<command>'`:")
        for step in rb.steps:
            role = " (the remedy: run as the rollback)" if step.remedy else ""
            role += " (health check: until it passes, within 5 minutes)" if step.health_check else ""
            lines.append(f"  {runbooks.path.name}:{step.line}: {step.filled(values)}{role}")
        out[f"{rb.name} (alerts: {', '.join(rb.alerts) or 'none'})"] = lines
    return out


def _heartbeat_lines(stack: KubeStack) -> list[str]:
    """Where the team's heartbeat goes and who plays its service (policy.yml meta_monitoring)."""
    spec = heartbeat_spec(stack.monitoring.meta, stack.timing.time_scale)
    if spec is None:
        return []
    url = f"{manifests.recorder_url_in_cluster(stack.kube)}/receiver/{spec.receiver}/webhook-0"
    return [
        f"route: alert {spec.alert} -> receiver {spec.receiver} -> {url} (its ping URL, redirected)",
        f"service: the recorder pod, --heartbeat {spec.to_arg()}",
        f"pages {', '.join(spec.notify) or 'nobody'} when no ping came for {spec.period_s:g}s "
        f"+ grace {spec.grace_s:g}s",
    ]


def render_plan(plan: KubePlan) -> str:
    lines = ["# commands, in order"]
    lines += [" ".join(c) for c in plan.commands]
    lines += ["", "# teardown (unless --keep-stack)"] + [" ".join(c) for c in plan.teardown or [("(none)",)]]
    lines += ["", "# values and manifests it would apply (written here to read)"] + [str(p) for p in plan.files]
    if plan.urls:
        lines += ["", "# where the runner reaches the cluster (kind-config.yaml)"]
        lines += [f"{name:13} {url}" for name, url in plan.urls.items()]
    if plan.pipeline_faults:
        lines += ["", "# pipeline faults (features/pipeline/): each injected, then healed"]
        for name, calls in plan.pipeline_faults.items():
            lines += [f"## {name}"] + [" ".join(c) for c in calls]
    if plan.heartbeat:
        lines += ["", "# heartbeat (policy.yml meta_monitoring): who notices when alerting is down"] + plan.heartbeat
    if plan.runbooks:
        lines += ["", "# runbooks (runbooks.yml): what a runbook drill runs after the page"]
        for name, steps in plan.runbooks.items():
            lines += [f"## {name}", *steps]
    if plan.alerting:
        lines += ["", "# FLUO's Alertmanager config on the cluster's Alertmanager: in, and given back"] + plan.alerting
    if plan.notes:
        lines += ["", "# notes"] + plan.notes
    return "\n".join(lines)


def plan_text(settings: Settings, monitoring: MonitoringConfig) -> tuple[str, Timing]:
    """The registry's planner for kind and cluster: the plan as text, and the timing it runs at."""
    plan, stack = plan_kube_run(settings, monitoring)
    return render_plan(plan), stack.timing
