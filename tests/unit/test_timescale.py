from pathlib import Path

from alertdrill.config.ruleset import has_range_window, load_rule_file, rule_files
from alertdrill.config.timescale import ScaleNote, scale_expr, scale_rule_file
from alertdrill.config.validate import check_rules
from alertdrill.runtime.yamlfile import dump_yaml

REPO = Path(__file__).resolve().parents[2]


def test_ranges_and_subqueries_scale_but_regex_and_strings_do_not() -> None:
    expr = 'max_over_time(rate(x{path=~"/a[5m]"}[5m])[30m:1m]) + on(job) label_replace(up, "l", "[5m]", "", "")'
    notes: list[ScaleNote] = []
    out = scale_expr(expr, 60, 1, "test", notes)
    assert '"/a[5m]"' in out and '"[5m]"' in out
    assert "[5s]" in out and "[30s:1s]" in out
    assert notes == []


def test_a_window_below_the_floor_is_clamped_and_reported() -> None:
    notes: list[ScaleNote] = []
    out = scale_expr("rate(x[1m]) > 0", 60, 4, "r.yml: rule 'A'", notes)
    assert "[4s]" in out
    assert notes == [ScaleNote("r.yml: rule 'A'", 60, 4)]


def test_windows_and_offsets_scale_to_the_millisecond_and_promtool_reads_them(tmp_path: Path) -> None:
    """promql-parser prints whole seconds: `[90s]` at scale 60 once became `[1s]`, and offsets
    were left unscaled (an hour back, on a run minutes long)."""
    notes: list[ScaleNote] = []
    out = scale_expr("rate(x[90s] offset 1h) > 0 unless y offset -5m", 60, 0.001, "t", notes)
    assert " ".join(out.split()) == "rate(x{}[1s500ms] offset 1m) > 0 unless y{} offset -5s"
    assert notes == []
    subquery = scale_expr("max_over_time(rate(x[5m])[30m:1m] offset 1h) > 0", 60, 0.001, "t", [])
    assert subquery == "max_over_time(rate(x{}[5s])[30s:1s] offset 1m) > 0"
    path = tmp_path / "scaled.yml"
    dump_yaml({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": out}]}]}, path)
    check_rules([path])


def test_scale_one_leaves_text_untouched() -> None:
    assert scale_expr("rate(x[5m]) > 0", 1, 4, "t", []) == "rate(x[5m]) > 0"


def test_scaled_fluo_rules_pass_promtool(tmp_path: Path) -> None:
    """The scaled copy of every FLUO rule file is still valid for the real promtool."""
    notes: list[ScaleNote] = []
    out = []
    for path in rule_files(REPO / "monitoring" / "rules"):
        doc = scale_rule_file(load_rule_file(path), 60, 4, notes)
        dump_yaml(doc, tmp_path / path.name)
        out.append(tmp_path / path.name)
        fors = {r["alert"]: r.get("for") for g in doc["groups"] for r in g["rules"] if "alert" in r}
        if path.name == "fluo.rules.yml":
            assert fors["ServiceDown"] == "500ms" and fors["DiskSpaceRunningLow"] == "30s"
        elif path.name == "fluo.meta.rules.yml":  # the heartbeat holds nothing; the pipeline's alerts do
            assert fors["Heartbeat"] is None and fors["AlertmanagerDown"] == "2s"
        else:  # the SLO recording rules: 5 minute windows become 5 s
            exprs = [r["expr"] for g in doc["groups"] for r in g["rules"]]
            assert any("[5s]" in e for e in exprs) and not any("[5m]" in e for e in exprs)
    check_rules(out)


def test_has_range_window() -> None:
    assert has_range_window("rate(x[5m]) > 1")
    assert not has_range_window('up{job="bff"} == 0')


def test_a_features_promql_window_is_scaled_like_the_rules_with_enough_scrapes() -> None:
    """The HighLatency edge drill once hard-coded `[4s]`: one sample at kind's 5 s scrapes, rate() empty."""
    from alertdrill.config.monitoring import MonitoringConfig
    from alertdrill.drill.expectations import Expectations
    from alertdrill.stack.base import Timing

    monitoring = MonitoringConfig.load(REPO / "monitoring")
    expr = "rate(http_request_duration_seconds_bucket{job='bff'}[1m])"
    local = Expectations(monitoring, Timing(1.0, 1.0, 0.5, 60.0), 1.5, []).scaled_expr(expr)
    kind = Expectations(monitoring, Timing(5.0, 5.0, 4.0, 60.0), 1.5, []).scaled_expr(expr)
    assert "[4s]" in local  # 1 s scaled, clamped to 4 scrapes of 1 s
    assert "[20s]" in kind  # 4 scrapes of 5 s
