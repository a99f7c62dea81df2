"""Which rules a promtool test group can see (no promtool here; the verdicts are in
tests/integration/test_mutation_slices.py)."""

from __future__ import annotations

from typing import Any

from alertdrill.check.mutants import rule_mutants
from alertdrill.check.rule_slice import RuleIndex, group_reads, reads

RULES: dict[str, Any] = {
    "groups": [
        {
            "name": "records",
            "interval": "30s",
            "rules": [
                {"record": "job:errors:rate2m", "expr": "sum by (job) (rate(errors_total[2m]))"},
                {"record": "job:requests:rate2m", "expr": "sum by (job) (rate(requests_total[2m]))"},
                {"record": "job:error_ratio", "expr": "job:errors:rate2m / job:requests:rate2m"},
            ],
        },
        {
            "name": "alerts",
            "rules": [
                {"alert": "HighErrorRatio", "expr": "job:error_ratio > 0.05", "for": "2m"},
                {"alert": "Unrelated", "expr": "other_metric > 5"},
            ],
        },
    ]
}


def test_an_alert_sees_its_whole_recording_rule_chain_and_nothing_else() -> None:
    index = RuleIndex.of([RULES])
    assert index.closure(["HighErrorRatio"], []) == {(0, 0, 0), (0, 0, 1), (0, 0, 2), (0, 1, 0)}
    assert index.closure(["Unrelated"], []) == {(0, 1, 1)}
    assert index.closure([], ["job:errors:rate2m > 1"]) == {(0, 0, 0)}  # an expression test's record
    assert index.closure(["NoSuchAlert"], ["raw_metric"]) == frozenset()


def test_a_slice_that_cannot_be_told_is_every_rule() -> None:
    assert reads('count({__name__=~"job:.*"})') is None  # a regex over names
    assert reads('ALERTS{alertname="HighErrorRatio"}') is None  # reads the alerts themselves
    assert reads("rate(x[5m]) / on (job) group_left y") == {"x", "y"}
    templated = {"groups": [{"name": "g", "rules": [
        {"alert": "A", "expr": "x > 1", "annotations": {"summary": '{{ query "job:error_ratio" }}'}}]}]}  # fmt: skip
    assert RuleIndex.of([templated]).closure(["A"], []) is None


def test_the_slice_keeps_every_group_in_its_place_with_only_the_rules_it_needs() -> None:
    index = RuleIndex.of([RULES])
    keep = index.closure(["Unrelated"], [])
    assert keep is not None
    (doc,) = index.sliced(keep)
    assert [g["name"] for g in doc["groups"]] == ["records", "alerts"]
    assert doc["groups"][0] == {"name": "records", "interval": "30s", "rules": []}
    assert doc["groups"][1]["rules"] == [RULES["groups"][1]["rules"][1]]
    assert RULES["groups"][0]["rules"], "the original is not touched"


def test_a_test_group_reads_its_alerts_and_its_expressions() -> None:
    group = {
        "alert_rule_test": [{"eval_time": "5m", "alertname": "HighErrorRatio"}, {"eval_time": "1m"}],
        "promql_expr_test": [{"expr": "job:error_ratio", "eval_time": "5m"}],
    }
    assert group_reads(group) == (["HighErrorRatio"], ["job:error_ratio"])


def test_recording_rules_are_mutated_and_know_where_they_sit() -> None:
    mutants = list(rule_mutants([RULES]))
    records = [m for m in mutants if m.target.startswith("record ")]
    assert {m.target for m in records} == {"record job:errors:rate2m", "record job:requests:rate2m",
                                           "record job:error_ratio"}  # fmt: skip
    assert {m.rule_id for m in records if m.target == "record job:error_ratio"} == {(0, 0, 2)}
    assert all(not m.description.startswith(("for ", "label ")) for m in records)
    assert {m.rule_id for m in mutants if m.target == "HighErrorRatio"} == {(0, 1, 0)}
