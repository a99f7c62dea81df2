"""`input_series` read as promtool reads them (checked against the real promtool), and the reasons
a group cannot be replayed at a time scale (issue 28: groundwork for `alertdrill replay`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertdrill.config.promtool_series import STALE, cannot_replay, input_series, parse_series, parse_values
from alertdrill.errors import ConfigError
from alertdrill.runtime.tools import run_tool
from alertdrill.runtime.yamlfile import dump_yaml

NOTATION = "1+2x3 _ _x2 stale 5 -1-1x2 0x1"


def test_the_notation_expands_as_the_grammar_says() -> None:
    assert parse_values(NOTATION, "t") == (1, 3, 5, 7, None, None, None, STALE, 5, -1, -2, -3, 0, 0)
    assert parse_values("stalex1 1e3 Inf", "t")[:3] == (STALE, STALE, 1000.0)


def test_promtool_reads_the_same_samples_real_promtool(tmp_path: Path) -> None:
    """At each step, a sample exists exactly where ours has a value, with that value."""
    points = parse_values(NOTATION, "t")
    tests = []
    for step, point in enumerate(points):
        present = isinstance(point, float)
        exp = [{"labels": "s", "value": point}] if present else []  # last_over_time keeps the name (v3)
        tests.append({"expr": "last_over_time(s[59s])", "eval_time": f"{step}m", "exp_samples": exp})
    rules = tmp_path / "none.yml"
    dump_yaml({"groups": []}, rules)
    doc = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": [{"series": "s", "values": NOTATION}], "promql_expr_test": tests}],
    }
    dump_yaml(doc, tmp_path / "t.yml")
    done = run_tool("promtool", ["test", "rules", str(tmp_path / "t.yml")])
    assert done.returncode == 0, done.stdout + done.stderr


def test_series_keep_exactly_their_labels() -> None:
    assert parse_series('up{job="bff", instance="a:1",}', "t") == {"__name__": "up", "job": "bff", "instance": "a:1"}
    assert parse_series('{__name__="x", q="a\\"b"}', "t") == {"__name__": "x", "q": 'a"b'}
    with pytest.raises(ConfigError, match="has no metric name"):
        parse_series('{job="bff"}', "t.yml: tests[0].input_series[0]")


def test_what_promtool_would_refuse_is_one_located_line() -> None:
    with pytest.raises(ConfigError, match=r"^f.yml: tests\[0\]\.input_series\[1\]: values item '1y' "):
        input_series([{"series": "a", "values": "1"}, {"series": "b", "values": "1 1y"}], "f.yml: tests[0]")
    with pytest.raises(ConfigError, match="native histograms are not replayed"):
        parse_values("{{schema:0 sum:1 count:1}}", "t")


def test_a_group_that_cannot_be_replayed_says_why_and_one_that_can_says_nothing() -> None:
    series = input_series([{"series": 'up{job="x"}', "values": "1x5"}], "t")
    assert cannot_replay(["up == 0", "rate(x_total[5m]) > 1"], series, time_scale=60, scrape_s=1) == []
    reasons = cannot_replay(
        ["time() - x > 60", "x @ 100", "rate(x_total[30s]) > 0"],
        input_series([{"series": "node_boot_time_seconds", "values": "1"}], "t")
        + input_series([{"series": "job_last_success_timestamp_seconds", "values": "1"}], "t"),
        time_scale=60,
        scrape_s=1,
    )
    assert [r.split(":")[0] if "'s values" not in r else "ts" for r in reasons] == [
        "'time() - x > 60' reads the clock (time() and friends)",
        "'x @ 100' pins an evaluation time with @",
        "'rate(x_total[30s]) > 0'",
        "ts",
        "ts",
    ]
    assert "0.5s at time scale 60, shorter than the 1s" in reasons[2]
