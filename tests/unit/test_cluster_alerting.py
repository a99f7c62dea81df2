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
    """A recording runner whose Alertmanager runs FLUO's config once it went in, and holds FLUO's
    Heartbeat until its rule is deleted; `fail` makes the commands containing it fail."""

    def __init__(self, fail: str = "") -> None:
        super().__init__()
        self.fail, self.rule_deleted = fail, False

    def run(self, argv: Any, timeout: float = 0, check: bool = True, stdin: str | None = None) -> Completed:
        done = super().run(argv, timeout, check, stdin)
        line = " ".join(done.argv)
        if "delete prometheusrule" in line:
            self.rule_deleted = True
        if line.endswith("/api/v2/status"):
            return Completed(done.argv, 0, '{"config": {"original": "smarthost: recorder.alertdrill.svc:2525"}}', "")
        if line.endswith("/api/v2/alerts"):
            return Completed(
                done.argv, 0, "[]" if self.rule_deleted else '[{"labels": {"alertname": "Heartbeat"}}]', ""
            )
        return Completed(done.argv, 1 if self.fail and self.fail in line else 0, done.stdout, "")


def _secret_way(tmp_path: Path, runner: PlanRunner) -> ExistingMonitoring:
    kubectl = lambda *a: ["kubectl", *a]  # noqa: E731
    existing = ExistingMonitoring(runner, kubectl, "alertdrill", True, run_dir=tmp_path)
    existing.way = choose_way(parse_alertmanager_list(_alertmanagers()), "alertdrill", allowed=True)
    return existing


def test_the_secret_way_saves_the_teams_config_and_gives_it_back_after_fluos_alerts_left_mocked_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The give-back is recorded before FLUO's config goes in, reads the team's config from a 0600
    file (never a command line), and runs only after FLUO's rules are gone and their alerts left."""
    from alertdrill.stack.kube import tools

    monkeypatch.setattr(tools.time, "sleep", lambda s: None)
    runner = AlertmanagerRunner()
    existing = _secret_way(tmp_path, runner)
    existing.put_in(
        {"route": {"receiver": "r"}, "receivers": [{"name": "r"}]}, "CA", lambda p: None, "recorder.alertdrill.svc"
    )
    record = json.loads((tmp_path / "faults" / RESTORE_RECORD).read_text())
    teams = tmp_path / "alertmanager.teams.patch.json"
    assert record["offline"]["argv"][0][-1] == str(teams) and oct(teams.stat().st_mode)[-3:] == "600"
    original = json.loads(teams.read_text())["data"]["alertmanager.yaml"]
    assert base64.b64decode(original).startswith(b"(its current alertmanager.yaml")
    assert not any(original in " ".join(c) for c in runner.calls)  # the team's config on no command line
    fluo = json.loads((tmp_path / "alertmanager.fluo.patch.json").read_text())["data"]["alertmanager.yaml"]
    assert base64.b64decode(fluo) == b"route:\n  receiver: r\nreceivers:\n- name: r\n"
    existing.give_back_after_rules(frozenset({"Heartbeat"}))
    lines = [" ".join(c) for c in runner.calls]
    deleted, restored = lines.index(next(x for x in lines if "delete prometheusrule fluo" in x)), len(lines) - 1
    assert deleted < restored and lines[restored].endswith(f"--patch-file {teams}")
    assert not (tmp_path / "faults" / RESTORE_RECORD).exists()


def test_a_give_back_that_fails_stays_recorded_for_revert_mocked_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alertdrill.stack.kube import tools

    monkeypatch.setattr(tools.time, "sleep", lambda s: None)
    runner = AlertmanagerRunner(fail="alertmanager.teams.patch.json")
    existing = _secret_way(tmp_path, runner)
    existing.put_in(
        {"route": {"receiver": "r"}, "receivers": [{"name": "r"}]}, "CA", lambda p: None, "recorder.alertdrill.svc"
    )
    existing.give_back_after_rules(frozenset({"Heartbeat"}))
    assert (tmp_path / "faults" / RESTORE_RECORD).exists()  # `alertdrill revert` can still give it back


def test_keep_stack_is_refused_where_the_teams_config_would_stay_replaced(tmp_path: Path) -> None:
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
