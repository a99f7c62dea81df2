import copy
from html.parser import HTMLParser
from pathlib import Path

from alertdrill.report.html import render_html, timeline_svg
from alertdrill.report.review import summarize

REPO = Path(__file__).resolve().parents[2]

DRILL = {
    "feature": "alerts/service_down.feature",
    "scenario": "the BFF is killed",
    "alert": "ServiceDown",
    "outcome": "passed",
    "expected": {
        "labels": {"severity": "critical", "priority": "P0"},
        "receivers": ["critical-oncall"],
        "for_s": 0.5,
        "fire_bound_s": 4.17,
        "recovery_bound_s": 13.5,
    },
    "observed": {
        "labels": {"severity": "critical", "priority": "P0"},
        "receivers": ["critical-oncall"],
        "fault_at": 100.0,
        "pending_at": 100.6,
        "firing_at": 101.6,
        "notified_at": 101.8,
        "rollback_at": 102.0,
        "resolved_at": 103.0,
        "resolved_notified_at": 107.0,
    },
    "fire_latency_s": 1.6,
    "notify_latency_s": 1.8,
    "recovery_s": 5.0,
    "unexpected_alerts": [],
    "message": "",
}
RESULTS = {
    "run_id": "r1",
    "stack": "local",
    "time_scale": 60,
    "started_at": 90.0,
    "finished_at": 110.0,
    "summary": {"passed": 1, "failed": 1, "skipped": 0, "error": 0},
}


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_has_a_card_per_drill_with_timeline_bounds_and_failure_details() -> None:
    failed = copy.deepcopy(DRILL) | {
        "scenario": "NATS is killed",
        "outcome": "failed",
        "message": 'DrillFailure: alert ServiceDown{job="nats"} was not notified',
    }
    page = render_html(RESULTS | {"drills": [DRILL, failed]}, {"NATS is killed": "Prometheus alerts:\n  none"})
    parsed = _Collect()
    parsed.feed(page)
    cards = [a for t, a in parsed.tags if t == "div" and "card" in a.get("class", "")]
    assert [c["data-outcome"] for c in cards] == ["passed", "failed"]
    assert sum(t == "svg" for t, _ in parsed.tags) == 2
    text = " ".join(parsed.text)
    for needle in (
        "fire bound 4.17s",
        "recovery bound 13.50s",
        "paged +1.80s",
        "resolved page +7.00s",
        "was not notified",
        "diagnostics captured before teardown",
        "time scale",
    ):
        assert needle in text
    assert not [a for _t, a in parsed.tags if "src" in a or "href" in a]  # self-contained: nothing to fetch


def test_timeline_without_a_fault_says_so() -> None:
    drill = copy.deepcopy(DRILL)
    drill["observed"]["fault_at"] = None
    assert "no fault" in timeline_svg(drill)


def test_review_marks_a_drill_whose_verdict_changed_as_flaky() -> None:
    runs = [
        RESULTS | {"drills": [DRILL]},
        RESULTS | {"drills": [DRILL | {"outcome": "failed"}]},
        RESULTS | {"drills": [DRILL]},
    ]
    (row,) = summarize(runs)
    assert row.verdicts == ["passed", "failed", "passed"]
    assert row.flaky == ["the BFF is killed"]
    assert row.latencies == [(1.8, 4.17)] * 3


