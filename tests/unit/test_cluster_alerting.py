"""An existing cluster must page (issue 30, wrong verdict 5): FLUO's Alertmanager config reaches
the cluster's Alertmanager the operator's way, only when allowed, and the team's config is given
back. The operator's rendering is checked with the real amtool; the cluster itself is a recording
runner (no Kubernetes API here: `mocked cluster` in the names)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.errors import ConfigError
from alertdrill.runtime.tools import run_tool
from alertdrill.runtime.yamlfile import dump_yaml, load_yaml
from alertdrill.settings import Settings
from alertdrill.stack.base import Timing
from alertdrill.stack.kube import amconfig_crd
from alertdrill.stack.kube.cluster_alerting import TEAM_STAND_IN, choose_way, parse_alertmanager_list, prove_routes
from alertdrill.stack.kube.existing_cluster import RESTORE_RECORD, ExistingMonitoring
from alertdrill.stack.kube.operator import parse_prometheus_list
from alertdrill.stack.kube.plan import PlanRunner, plan_kube_run
from alertdrill.stack.kube.tools import Completed

REPO = Path(__file__).resolve().parents[2]


def _alertmanagers(**spec: Any) -> str:
    return json.dumps({"items": [{"metadata": {"name": "main", "namespace": "monitoring"}, "spec": spec}]})


def test_the_way_in_is_the_one_the_alertmanager_object_says() -> None:
    selects = parse_alertmanager_list(_alertmanagers(alertmanagerConfigSelector={"matchLabels": {"team": "x"}}))
    way = choose_way(selects, "alertdrill", allowed=True)
    assert (way.kind, way.namespace, way.namespace_matcher) == ("AlertmanagerConfig", "monitoring", True)
    everywhere = _alertmanagers(
        alertmanagerConfigSelector={}, alertmanagerConfigNamespaceSelector={"matchLabels": {"a": "b"}}
    )
    way = choose_way(parse_alertmanager_list(everywhere), "alertdrill", allowed=True)
    assert (way.namespace, way.namespace_labels) == ("alertdrill", {"a": "b"})
    no_matcher = _alertmanagers(alertmanagerConfigSelector={}, alertmanagerConfigMatcherStrategy={"type": "None"})
    assert not choose_way(parse_alertmanager_list(no_matcher), "alertdrill", allowed=True).namespace_matcher
    own = _alertmanagers(
        alertmanagerConfigSelector={},
        alertmanagerConfigMatcherStrategy={"type": "OnNamespaceExceptForAlertmanagerNamespace"},
    )
    assert not choose_way(parse_alertmanager_list(own), "alertdrill", allowed=True).namespace_matcher
    secret = choose_way(parse_alertmanager_list(_alertmanagers(configSecret="am-config")), "alertdrill", allowed=True)
    assert (secret.kind, secret.alertmanager.config_secret) == ("Secret", "am-config")


def test_without_the_opt_in_the_teams_alertmanager_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError, match=r"only when told\. Pass --install workload,alertmanager-config") as err:
        choose_way(parse_alertmanager_list(_alertmanagers()), "alertdrill", allowed=False)
    assert "\n" not in str(err.value) and "config Secret monitoring/alertmanager-main" in str(err.value)
    with pytest.raises(ConfigError, match="no prometheus-operator Alertmanager object"):
        parse_alertmanager_list('{"items": []}')


def _fluo_redirected(tmp_path: Path) -> dict[str, Any]:
    """FLUO's Alertmanager config as a cluster run redirects it (the recorder, the run's CA)."""
    settings = Settings.resolve({"stack": "cluster", "state_dir": str(tmp_path)}, env={})
    plan, stack = plan_kube_run(settings, MonitoringConfig.load(REPO / "monitoring"))
    return dict(load_yaml(stack.run_dir / "config" / "alertmanager.yml"))


def test_the_operators_namespace_matcher_loses_absent_alerts_unless_they_carry_the_namespace_real_amtool(
    tmp_path: Path,
) -> None:
    """FLUO's `absent(up{job="bff"})` fires ServiceDown with no namespace label; under the matcher
    the operator adds, the real amtool routes it to the team's root, not FLUO's on-call. With the
    label alertdrill's rules carry on that path, every routing test case reaches FLUO's receivers."""
    am = _fluo_redirected(tmp_path)
    rendered = tmp_path / "rendered.yml"
    dump_yaml(amconfig_crd.operator_rendered(TEAM_STAND_IN, am, "alertdrill", "alertdrill-fluo", True), rendered)
    absent = ["alertname=ServiceDown", "job=bff", "severity=critical", "priority=P0"]
    lost = run_tool("amtool", ["config", "routes", "test", f"--config.file={rendered}", *absent])
    assert lost.stdout.strip() == "the-teams-own-root", lost.stdout
    found = run_tool(
        "amtool", ["config", "routes", "test", f"--config.file={rendered}", *absent, "namespace=alertdrill"]
    )
    assert found.stdout.strip().split(",")[0] == "alertdrill/alertdrill-fluo/critical-oncall", found.stdout
    way = choose_way(parse_alertmanager_list(_alertmanagers(alertmanagerConfigSelector={})), "alertdrill", True)
    (tmp_path / "config").mkdir(exist_ok=True)
    assert prove_routes(way, am, REPO / "monitoring/tests/routing.test.yml", tmp_path, None) == []


def test_the_crd_carries_fluos_routes_receivers_and_inhibitions_and_refuses_what_it_cannot(tmp_path: Path) -> None:
    am = _fluo_redirected(tmp_path)
    cr = amconfig_crd.alertmanager_config(am, "alertdrill-fluo", "alertdrill", {"team": "x"})
    spec = cr["spec"]
    assert cr["metadata"]["labels"]["team"] == "x" and spec["route"]["receiver"] == "oncall-primary"
    critical = [
        r
        for r in spec["route"]["routes"]
        if r.get("matchers") == [{"name": "severity", "matchType": "=", "value": "critical"}]
    ]
    assert [r["groupWait"] for r in critical] == ["1s", "30s", "1m30s", "3m"]  # SOP-004's timeline, scaled
    oncall = next(r for r in spec["receivers"] if r["name"] == "critical-oncall")["emailConfigs"][0]
    assert oncall["to"] == "on-call-engineer@fluo.com" and oncall["smarthost"].startswith("recorder.alertdrill.svc:")
    assert oncall["tlsConfig"]["ca"] == {"secret": {"name": "alertdrill-sink-tls", "key": "ca.pem"}}
    assert oncall["from"] == "alertmanager@fluo.com" and oncall["requireTLS"] is True  # the globals, inlined
    assert spec["inhibitRules"][0]["sourceMatch"] == [
        {"name": "alertname", "matchType": "=", "value": "KubernetesNodeDown"}
    ]
    with pytest.raises(
        ConfigError, match=r"receivers\[0\]: slack_configs cannot be expressed as an AlertmanagerConfig"
    ):
        amconfig_crd.alertmanager_config({**am, "receivers": [{"name": "s", "slack_configs": [{}]}]}, "n", "ns", {})


class AlertmanagerRunner(PlanRunner):
    """A recording runner for a Secret-way Alertmanager: it runs what was patched in only from the
    third look at its status on, holds FLUO's Heartbeat until its rule is deleted, and notes whether
    the give-back was on record when FLUO's config went in; `fail` fails the commands naming it."""

    def __init__(self, record: Path, fail: str = "") -> None:
        super().__init__()
        self.fail, self.rule_deleted, self.record = fail, False, record
        self.running, self.looks, self.recorded_first = "", 0, False

    def run(self, argv: Any, timeout: float = 0, check: bool = True, stdin: str | None = None) -> Completed:
        done = super().run(argv, timeout, check, stdin)
        line = " ".join(done.argv)
        if "delete prometheusrule" in line:
            self.rule_deleted = True
        if "alertmanager.fluo.patch.json" in line:
            self.recorded_first = self.record.exists()
            patch = json.loads(Path(line.split("--patch-file ")[1]).read_text())
            self.running = base64.b64decode(patch["data"]["alertmanager.yaml"]).decode()
        if line.endswith("/api/v2/status"):
            self.looks += 1
            running = self.running if self.looks >= 3 else "(the team's)"
            return Completed(done.argv, 0, json.dumps({"config": {"original": running}}), "")
        if line.endswith("/api/v2/alerts"):
            return Completed(
                done.argv, 0, "[]" if self.rule_deleted else '[{"labels": {"alertname": "Heartbeat"}}]', ""
            )
        return Completed(done.argv, 1 if self.fail and self.fail in line else 0, done.stdout, "")


