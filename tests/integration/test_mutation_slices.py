"""The mutation judge on rule slices, with the real promtool: same verdicts as the whole config,
recording-rule chains followed, a mutant stopped at its first failing group, a hanging group named.
The config is a small one of our own, written here."""

from __future__ import annotations

import copy
import dataclasses
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from alertdrill.check import mutate, rule_test_groups
from alertdrill.check.mutate import run_mutation
from alertdrill.check.rule_slice import RuleIndex
from alertdrill.runtime.tools import run_tool

RULES: dict[str, Any] = {
    "groups": [
        {
            "name": "records",
            "rules": [
                {"record": "job:errors:rate2m", "expr": "sum by (job) (rate(errors_total[2m]))"},
                {"record": "job:requests:rate2m", "expr": "sum by (job) (rate(requests_total[2m]))"},
                {"record": "job:error_ratio", "expr": "job:errors:rate2m / job:requests:rate2m"},
                {"record": "job:unused", "expr": "sum by (job) (unused_total)"},
            ],
        },
        {
            "name": "alerts",
            "rules": [
                {"alert": "HighErrorRatio", "expr": "job:error_ratio > 0.05", "for": "2m",
                 "labels": {"severity": "critical"}},
                {"alert": "Unrelated", "expr": 'other_metric{kind="a"} > 5', "labels": {"severity": "warning"}},
            ],
        },
    ]
}  # fmt: skip

SERIES = [
    {"series": 'errors_total{job="api"}', "values": "0+60x20"},  # 1/s
    {"series": 'requests_total{job="api"}', "values": "0+600x20"},  # 10/s: a 10 % error ratio
    {"series": 'other_metric{kind="a"}', "values": "10x20"},
]
GROUPS: list[dict[str, Any]] = [
    {"name": "the error ratio pages after 2 minutes", "interval": "1m", "input_series": SERIES,
     "alert_rule_test": [
         {"eval_time": "1m", "alertname": "HighErrorRatio"},  # pending
         {"eval_time": "6m", "alertname": "HighErrorRatio",
          "exp_alerts": [{"exp_labels": {"severity": "critical", "job": "api"}}]}]},
    {"name": "other metric", "interval": "1m", "input_series": SERIES,
     "alert_rule_test": [{"eval_time": "5m", "alertname": "Unrelated",
                          "exp_alerts": [{"exp_labels": {"severity": "warning", "kind": "a"}}]}]},
    {"name": "the error rate record", "interval": "1m", "input_series": SERIES,
     "promql_expr_test": [{"expr": "job:errors:rate2m", "eval_time": "5m",
                           "exp_samples": [{"labels": 'job:errors:rate2m{job="api"}', "value": 1}]}]},
]  # fmt: skip


def write_config(root: Path, groups: list[dict[str, Any]] = GROUPS, rules: dict[str, Any] = RULES) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "alertdrill.yml").write_text("rules: [rules.yaml]\ntests: [tests.yaml]\nalertmanager: am.yml\n")
    (root / "rules.yaml").write_text(yaml.safe_dump(rules, sort_keys=False))
    # without group_eval_order promtool evaluates rule groups in a random order each step (a Go map):
    # the alert would read this step's or the last step's ratio, and `for: 0s` flips between runs
    tests = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "group_eval_order": ["records", "alerts"],
             "tests": groups}  # fmt: skip
    (root / "tests.yaml").write_text(yaml.safe_dump(tests, sort_keys=False))
    (root / "am.yml").write_text("route: {receiver: x}\nreceivers: [{name: x}]\n")
    return root


def promtool_passes(path: Path) -> bool:
    return run_tool("promtool", ["test", "rules", str(path)]).returncode == 0


def broken(group: dict[str, Any]) -> dict[str, Any]:
    """The same group with a wrong expectation: it must fail on the slice as on the whole config."""
    out = copy.deepcopy(group)
    for case in out.get("alert_rule_test") or []:
        case["exp_alerts"] = [] if case.get("exp_alerts") else [{"exp_labels": {"x": "y"}}]
    for case in out.get("promql_expr_test") or []:
        case["exp_samples"][0]["value"] = 2
    return out


@pytest.mark.parametrize("n", range(len(GROUPS)))
@pytest.mark.parametrize("variant", ["as written", "broken"])
def test_a_groups_slice_gives_promtools_verdict_on_the_whole_config(tmp_path: Path, n: int, variant: str) -> None:
    group = GROUPS[n] if variant == "as written" else broken(GROUPS[n])
    whole = write_config(tmp_path / "whole", [group]) / "tests.yaml"
    index = RuleIndex.of([RULES])
    (g,) = rule_test_groups.collect({"00-tests.yaml": {"rule_files": ["../rules/rules.yaml"], "tests": [group]}},
                                    index)  # fmt: skip
    assert g.sees is not None and len(g.sees) < 6, "a slice, not every rule"
    (sliced,) = rule_test_groups.write_groups(tmp_path / "slice", [g], index, [Path("rules.yaml")])
    assert len(yaml.safe_load((tmp_path / "slice" / "rules" / "rules.yaml").read_text())["groups"][0]["rules"]) < 4
    assert promtool_passes(sliced) == promtool_passes(whole) == (variant == "as written")


def verdicts(root: Path) -> dict[str, tuple[str, str]]:
    return {r.name: (r.verdict, r.killed_by) for r in run_mutation(root, workers=2).results}


