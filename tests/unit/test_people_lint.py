"""The offline people checks: SOP contacts and timers, templates rendered by the real amtool,
inhibition evaluated as Alertmanager does, and the mutants that break each of them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from alertdrill.check.mutants import config_mutants
from alertdrill.check.people import contact_findings, load_contacts, template_findings
from alertdrill.check.routetests import InhibitCase, run_inhibit_case
from alertdrill.config import routing
from alertdrill.config.ruleset import AlertRule
from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml

REPO = Path(__file__).resolve().parents[2]
AM_PATH = REPO / "monitoring" / "alertmanager" / "alertmanager.yml"
POLICY = load_yaml(REPO / "monitoring" / "policy.yml")
RULE = AlertRule("ServiceDown", "up == 0", 30.0, {"severity": "critical", "priority": "P0"},
                 {"summary": "{{ $labels.job }} down", "runbook_url": "https://rb/sd"})  # fmt: skip


@pytest.fixture
def am() -> dict[str, Any]:
    return copy.deepcopy(routing.load_alertmanager_config(AM_PATH))


def _contacts() -> dict[str, Any]:
    return load_contacts(POLICY, "policy.yml")


def _receiver(am: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in am["receivers"] if r["name"] == name)


def test_fluo_config_emails_exactly_the_sop_contacts_on_its_timeline(am: dict[str, Any]) -> None:
    assert contact_findings(am, "am.yml", _contacts()) == []


def test_a_mistyped_address_is_two_findings_naming_receiver_and_fix(am: dict[str, Any]) -> None:
    _receiver(am, "high-team-lead")["email_configs"][0]["to"] = "team-lead@fluo.co"
    found = [str(f) for f in contact_findings(am, "am.yml", _contacts())]
    assert any("SOP contact team-lead@fluo.com is never emailed for severity high" in f for f in found)
    assert any("receiver 'high-team-lead': emails team-lead@fluo.co, not an SOP contact" in f for f in found)


def test_p1_fallback_paged_at_once_is_an_escalation_finding(am: dict[str, Any]) -> None:
    """SOP-004's P1 fallback read as a second primary (the team lead paged with the on-call)."""
    fallback = next(r for r in am["route"]["routes"] if r["receiver"] == "high-team-lead")
    fallback.pop("group_wait")
    found = [str(f) for f in contact_findings(am, "am.yml", _contacts())]
    assert found == [
        "am.yml: receiver 'high-team-lead': emails team-lead@fluo.com after 30s (its route's group_wait); "
        "the SOP says after 15m for high; fix: set group_wait: 15m on that route"
    ]


def test_the_sop_as_first_written_pages_everyone_at_once_and_is_told_so(am: dict[str, Any]) -> None:
    """FLUO's earlier config: all three contacts on one receiver, no escalation delay."""
    am["route"]["routes"] = [
        r
        for r in am["route"]["routes"]
        if r["receiver"] in ("critical-oncall", "high-oncall", "high-team-lead", "medium-oncall")
    ]
    am["route"]["routes"][0].pop("continue")
    _receiver(am, "critical-oncall")["email_configs"] += [{"to": "senior-engineer@fluo.com"},
                                                          {"to": "engineering-manager@fluo.com"}]  # fmt: skip
    found = [str(f) for f in contact_findings(am, "am.yml", _contacts())]
    assert any("emails senior-engineer@fluo.com after 10s" in f and "after 5m" in f for f in found), found
    assert any("engineering-director@fluo.com is never emailed" in f for f in found), found


def test_a_policy_step_must_say_when(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"escalation_policies.critical\[0\] needs 'notify'"):
        load_contacts({"escalation_policies": {"critical": [{"notify": ["a@b"]}]}}, "policy.yml")


def test_templates_render_with_the_real_amtool_and_name_what_is_wrong(am: dict[str, Any]) -> None:
    conf = _receiver(am, "critical-oncall")["email_configs"][0]
    assert template_findings(am, AM_PATH, [RULE], None) == []
    conf["headers"] = {"Subject": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} {{ .CommonLabels.job }}"}
    conf["html"] = '{{ template "email.default.html" . }}'  # Alertmanager's own template: assumed to render
    assert template_findings(am, AM_PATH, [RULE], None) == []
    conf["headers"] = {"Subject": "{{ .CommonAnnotations.summry }}"}
    conf["html"] = '{{ template "fluo.page" . }}'
    found = sorted(str(f) for f in template_findings(am, AM_PATH, [RULE], None))
    assert "email_configs[0].headers.Subject for ServiceDown renders an empty subject" in found[0]
    assert "email_configs[0].html for ServiceDown fails to render" in found[1] and "fluo.page" in found[1]