def test_review_plots_each_run_against_its_bound_and_lists_undrilled_alerts() -> None:
    from alertdrill.report.review import render_review
    from alertdrill.report.review_plots import sop_deviations

    slo = {"slo": "bff-latency-p95", "sop": "p95 < 200 ms", "objective": "< 0.2", "unit": "s", "met": True}
    runs = [
        RESULTS | {"drills": [DRILL | {"slos": [slo | {"phase": "before fault", "value": 0.01}]}]},
        RESULTS | {"drills": [DRILL | {"outcome": "failed", "slos": [slo | {"phase": "before fault", "value": 0.3,
                                                                            "met": False}]}]},
    ]  # fmt: skip
    rows = summarize(runs, alerts=["ServiceDown", "DiskSpaceRunningLow"])
    assert [r.alert for r in rows] == ["DiskSpaceRunningLow", "ServiceDown"]
    html = render_review(runs, rows, deviations=sop_deviations(REPO / "monitoring"))
    assert "DiskSpaceRunningLow</td><td class='failed' colspan='6'>not drilled in these runs" in html
    assert html.count("<circle cx=") == 4  # 2 runs x (fire, recovery)
    assert html.count('fill="#b00020" fill-opacity') == 2  # the failed run's dots are red
    assert "10 ms / 155 ms / 300 ms (1/2 met)" in html  # SLO across runs: min / median / max
    assert "Deviations from SOP-004" in html and "PodCrashLooping" in html


def test_review_shows_escalation_latency_against_its_bound_across_runs() -> None:
    from alertdrill.report.review import render_table, summarize
    from alertdrill.report.review_plots import escalation_rows, escalation_table

    def run(arrived: float) -> dict:  # type: ignore[type-arg]
        step = {"address": "senior@x", "after_s": 5.0, "bound_s": 7.5, "arrived_s": arrived}
        return {"run_id": str(arrived), "drills": [{"alert": None, "escalations": [step]}]}

    runs = [run(5.01), run(5.2), run(8.0)]  # the last one arrived after its bound
    rows = escalation_rows(runs)
    assert [p[3] for p in rows["senior@x"]] == [True, True, False]
    text = render_table(summarize(runs), len(runs), rows)
    assert "escalation senior@x (not before 5s)" in text and "2/3 in time" in text
    assert "senior@x" in escalation_table(runs) and "<svg" in escalation_table(runs)


def _heartbeat_drill(told_s: float, bound_s: float) -> dict:  # type: ignore[type-arg]
    drill = copy.deepcopy(DRILL)
    drill["pipeline"] = [{"scenario": "prometheus-down-10m", "component": "prometheus", "down_s": 0.0, "back_s": 10.1}]
    drill["told"] = [
        {
            "how": "heartbeat service",
            "who": ["on-call@x"],
            "fault": "prometheus",
            "scenario": "prometheus-down-10m",
            "told_s": told_s,
            "bound_s": bound_s,
            "terms": [["heartbeat service period", 1.0], ["its grace", 1.0]],
            "recovered_s": 11.4,
            "recovery_bound_s": 15.0,
        }
    ]
    return drill


def test_timeline_draws_the_outage_as_a_band_and_when_someone_was_told() -> None:
    parser = _Collect()
    parser.feed(timeline_svg(_heartbeat_drill(4.45, 7.52)))
    outage = [a for t, a in parser.tags if t == "rect" and a.get("class") == "outage"]
    told = [a for t, a in parser.tags if t == "path" and a.get("class") == "told"]
    assert len(outage) == 1 and len(told) == 2  # told it broke, told it recovered
    assert "prometheus down" in "".join(parser.text)


def test_review_shows_time_to_told_per_fault_across_runs() -> None:
    from alertdrill.report.review_plots import told_rows, told_table

    runs = [{"drills": [_heartbeat_drill(t, 7.52)]} for t in (4.45, 4.1, 8.0)]
    rows = told_rows(runs)
    assert [ok for _, _, ok in rows[("prometheus", "heartbeat service")]] == [True, True, False]
    table = told_table(runs)
    assert "4.10 / 4.45 / 8.00s" in table and "2/3" in table and "<svg" in table
    assert "no drill broke the alerting pipeline" in told_table([{"drills": [DRILL]}])


