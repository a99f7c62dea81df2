"""`alertdrill replay` on the real Prometheus, Alertmanager and promtool: FLUO's groups agree, and
three broken copies of FLUO's config — each passing `promtool test rules` and `alertdrill check` —
make it exit 1 with the live-only cause located (README "Replay: what only a live run sees")."""

from __future__ import annotations

import json
import signal
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration
SERVICE_DOWN = "fluo.rules.test.yml group 1 "  # three ServiceDown alerts at once
TARGETS_VANISH = "fluo.rules.test.yml group 9 "  # bff, then workers, then nats go down


def _replay(runner: Runner, monitoring: Path, keyword: str, tmp_path: Path) -> tuple[int, str, dict]:
    out = tmp_path / "replay-report"
    proc = runner.run("replay", "--monitoring", str(monitoring), "-k", keyword, "--report-dir", str(out), "-q")
    assert "Traceback" not in proc.stderr, proc.stderr
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").is_file() else {}
    return proc.returncode, proc.stdout + proc.stderr, results


def _passes_promtool_and_check(runner: Runner, monitoring: Path, tmp_path: Path) -> None:
    """The break is invisible to simulated time: promtool's tests and alertdrill check pass."""
    proc = runner.run("check", "--monitoring", str(monitoring), "--junit", str(tmp_path / "check.xml"))
    assert proc.returncode == 0, proc.stdout  # check runs promtool test rules on every test file


def test_fluo_groups_agree_live_with_pages_and_reports(runner: Runner, tmp_path: Path) -> None:
    code, out, results = _replay(runner, Path("monitoring"), SERVICE_DOWN, tmp_path)
    assert code == 0, out
    (group,) = results["groups"]
    assert group["status"] == "agrees" and group["time_scale"] == 60
    assert {c["kind"] for c in group["checks"]} == {"alert", "page"}
    pages = [p for p in group["pages"] if p["receiver"] == "critical-oncall"]
    assert len(pages) == 3 and all(p["ok"] for p in pages)  # bff, workers, nats: each paged in its bound
    assert {"group_wait", "evaluation interval", "slack (delivery to the recorder)"} <= set(pages[0]["bound_terms"])
    assert any(p["receivers_from"].startswith("routing test") for p in pages)  # FLUO's routing test names ServiceDown
    assert any(p["receivers_from"] == "routing tree" for p in pages)
    junit = ET.parse(tmp_path / "replay-report" / "junit.xml").getroot()
    assert junit.get("failures") == "0" and int(junit.get("tests") or 0) >= 4
    assert "ServiceDown{" in (tmp_path / "replay-report" / "report.html").read_text()  # the timeline's rows


def test_template_that_renders_empty_on_the_alerts_that_really_group(
    runner: Runner, monitoring_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """Fine for one alert; empty when the three ServiceDown alerts share the on-call's group."""

    def subject_on_common_labels(text: str) -> str:
        text = text.replace(
            "    receiver: critical-oncall\n    group_wait: 10s",
            "    receiver: critical-oncall\n    group_by: [alertname]\n    group_wait: 10s",
        )
        return text.replace(
            "- name: critical-oncall\n  email_configs:\n  - to: on-call-engineer@fluo.com\n    send_resolved: true\n",
            "- name: critical-oncall\n  email_configs:\n  - to: on-call-engineer@fluo.com\n    send_resolved: true\n"
            "    headers:\n      Subject: '[P0] {{ .CommonLabels.job }} is down'\n",
        )

    broken = monitoring_copy(subject_on_common_labels, "alertmanager/alertmanager.yml")
    _passes_promtool_and_check(runner, broken, tmp_path)
    code, out, results = _replay(runner, broken, SERVICE_DOWN, tmp_path)
    assert code == 1, out
    bad = [c for c in results["groups"][0]["checks"] if not c["ok"]]
    assert bad and {c["cause"] for c in bad} == {"template-no-value"}, bad
    assert "critical-oncall message renders .CommonLabels.job empty" in out
    assert "3 alert(s) Alertmanager really grouped together" in out


def test_inhibition_that_depends_on_which_alert_fires_first(
    runner: Runner, monitoring_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """'NATS down explains the BFF and workers down': the BFF is paged before NATS goes down."""

    def nats_inhibits_its_clients(text: str) -> str:
        return text.replace(
            "inhibit_rules:\n",
            "inhibit_rules:\n- source_matchers: ['alertname=\"ServiceDown\"', 'job=\"nats\"']\n"
            "  target_matchers: ['alertname=\"ServiceDown\"', 'job=~\"bff|workers\"']\n",
        )

    broken = monitoring_copy(nats_inhibits_its_clients, "alertmanager/alertmanager.yml")
    _passes_promtool_and_check(runner, broken, tmp_path)
    code, out, results = _replay(runner, broken, TARGETS_VANISH, tmp_path)
    assert code == 1, out
    causes = {c["cause"] for c in results["groups"][0]["checks"] if not c["ok"]}
    assert "inhibition-order" in causes, out
    assert 'ServiceDown{job="bff", severity="critical"} reached critical-oncall although inhibit rule 0 mutes it' in out
    assert 'while ServiceDown{job="nats", severity="critical"} fires' in out


def test_rule_group_interval_that_promtool_ignores(
    runner: Runner, monitoring_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """promtool evaluates every group every evaluation_interval; Prometheus keeps the group's own."""
    broken = monitoring_copy(
        lambda t: t.replace("- name: critical.rules\n", "- name: critical.rules\n  interval: 1m\n")
    )
    _passes_promtool_and_check(runner, broken, tmp_path)
    code, out, results = _replay(runner, broken, SERVICE_DOWN, tmp_path)
    assert code == 1, out
    (bad,) = [c for c in results["groups"][0]["checks"] if not c["ok"]]
    assert bad["cause"] == "group-interval" and bad["name"] == "ServiceDown" and bad["at_s"] == 60
    assert "rule group 'critical.rules' is evaluated every 1m" in out


def test_a_group_that_reads_the_clock_is_skipped_with_the_reason_up_front(
    runner: Runner, monitoring_copy: Callable[..., Path], tmp_path: Path
) -> None:
    broken = monitoring_copy(
        lambda t: t.replace('absent(up{job="nats"})', 'absent(up{job="nats"}) and on () vector(time()) > 0')
    )
    code, out, results = _replay(runner, broken, SERVICE_DOWN, tmp_path)
    assert code == 0, out
    assert results["groups"][0]["status"] == "skipped"
    first_lines = out.splitlines()[:3]
    assert any("SKIP fluo.rules.test.yml group 1" in line and "reads the clock" in line for line in first_lines), out


def test_ctrl_c_stops_every_group_under_way_and_leaves_nothing(runner: Runner) -> None:
    """Ctrl-C after the first group ended: the groups under way stop at their next evaluation."""
    proc, lines = runner.popen_until("[1/", "replay", "-q", "--parallel", "2", "-k", "fluo.rules.test.yml")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 130, "".join(lines)
    assert "interrupted; everything started was stopped" in "".join(lines)
    assert runner.leftovers() == []


def test_where_the_test_says_an_alert_stops_the_paged_are_told_it_resolved(runner: Runner, tmp_path: Path) -> None:
    code, out, results = _replay(runner, Path("monitoring"), "fluo.meta.test.yml group 4 ", tmp_path)
    assert code == 0, out
    told = [c for c in results["groups"][0]["checks"] if c["kind"] == "resolved"]
    assert {c["name"].split(" → ")[1] for c in told} == {"alerting-degraded", "high-oncall"}, told
    assert all(c["ok"] and c["at_s"] == 180 for c in told), told