def test_recording_rule_mutants_are_judged_by_every_group_that_reads_them(tmp_path: Path) -> None:
    got = verdicts(write_config(tmp_path / "cfg"))
    ratio = {k: v for k, v in got.items() if k.startswith("record job:error_ratio:")}
    assert ratio and all(v == "killed" and "group 1 (the error ratio" in why for v, why in ratio.values()), ratio
    errors = {k: v for k, v in got.items() if k.startswith("record job:errors:rate2m:")}
    assert errors and all(v == "killed" for v, _why in errors.values()), errors
    assert any("group 3 (the error rate record)" in why for _v, why in errors.values()), "the cheaper group first"
    unused = {k: v for k, v in got.items() if k.startswith("record job:unused:")}
    assert unused and all(v == ("survived", "") for v in unused.values()), "no group reads it: no test can kill it"
    assert all("group 2" in why for k, (v, why) in got.items() if k.startswith("Unrelated:") and v == "killed")


def test_a_mutant_stops_at_its_first_failing_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HighErrorRatio's mutants are seen by group 1 only; job:errors:rate2m's by groups 1 and 3.
    A mutant killed by its first group is never run against its second."""
    calls: list[list[str]] = []

    def recording(program: str, args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        calls.append(list(args))
        return run_tool(program, args, **kw)

    monkeypatch.setattr(mutate, "run_tool", recording)
    report = run_mutation(write_config(tmp_path / "cfg"), workers=1)
    assert report.unread_records == ["job:unused"]
    unused = next(r for r in report.results if r.mutant.target == "record job:unused")
    assert unused.diff.startswith("--- rules.yaml group 'records' (original)")  # the rule, not the whole file
    assert "unused_total" in unused.diff and "errors_total" not in unused.diff
    assert all(r.diff == "" for r in report.results if r.verdict == "killed")
    from alertdrill.check.mutate_report import render_mutation_summary

    summary = render_mutation_summary(report, 0)
    assert "recording rules no rule test reads: job:unused" in summary
    assert re.search(r"by part: alerting rules [\d.]+% \(\d+/\d+\); recording rules [\d.]+% \(\d+/\d+\)", summary)
    target = "record job:errors:rate2m"
    killed_first = [r for r in report.results if r.verdict == "killed" and r.mutant.target == target]
    assert killed_first
    for r in killed_first:
        mutant_dir = f"/m{report.results.index(r):04d}/tests/"
        ran = [a for c in calls if c[:2] == ["test", "rules"] for a in c[2:] if mutant_dir in a]
        assert len(ran) == 1, (r.name, ran)


def test_a_slice_that_does_not_hold_falls_back_to_every_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative twin of the slice: a slice that leaves out a recording rule the group needs fails
    where the whole config passes; the judge notices on the unmutated config and uses every rule,
    so no mutant is falsely killed and the verdicts stay the whole config's."""
    root = write_config(tmp_path / "cfg")
    expected = {name: verdict for name, (verdict, _why) in verdicts(root).items()}
    real = RuleIndex.closure

    def without_records(self: RuleIndex, alerts: Any, exprs: Any) -> frozenset[Any] | None:
        keep = real(self, alerts, exprs)
        return None if keep is None else frozenset(r for r in keep if "record" not in self.rule(r))

    monkeypatch.setattr(RuleIndex, "closure", without_records)
    report = run_mutation(root, workers=2)
    assert any("its rule slice does not give promtool's verdict; judged on every rule" in n for n in report.notes)
    assert {r.name: r.verdict for r in report.results} == expected  # the order of groups may differ


def test_a_hanging_group_is_named_and_the_other_mutants_are_still_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = copy.deepcopy(RULES)
    rules["groups"][1]["rules"].append({"alert": "Slow", "expr": "slow_metric > 0"})
    slow = {"name": "fifty days", "interval": "1s",
            "input_series": [{"series": "slow_metric", "values": "1x10"}],
            "alert_rule_test": [{"eval_time": "1200h", "alertname": "Slow"}]}  # fmt: skip
    monkeypatch.setattr(rule_test_groups, "TIMEOUT_FACTOR", 0.0)  # the measured time counts for nothing ...
    # ... and 1 s is too short for 4.3 million evaluations (~3 s here, promtool 2.42 and 3.14 alike),
    # yet ample for the other groups' ~0.07 s even on a busy 2-core machine, where 0.1 s was not
    monkeypatch.setattr(
        rule_test_groups, "TIMEOUTS", dataclasses.replace(rule_test_groups.TIMEOUTS, rule_tests_floor=1.0)
    )
    report = run_mutation(write_config(tmp_path / "cfg", [*GROUPS, slow], rules), workers=2)
    timeouts = [r for r in report.results if r.verdict == "timeout"]
    assert timeouts and all(r.mutant.target == "Slow" for r in timeouts)
    located = "tests.yaml group 4 (fifty days): promtool test rules did not finish in 1.0s (0 times its "
    assert all(r.killed_by.startswith(located) for r in timeouts), timeouts[0].killed_by
    without_slow = {name: verdict for name, (verdict, _why) in verdicts(write_config(tmp_path / "plain")).items()}
    assert {r.name: r.verdict for r in report.results if r.mutant.target != "Slow"} == without_slow