SMALL = {"route": {"receiver": "r", "group_by": ["alertname"]}, "receivers": [{"name": "r"}]}


def _secret_way(tmp_path: Path, runner: PlanRunner) -> ExistingMonitoring:
    kubectl = lambda *a: ["kubectl", *a]  # noqa: E731
    existing = ExistingMonitoring(runner, kubectl, "alertdrill", True, run_dir=tmp_path)
    existing.way = choose_way(parse_alertmanager_list(_alertmanagers()), "alertdrill", allowed=True)
    return existing


def test_the_secret_way_saves_the_teams_config_and_gives_it_back_after_fluos_alerts_left_mocked_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The give-back is recorded before FLUO's config goes in, pinned to the cluster, reads the
    team's config from a 0600 file (never a command line); the rules go in only once the
    Alertmanager runs this run's config, and the give-back runs after they left, rules first."""
    from alertdrill.stack.kube import tools

    monkeypatch.setattr(tools.time, "sleep", lambda s: None)
    record_path = tmp_path / "faults" / RESTORE_RECORD
    runner = AlertmanagerRunner(record_path)
    existing = _secret_way(tmp_path, runner)
    existing.put_in(SMALL, "CA", lambda p: None, "recorder.alertdrill.svc")
    assert runner.recorded_first and runner.looks == 3  # waited until this run's own config ran
    assert runner.running.startswith("route:\n  receiver: r\n  group_by:\n  - alertname\n  routes:\n  - matchers:\n")
    record = json.loads(record_path.read_text())
    teams = tmp_path / "alertmanager.teams.patch.json"
    offline = record["offline"]["argv"]
    assert "delete prometheusrule fluo" in " ".join(offline[0]) and offline[1][-1] == str(teams)  # rules out first
    assert record["must_succeed"] and "--context" in offline[1] and oct(teams.stat().st_mode)[-3:] == "600"
    original = json.loads(teams.read_text())["data"]["alertmanager.yaml"]
    assert base64.b64decode(original).startswith(b"(its current alertmanager.yaml")
    assert not any(original in " ".join(c) for c in runner.calls)  # the team's config on no command line
    existing.give_back_after_rules(frozenset({"Heartbeat"}))
    lines = [" ".join(c) for c in runner.calls]
    deleted = lines.index(next(x for x in lines if "delete prometheusrule fluo" in x))
    assert deleted < len(lines) - 1 and lines[-1].endswith(f"--patch-file {teams}")
    assert not record_path.exists()


