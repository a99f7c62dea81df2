"""Three outcomes, kept apart (issue 27), on the real local stack: a drill that could not be carried
out is `error`, one whose system was not at its SLOs before the fault is `inconclusive`, and
neither reads like broken monitoring: exit 3, JUnit <error>, not <failure>."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, Runner
from tests.integration.test_drills import CHROMIUM_FLAGS

pytestmark = pytest.mark.integration
KILLED = "the_bff_is_killed"
FEATURE = "features/alerts/service_down.feature"


def _only_drill(runner: Runner) -> dict[str, object]:
    (drill,) = json.loads((runner.report_dir / "results.json").read_text())["drills"]
    return drill


def _junit_case(runner: Runner) -> ET.Element:
    cases = list(ET.parse(runner.report_dir / "junit.xml").getroot().iter("testcase"))
    assert len(cases) == 1
    return cases[0]


def test_a_fault_tool_that_fails_is_an_error_not_a_monitoring_failure(runner: Runner, tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    kill = scenarios / "kill-bff.yaml"
    kill.write_text(kill.read_text().replace("workload: bff", "workload: no-such-workload"))
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    runner.env["GITHUB_STEP_SUMMARY"] = str(summary)  # as on a GitHub Actions job
    proc = runner.run("run", FEATURE, "-q", "-k", KILLED, "--scenarios", str(scenarios))
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-2000:]
    drill = _only_drill(runner)
    assert drill["outcome"] == "error" and "no workload 'no-such-workload'" in str(drill["message"])
    case = _junit_case(runner)
    assert case.find("failure") is None and "error: " in str(case.find("error").get("message"))  # type: ignore[union-attr]
    assert "1 error, 0 inconclusive" in proc.stdout and "- error: the BFF is killed" in proc.stdout
    page = summary.read_text()  # appended to, never replaced: the job page keeps every step's
    assert page.startswith("earlier step\n## alertdrill run ") and ": 0 passed, 1 error" in page
    assert "| ⚠️ error | – | the BFF is killed |" in page and "- **error** the BFF is killed: " in page
    assert runner.leftovers() == []


def test_a_system_out_of_its_slos_before_the_fault_is_inconclusive(
    runner: Runner, monitoring_copy: Callable[..., Path]
) -> None:
    """The p95 objective made impossible (1 µs): measured, and not met, before the fault."""
    monitoring = monitoring_copy(lambda t: t.replace('objective: "< 0.2"', 'objective: "< 0.000001"'), "slo.yml")
    proc = runner.run("run", FEATURE, "-q", "-k", KILLED, "--monitoring", str(monitoring))
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-2000:]
    drill = _only_drill(runner)
    assert drill["outcome"] == "inconclusive", drill["message"]
    assert "not at its SLOs to begin with" in str(drill["message"]) and "bff-latency-p95" in str(drill["message"])
    assert drill["observed"]["fault_at"] is None  # type: ignore[index]  # never injected into an unsteady system
    assert _junit_case(runner).find("error") is not None
    assert runner.leftovers() == []


def test_a_prometheus_that_stops_answering_mid_drill_is_an_error(runner: Runner) -> None:
    """SIGSTOP, from outside, once the fault is in: every query times out (not the drill's doing)."""
    proc, lines = runner.popen_until("fault injected", "run", FEATURE, "-k", KILLED, "--parallel", "1")
    (pid_file,) = runner.state_dir.glob("runs/*/pids/prometheus.json")
    pid = int(json.loads(pid_file.read_text())["pid"])
    os.kill(pid, signal.SIGSTOP)
    try:
        proc.wait(timeout=240)
    finally:
        os.kill(pid, signal.SIGCONT) if os.path.exists(f"/proc/{pid}") else None
    assert proc.returncode == 3, "".join(lines[-60:])
    drill = _only_drill(runner)
    assert drill["outcome"] == "error" and "Prometheus" in str(drill["message"]), drill["message"]
    assert runner.leftovers() == []


OUTSIDE = """Feature: a team's own drill, kept outside features/
  Scenario: an acknowledged P0 cannot escalate
    Given the stack is healthy
    When the scenario "kill-bff" injects its fault
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the on-call acknowledges it within 2 minutes
    And unacknowledged, it escalates to "senior-engineer@fluo.com" after 5 minutes
"""


def test_a_feature_from_outside_features_runs_and_a_silenced_page_names_its_silence(
    runner: Runner, tmp_path: Path
) -> None:
    """Run where it lies (not skipped with "no drill matched"); its escalation, acknowledged on
    purpose, fails with the silence named as the first broken link."""
    feature = tmp_path / "team" / "ack.feature"
    feature.parent.mkdir()
    feature.write_text(OUTSIDE)
    proc = runner.run("run", str(feature), "-q")
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    drill = _only_drill(runner)
    first = str(drill["message"]).splitlines()[0]
    assert "first broken link: not suppressed broke" in first and "silenced: silence " in first, first
    assert "did not escalate to senior-engineer@fluo.com" in str(drill["message"])
    assert runner.leftovers() == []
    # the HTML card draws the chain, the broken link marked: as a browser renders it
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed for this test (scripts/install --browser installs it)"
    profile = tmp_path / "chromium-profile"
    dom = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
         (runner.report_dir / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert '<span class="link held"' in dom and '<span class="link broken"' in dom, dom[-3000:]
    assert "✗ not suppressed" in dom and '<span class="link unreached">routed</span>' in dom
