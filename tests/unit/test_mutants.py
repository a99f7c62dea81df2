from pathlib import Path

from alertdrill.check.mutants import config_mutants, expr_mutants

REPO = Path(__file__).resolve().parents[2]


def test_expression_mutants_edit_the_syntax_tree() -> None:
    got = dict(expr_mutants('rate(http_requests_total{status=~"5..", path="/a[5m]"}[5m]) > 0.01'))
    assert got["threshold 0.01 -> 0.02"].endswith("> 0.02")
    assert got["comparison > -> <"].endswith("< 0.01")
    assert 'status=~"5..x"' in got['matcher status=~"5.." value changed']
    assert 'status!~"5.."' in got['matcher status=~"5.." negated']
    assert "http_requests_total_mutant" in got["metric http_requests_total renamed"]
    assert all('path="/a[5m]"' in e for d, e in got.items() if "path" not in d)  # a range-like string is data


def test_regex_alternatives_are_dropped_one_at_a_time() -> None:
    got = dict(expr_mutants('up{job=~"bff|workers|nats"} == 0'))
    assert 'job=~"workers|nats"' in got["matcher job=~\"bff|workers|nats\" without 'bff'"]
    assert got["threshold 0 -> 1"].endswith("== 1")


def test_config_mutants_cover_routes_and_receivers() -> None:
    doc = {
        "route": {
            "receiver": "a",
            "routes": [
                {"matchers": ['severity="critical"'], "receiver": "b", "continue": True},
                {"matchers": ['severity="medium"'], "receiver": "c", "group_wait": "4h"},
            ],
        },
        "receivers": [{"name": "a"}, {"name": "b", "email_configs": [{"to": "x"}]}, {"name": "c"}],
    }
    kinds = {m.description for m in config_mutants(doc)}
    assert {
        "child routes in reverse order",
        "continue removed",
        "group_wait 4h -> 30s",
        "group_wait inherited -> 4h",
        'matcher severity="critical" value changed',
        "receiver b -> a",
        "email_configs[0] send_resolved off",
    } <= kinds


def test_regex_alternatives_respect_groups_and_escapes() -> None:
    from alertdrill.check.mutants import regex_alternatives

    assert regex_alternatives("(cpu|requests.cpu)|mem") == ["(cpu|requests.cpu)", "mem"]
    assert regex_alternatives(r"a\|b|[x|y]") == [r"a\|b", "[x|y]"]
    got = dict(expr_mutants('x{resource=~"(cpu|requests.cpu)|mem"} > 1'))
    assert got["matcher resource=~\"(cpu|requests.cpu)|mem\" without 'mem'"].startswith(
        'x{resource=~"(cpu|requests.cpu)"}'
    )


def test_compound_expressions_are_mutated_inside() -> None:
    """Comparisons inside `and`/`or`/`unless`, and each clause dropped (issue 16's blind spots)."""
    got = dict(expr_mutants("(a / b) < 0.1 and c > 3 unless d"))
    assert "threshold 3 -> 6" in got and "comparison < -> >" in got
    assert got["unless clause d{} dropped"].strip() == "(a{} / b{}) < 0.1 and  c{} > 3"
    assert got["and clause c{} > 3 dropped"].startswith("(a{} / b{}) < 0.1 unless")
    sd = dict(expr_mutants('up{job=~"bff|nats"} == 0 or absent(up{job="bff"})'))
    assert sd["comparison == -> !="].startswith('up{job=~"bff|nats"} != 0 or')
    assert sd['or clause absent(up{job="bff"}) dropped'].strip() == 'up{job=~"bff|nats"} == 0'


def test_mutants_are_distinct_and_never_a_no_op() -> None:
    from alertdrill.check.mutants import Mutant, distinct, rule_mutants

    doc = {"groups": [{"name": "g", "rules": [
        {"alert": "A", "expr": "x > 1", "for": "0m", "labels": {"severity": "high"}},
        {"alert": "A", "expr": "x > 1", "for": "5m", "labels": {"severity": "critical"}},
    ]}]}  # fmt: skip
    mutants = list(rule_mutants([doc]))
    assert not any(m.description.startswith("for 0m") for m in mutants)  # 0m x10 or -> 0s changes nothing
    assert sum(m.description == "severity critical -> high" for m in mutants) == 1  # kept for the 2nd severity
    same = Mutant("rules", "A", "again", mutants[0].document)
    noop = Mutant("rules", "A", "no-op", doc)
    assert distinct([mutants[0], same, noop], {("rules", 0): doc}) == [mutants[0]]


def test_a_promtool_warning_is_not_a_stillborn_mutant(tmp_path: Path) -> None:
    """promtool 2.42 prints a duplicate rule under "FAILED" but exits 0: the mutant is valid."""
    from alertdrill.check.mutate import rejected_rule_files

    rule = "  - alert: A\n    expr: up == 0\n    labels: {severity: critical}\n"
    dup, bad = tmp_path / "dup.yml", tmp_path / "bad.yml"
    dup.write_text("groups:\n- name: g\n  rules:\n" + rule + rule)
    bad.write_text("groups:\n- name: g\n  rules:\n  - alert: B\n    expr: up ==\n")
    assert rejected_rule_files([dup], None) == {}
    assert list(rejected_rule_files([dup, bad], None)) == [bad]


def test_send_resolved_is_demanded_only_of_receivers_that_page_a_paging_severity(tmp_path: Path) -> None:
    from alertdrill.check.suite import paging_receivers_of
    from alertdrill.config.monitoring import MonitoringConfig
    from alertdrill.config.routing_cases import RouteCase

    config = MonitoringConfig.load(REPO / "monitoring")
    am = config.alertmanager
    low = [RouteCase("catch-all", {"alertname": "X", "severity": "low"}, ("oncall-primary",))]
    assert "oncall-primary" not in paging_receivers_of(config, am, low)  # a routing test naming it is not enough
    critical = [RouteCase("p0", {"alertname": "X", "severity": "critical"}, ("critical-oncall",))]
    assert "critical-oncall" in paging_receivers_of(config, am, critical)


def test_a_sample_is_spread_evenly_and_repeatable() -> None:
    from alertdrill.check.mutants import Mutant
    from alertdrill.check.mutate import sample

    mutants = [Mutant("rules", f"A{i // 10}", str(i), {}) for i in range(100)]
    picked = sample(mutants, 10)
    assert [m.description for m in picked] == [str(i) for i in range(0, 100, 10)]  # one per alert here
    assert sample(mutants, 10) == picked and sample(mutants, None) == mutants and sample(mutants, 500) == mutants