def test_a_give_back_that_fails_stays_recorded_for_revert_mocked_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alertdrill.stack.kube import tools

    monkeypatch.setattr(tools.time, "sleep", lambda s: None)
    record_path = tmp_path / "faults" / RESTORE_RECORD
    existing = _secret_way(tmp_path, AlertmanagerRunner(record_path, fail="alertmanager.teams.patch.json"))
    existing.put_in(SMALL, "CA", lambda p: None, "recorder.alertdrill.svc")
    existing.give_back_after_rules(frozenset({"Heartbeat"}))
    assert record_path.exists()  # `alertdrill revert` can still give it back


def test_revert_keeps_a_give_back_that_failed_and_drops_one_that_ran(tmp_path: Path) -> None:
    """A crashed run's record of the team's config is never dropped unreverted (an unreachable
    cluster), while an ordinary fault record is (its target may be gone for good)."""
    from alertdrill.faults.ledger import revert_offline

    faults = tmp_path / "faults"
    faults.mkdir()
    failing = {"kind": "commands", "argv": [["false"]]}
    (faults / RESTORE_RECORD).write_text(json.dumps({"name": "team", "offline": failing, "must_succeed": True}))
    (faults / "001.json").write_text(json.dumps({"name": "kill_workload(bff)", "offline": failing}))
    lines = revert_offline(tmp_path)
    assert (faults / RESTORE_RECORD).exists() and not (faults / "001.json").exists()
    assert any("FAILED; kept for the next `alertdrill revert`" in line for line in lines)
    passing = {"kind": "commands", "argv": [["true"]]}
    (faults / RESTORE_RECORD).write_text(json.dumps({"name": "team", "offline": passing, "must_succeed": True}))
    revert_offline(tmp_path)
    assert not (faults / RESTORE_RECORD).exists()


