from pathlib import Path

from alertdrill.check.lint import Catalog, Policy, lint
from alertdrill.config.ruleset import alert_rules, load_rule_file

REPO = Path(__file__).resolve().parents[2]


def _lint(root: Path) -> list:
    rules = alert_rules([load_rule_file(p) for p in sorted((root / "rules").glob("*.yml"))])
    policy = Policy.load(root / "policy.yml")
    return lint(rules, policy, Catalog.load(exporters=policy.exporters))


def test_fluo_rules_are_clean() -> None:
    assert _lint(REPO / "monitoring") == []


def test_sop_rules_as_written_are_flagged_with_file_rule_and_fix() -> None:
    findings = {(f.rule, f.check): f for f in _lint(REPO / "tests" / "fixtures" / "sop004-as-written")}
    backlog = findings[("MessageQueueBacklog", "metric")]
    assert "nats_jetstream_stream_messages is produced by no exporter" in backlog.message
    assert "nats_stream_total_messages" in backlog.fix
    assert backlog.file.endswith("sop004.rules.yml")
    assert "'kubernetes-nodes'" in findings[("KubernetesNodeDown", "job")].message
    assert ("HighErrorRate", "percentage") in findings
    assert "0.01 differs from the SOP's target 0.001" in findings[("HighErrorRate", "threshold")].message
    assert {r for r, c in findings if c == "annotations"} >= {"HighErrorRate", "KubernetesNodeDown"}


def test_severity_priority_mapping_and_missing_labels(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(
        "groups:\n- name: g\n  rules:\n"
        "  - {alert: A, expr: up == 0, labels: {severity: high, priority: P0},"
        " annotations: {summary: s, description: d, runbook_url: u}}\n"
        "  - {alert: B, expr: up == 0, labels: {severity: critical},"
        " annotations: {summary: s, description: d, runbook_url: u}}\n"
    )
    assert _lint(tmp_path) == []  # no policy file: neutral, no team's SOP is applied (issue 15)
    (tmp_path / "policy.yml").write_text("priorities: {P0: critical, P1: high}\n")
    findings = {f.rule: f for f in _lint(tmp_path)}
    assert "the SOP maps P0 to 'critical'" in findings["A"].message
    assert "missing label(s): priority" in findings["B"].message


def test_coverage_fails_an_alert_with_no_test_at_all() -> None:
    """A routing case that merely shares a severity is not evidence about an alert (issue 16)."""
    from alertdrill.check.coverage import BY_SEVERITY, NAMED, coverage
    from alertdrill.config.routing_cases import RouteCase
    from alertdrill.config.ruleset import AlertRule

    rules = [
        AlertRule("Named", "up == 0", 0, {"severity": "critical"}),
        AlertRule("Orphan", "up == 0", 0, {"severity": "critical"}),
        AlertRule("Twice", "x > 1", 0, {"severity": "warning"}),
        AlertRule("Twice", "x > 2", 0, {"severity": "critical"}),
    ]
    cases = [RouteCase("by name", {"alertname": "Named", "severity": "critical"}, ("pager",))]
    tested = {("Twice", "critical")}  # a rule test expects Twice only at critical
    receivers = {("Twice", "warning"): ("ticket",), ("Twice", "critical"): ("pager",)}
    rows = {(r.alert, r.severity): r for r in coverage(rules, tested, cases, set(), receivers)}
    assert rows[("Named", "critical")].routing_test == NAMED and rows[("Named", "critical")].has_any_test
    assert rows[("Orphan", "critical")].routing_test == BY_SEVERITY and not rows[("Orphan", "critical")].has_any_test
    assert rows[("Twice", "critical")].rule_test and not rows[("Twice", "warning")].rule_test  # two rows
    assert rows[("Twice", "warning")].receivers == ("ticket",) and rows[("Twice", "critical")].receivers == ("pager",)


def test_percentage_lint_reads_the_value_through_compound_expressions(tmp_path: Path) -> None:
    """A ratio compared inside `and`/`unless` or twice (`> 0.9 < 1`) is a ratio: no false alarm."""
    (tmp_path / "rules").mkdir()
    pct = "annotations: {summary: '{{ $value | humanizePercentage }} free'}"
    (tmp_path / "rules" / "r.yml").write_text(
        "groups:\n- name: g\n  rules:\n"
        f"  - {{alert: Free, expr: '(avail / size) < 0.03 and used > 0 unless on(claim) readonly == 1', {pct}}}\n"
        f"  - {{alert: Quota, expr: 'used / ignoring(type) (hard > 0) > 0.9 < 1', {pct}}}\n"
        f"  - {{alert: Rate, expr: 'rate(errors_total[5m]) > 0.01 and up == 1', {pct}}}\n"
    )
    findings = [(f.rule, f.check) for f in _lint(tmp_path) if f.check == "percentage"]
    assert findings == [("Rate", "percentage")]  # a rate is not a ratio, however it is combined