def test_inhibition_is_evaluated_as_alertmanager_does(am: dict[str, Any]) -> None:
    node = {"alertname": "KubernetesNodeDown", "severity": "critical", "instance": "n1"}
    same = InhibitCase("same", node, {"alertname": "HighLatency", "severity": "high", "instance": "n1"}, True)
    other = InhibitCase("other", node, {"alertname": "HighLatency", "severity": "high", "instance": "n2"}, False)
    assert run_inhibit_case(same, am).ok and run_inhibit_case(other, am).ok
    am["inhibit_rules"][0].pop("equal")
    result = run_inhibit_case(other, am)
    assert not result.ok and "inhibit_rules[0] mutes it, expected paged" in result.problems[0]


def test_people_mutants_break_addresses_templates_timers_and_inhibition(am: dict[str, Any]) -> None:
    by_desc = {m.description: m for m in config_mutants(am)}
    typo = by_desc["email_configs[0] address team-lead@fluo.com -> team-leads@fluo.com"]
    assert _receiver(typo.document, "high-team-lead")["email_configs"][0]["to"] == "team-leads@fluo.com"
    assert "email_configs[0] subject template broken" in by_desc
    assert "group_wait 5m -> 2m30s" in by_desc and "group_wait 30m -> 15m" in by_desc
    assert {"equal dropped", "target_matchers dropped (mutes every alert)"} <= set(by_desc)
    assert "equal" not in by_desc["equal dropped"].document["inhibit_rules"][0]
    assert am == routing.load_alertmanager_config(AM_PATH)  # mutants are copies


def test_accepted_entries_need_a_reason_and_go_stale(tmp_path: Path) -> None:
    from alertdrill.check.accepted import accepting, load_accepted, stale

    (tmp_path / "accepted.yml").write_text("accepted:\n- mutant: 'A: threshold'\n")
    with pytest.raises(ConfigError, match=r"accepted\[0\] needs one of 'mutant' or 'finding'.*and a 'reason'"):
        load_accepted(tmp_path)
    (tmp_path / "accepted.yml").write_text(
        "accepted:\n- {mutant: 'A: threshold', reason: equivalent}\n- {finding: gone, reason: was fixed}\n"
    )
    entries = load_accepted(tmp_path)
    assert accepting(entries, "mutant", "A: threshold 1 -> 2") is entries[0]
    assert accepting(entries, "finding", "A: threshold 1 -> 2") is None  # a mutant entry never hides a finding
    assert stale(entries, "finding") == ["accepted.yml: accepted finding 'gone' matches nothing any more; remove it"]
    assert stale(entries, "mutant") == []


def test_a_layout_file_names_files_and_says_what_is_wrong(tmp_path: Path) -> None:
    from alertdrill.config.layout import load_layout

    (tmp_path / "r.yaml").write_text("groups: []\n")
    (tmp_path / "alertdrill.yml").write_text("rules: ['*.yaml']\ntests: t.yaml\nalertmanager: am.yml\n")
    with pytest.raises(ConfigError, match=r"alertmanager 'am.yml': no such file"):
        load_layout(tmp_path)
    (tmp_path / "am.yml").write_text("route: {receiver: x}\n")
    with pytest.raises(ConfigError, match=r"tests entry 't.yaml': no such file"):
        load_layout(tmp_path)
    (tmp_path / "alertdrill.yml").write_text("rules: ['nothing*.yml']\n")
    with pytest.raises(ConfigError, match=r"'rules' \['nothing\*.yml'\] matches no file"):
        load_layout(tmp_path)
    (tmp_path / "alertdrill.yml").write_text("rules: ['../x.yaml']\n")
    (tmp_path.parent / "x.yaml").write_text("groups: []\n")
    with pytest.raises(ConfigError, match="is outside"):
        load_layout(tmp_path)
    (tmp_path / "alertdrill.yml").write_text("rules: ['*.yaml']\n")
    layout = load_layout(tmp_path)
    assert layout.rules == (tmp_path / "r.yaml",) and layout.rule_tests == () and layout.alertmanager is None