def test_keep_stack_is_refused_where_fluos_config_would_stay_in_the_teams_alertmanager(tmp_path: Path) -> None:
    existing = _secret_way(tmp_path, PlanRunner())
    existing.keep_stack = True
    existing.read = lambda: None  # type: ignore[method-assign]
    existing.selection = parse_prometheus_list(json.dumps({"items": [{"metadata": {"name": "p", "namespace": "m"},
        "spec": {"ruleSelector": {}, "serviceMonitorSelector": {}, "podMonitorSelector": {}}}]}))  # fmt: skip
    with pytest.raises(
        ConfigError, match="--keep-stack would leave Alertmanager monitoring/main running FLUO's config"
    ):
        existing.follow(Timing.of(Settings.resolve({"stack": "cluster"}, env={})), {}, None, tmp_path)


def test_an_existing_cluster_gets_fluos_alertmanager_config_and_the_team_gets_its_own_back_mocked_cluster(
    tmp_path: Path,
) -> None:
    """The plan of `--stack cluster`: FLUO's config goes in as an AlertmanagerConfig (before the
    fix only a PrometheusRule was applied: nothing could page), its rules carry the namespace the
    operator's matcher asks for, and the teardown deletes what went in."""
    settings = Settings.resolve({"stack": "cluster", "state_dir": str(tmp_path)}, env={})
    plan, stack = plan_kube_run(settings, MonitoringConfig.load(REPO / "monitoring"))
    commands = [" ".join(c) for c in plan.commands]
    alerting = stack.run_dir / "manifests" / "alerting.yaml"
    assert any(c.endswith(f"--filename {alerting}") and "apply" in c for c in commands), commands
    assert any("delete" in " ".join(c) and str(alerting) in " ".join(c) for c in plan.teardown)
    rules = load_yaml(stack.run_dir / "manifests" / "rules.yaml")
    alerts = [r for g in rules["spec"]["groups"] for r in g["rules"] if "alert" in r]
    assert alerts and all(r["labels"]["namespace"] == "alertdrill" for r in alerts)
    assert any("put back at teardown" in line for line in plan.alerting)
    assert any(line.startswith("out, at teardown:") and "--patch-file" in line for line in plan.alerting)
    assert any(line.startswith("without --install ...,alertmanager-config a run stops here") for line in plan.alerting)
    order = [" ".join(c) for c in plan.commands]
    applied = next(i for i, c in enumerate(order) if c.endswith(str(alerting)))
    waited = next(i for i, c in enumerate(order) if c.endswith("/api/v2/status"))
    ruled = next(i for i, c in enumerate(order) if c.endswith(str(stack.run_dir / "manifests" / "rules.yaml")))
    assert applied < waited < ruled  # FLUO's config in and running before its rules can fire
    down = [" ".join(c) for c in plan.teardown]
    rules_out = next(i for i, c in enumerate(down) if "delete prometheusrule fluo" in c)
    assert rules_out < next(i for i, c in enumerate(down) if str(alerting) in c)  # at teardown the rules first


def test_a_dry_run_leaves_no_give_back_for_a_revert_to_run(tmp_path: Path) -> None:
    settings = Settings.resolve({"stack": "cluster", "state_dir": str(tmp_path)}, env={})
    plan_kube_run(settings, MonitoringConfig.load(REPO / "monitoring"))
    assert not list(tmp_path.rglob(RESTORE_RECORD))
