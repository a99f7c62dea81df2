"""How a replay reads a promtool test group: the scale it runs at, every reason it cannot be
replayed (said up front), the rules it loads and the bytes it writes to Prometheus (issue 28)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from alertdrill.config.promtool_series import InputSeries
from alertdrill.config.ruleset import RuleFile
from alertdrill.replay.plan import AlertCase, ReplayGroup, choose_scale, load_groups
from alertdrill.replay.remote_write import STALE_NAN, Sample, encode_write_request, snappy_literal
from alertdrill.replay.rules import CLOCK, GATE, replay_rules, scale_promql
from alertdrill.runtime.yamlfile import dump_yaml


def _group(exprs: list[str], series: str = "up", interval: str | None = None, **group: object) -> ReplayGroup:
    rules = [{"alert": f"A{i}", "expr": e, "for": "30s"} for i, e in enumerate(exprs)]
    doc = {"groups": [{"name": "g", **({"interval": interval} if interval else {}), **group, "rules": rules}]}
    alerts = [AlertCase(60.0, f"A{i}", []) for i in range(len(exprs))]
    g = ReplayGroup(
        Path("t.test.yml"),
        1,
        "g",
        15.0,
        15.0,
        [InputSeries({"__name__": series}, (1.0,))],
        alerts,
        [],
        [RuleFile(Path("r.yml"), doc)],
    )
    g.time_scale, g.skipped = choose_scale(g)
    return g


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("time() - up > 60", "reads the clock"),
        ("timestamp(up) > 0", "reads the clock"),
        ("hour() > 3 and on() up", "reads the clock"),
        ("up @ 100 > 0", "pins an evaluation time with @"),
        ("max_over_time(up[5m:1m]) > 0", "has a subquery"),
    ],
)
def test_each_reason_a_group_cannot_be_replayed(expr: str, reason: str) -> None:
    assert any(reason in r for r in _group([expr]).skipped)


def test_values_that_are_timestamps_and_settings_a_replay_cannot_keep() -> None:
    assert any("values are timestamps" in r for r in _group(["up > 0"], series="job_start_time_seconds").skipped)
    assert any("sets query_offset" in r for r in _group(["up > 0"], query_offset="1m").skipped)
    assert any("alertdrill_replay_" in r for r in _group(["up > 0"], series="alertdrill_replay_gate").skipped)


def test_only_the_rules_a_group_reads_decide_whether_it_replays() -> None:
    g = _group(["up == 0", "time() - up > 0"])
    g.alerts = [AlertCase(60, "A0", [])]
    g.time_scale, g.skipped = choose_scale(g)
    assert g.skipped == []  # A1 reads the clock, but this group never looks at A1


def test_the_fastest_scale_that_keeps_every_duration_whole_milliseconds() -> None:
    assert _group(["up == 0"]).time_scale == 60  # 15s evaluations: 250 ms at 60
    assert _group(["rate(up[10s]) > 0"]).time_scale == 20  # 10 s / 60 is not whole ms; 10 s / 20 is
    assert _group(["up == 0"], interval="7s1ms").time_scale == 1  # 7001 ms divides by no faster scale


def test_scaled_promql_keeps_values_per_second_and_windows_to_the_millisecond() -> None:
    assert scale_promql("rate(x[5m]) > 1", 240, "w") == "(rate(x{}[1s250ms]) / 240) > 1"
    assert scale_promql("x offset 90s", 60, "w") == "x{} offset 1s500ms"
    assert scale_promql("x offset -5m", 60, "w") == "x{} offset -5s"  # once written as 0s
    assert scale_promql("max_over_time(x[5m:1m] offset 1h)", 60, "w") == "max_over_time(x{}[5s:1s] offset 1m)"
    assert scale_promql("predict_linear(x[6h], 3600) < 0", 60, "w") == "predict_linear(x{}[6m], (3600) / 60) < 0"
    assert scale_promql("increase(x[1m]) > 0", 60, "w") == "increase(x{}[1s]) > 0"  # a count: unchanged


def test_rules_load_as_promtool_evaluates_them_gated_until_time_zero(tmp_path: Path) -> None:
    g = _group(["up == 0"], interval="1m")
    g.rule_files.append(
        RuleFile(Path("s.yml"), {"groups": [{"name": "slo", "rules": [{"record": "r", "expr": "up"}]}]})
    )
    g.time_scale = 60.0
    doc = replay_rules(g)
    by_name = {x["name"]: x for x in doc["groups"]}
    assert set(by_name) == {"replay-every-1m", "replay-every-15s"}  # one group per interval
    assert by_name["replay-every-1m"]["interval"] == "1s" and by_name["replay-every-15s"]["interval"] == "250ms"
    clock, alert = by_name["replay-every-1m"]["rules"]
    assert clock["record"] == CLOCK and GATE not in clock["expr"]
    assert alert["expr"] == f"(up == 0) and on () {GATE}" and alert["for"] == "500ms"


def test_labels_are_read_as_written_not_as_python_reads_yaml(tmp_path: Path) -> None:
    dump_yaml({"groups": [{"name": "g", "rules": [{"alert": "J", "expr": "up"}]}]}, tmp_path / "r.yml")
    (tmp_path / "t.test.yml").write_text(
        "rule_files: [r.yml]\ntests:\n- input_series: [{series: 'up', values: '1'}]\n  alert_rule_test:\n"
        "  - {eval_time: 0m, alertname: J, exp_alerts: [{exp_labels: {condition: true, n: 010}}]}\n"
    )
    (group,) = load_groups([tmp_path / "t.test.yml"])
    assert group.alerts[0].expected[0]["labels"] == {"condition": "true", "n": "010"}


def _varint(data: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        b = data[i]
        n |= (b & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if not b & 0x80:
            return n, i


def test_remote_write_bytes_decode_back_to_the_samples() -> None:
    """The snappy stream is literals behind the length; the protobuf is WriteRequest → TimeSeries."""
    labels = (("__name__", "up"), ("job", "bff"))
    body = encode_write_request([Sample(labels, 1000, 1.0), Sample(labels, 2000, STALE_NAN)]) * 200
    framed = snappy_literal(body)
    length, i = _varint(framed, 0)
    assert length == len(body)
    out = b""
    while i < len(framed):
        tag = framed[i] >> 2
        assert framed[i] & 3 == 0 and tag <= 61  # literals only; lengths inline, or in 1 or 2 bytes
        width = max(0, tag - 59)  # 60: one byte of length-1, 61: two
        extra = int.from_bytes(framed[i + 1 : i + 1 + width], "little") if width else tag
        size, i = extra + 1, i + 1 + width
        out, i = out + framed[i : i + size], i + size
    assert out == body
    assert body.startswith(b"\x0a") and struct.pack("<Q", 0x7FF0000000000002) in body  # the staleness bits