def test_markdown_summary_puts_counts_and_reasons_first() -> None:
    from alertdrill.report.markdown import render_markdown

    failed = {**copy.deepcopy(DRILL), "outcome": "failed", "message": "DrillFailure: ServiceDown was not notified"}
    error = {**copy.deepcopy(DRILL), "scenario": "s2", "outcome": "error", "message": "FaultError: kubectl\nmore"}
    results = {**RESULTS, "summary": {"passed": 1, "failed": 1, "error": 1, "inconclusive": 0}}
    md = render_markdown({**results, "drills": [DRILL, failed, error]}, Path("reports/r1"))
    assert md.startswith("## alertdrill run r1: 1 passed, 1 failed, 1 error\n")
    assert "| ❌ failed | ServiceDown | the BFF is killed | 1.80s / 4.17s | 5.00s / 13.50s |" in md
    assert "- **error** s2: FaultError: kubectl\n" in md  # the first line of the reason only
    assert "`reports/r1/report.html`" in md


def test_timeline_labels_close_together_get_rows_of_their_own() -> None:
    from alertdrill.report.timeline import CHAR_PX, label_rows

    labels = [(100.0, "fault +0.00s"), (104.0, "pending +0.10s"), (108.0, "firing +0.20s"), (600.0, "paged +9s")]
    rows = label_rows(labels)
    assert rows[:3] == [0, 1, 2] and rows[3] == 0  # three close ones stacked, the distant one back on row 0
    spans = [(x - len(t) * CHAR_PX / 2, x + len(t) * CHAR_PX / 2, r) for (x, t), r in zip(labels, rows, strict=True)]
    for a in spans:
        for b in spans:
            assert a is b or a[2] != b[2] or a[1] < b[0] or b[1] < a[0]  # no two on one row overlap


def test_card_draws_the_chain_with_the_broken_link_marked() -> None:
    drill = copy.deepcopy(DRILL)
    drill["outcome"] = "failed"
    drill["chains"] = [
        {
            "alert": "ServiceDown",
            "line": "first broken link: not suppressed broke: silenced",
            "broken": "not suppressed",
            "links": [
                {"name": "expression", "held": True, "evidence": "true", "at_s": 0.6},
                {"name": "for", "held": True, "evidence": "fired", "at_s": 1.6},
                {"name": "Alertmanager", "held": True, "evidence": "received", "at_s": 1.6},
                {"name": "not suppressed", "held": False, "evidence": "silenced", "at_s": None},
            ],
        }
    ]
    html = render_html({**RESULTS, "drills": [drill]})
    assert "<span class='link held'" in html and "✓ for +1.60s" in html
    assert "<span class='link broken' title='silenced'>✗ not suppressed</span>" in html
    assert "<span class='link unreached'>routed</span>" in html and "first broken link: not suppressed" in html


def test_review_reports_the_error_and_inconclusive_rates() -> None:
    from alertdrill.report.review import outcome_rates

    runs = [{"drills": [{"outcome": "passed"}, {"outcome": "inconclusive"}]}, {"drills": [{"outcome": "error"}] * 2}]
    text = outcome_rates(runs)
    assert "error: 2/4 (50.0 %)" in text and "inconclusive: 1/4 (25.0 %)" in text


def test_slo_values_read_as_the_sop_writes_them() -> None:
    from alertdrill.report.results import slo_objective, slo_value

    assert slo_value(0.004822, "s") == "4.822 ms"
    assert slo_value(0.245, "ratio") == "24.5 %"  # worker CPU: a share of its limit
    assert slo_value(0.999, "ratio") == "99.9 %"
    assert slo_value(0.99949, "ratio") == "99.949 %"  # not "99.95 %" next to an objective of >= 99.95 %
    assert slo_value(4.11976e07, "ratio") == "4.12e+07 ratio"  # a broken SLI is not shown as a percentage
    assert slo_value(1200.85, "msg/s") == "1201 msg/s"
    assert slo_objective("< 0.8", "ratio") == "< 80 %"
    assert slo_objective("< 0.2", "s") == "< 200 ms"
