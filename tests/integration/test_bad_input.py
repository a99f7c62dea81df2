"""Bad input gives a short located error and exit code 2, never a traceback."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from alertdrill.runtime.upstream import current_bin_dir
from tests.conftest import Runner

pytestmark = pytest.mark.integration


def _assert_clean_usage_error(proc, *needles: str) -> None:  # type: ignore[no-untyped-def]
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out[-3000:]
    for needle in needles:
        assert needle in out, out[-3000:]
    assert "Traceback" not in out, out[-3000:]


def test_yaml_error_in_rules_names_file_and_line(runner: Runner, monitoring_copy: Callable[..., Path]) -> None:
    broken = monitoring_copy(lambda t: t.replace("    for: 30s\n", "    for: [30s\n", 1))
    proc = runner.run("run", "-q", "--monitoring", str(broken))
    _assert_clean_usage_error(proc, "fluo.rules.yml:9:", "YAML error")


def test_undefined_receiver_in_alertmanager_config(runner: Runner, monitoring_copy: Callable[..., Path]) -> None:
    broken = monitoring_copy(
        lambda t: t.replace("receiver: medium-oncall", "receiver: medium-oncal"),
        "alertmanager/alertmanager.yml",
    )
    proc = runner.run("run", "-q", "--monitoring", str(broken))
    _assert_clean_usage_error(proc, "alertmanager.yml: route.routes[8] uses undefined receiver 'medium-oncal'")


def test_step_without_definition_names_feature_and_line(runner: Runner, project_copy: Path) -> None:
    (project_copy / "features" / "alerts" / "typo.feature").write_text(
        "Feature: typo\n\n  Scenario: a step nobody defined\n    Given the stack is healthy\n"
        "    When the BFF is set on fire\n"
    )
    runner.cwd = project_copy
    proc = runner.run("run", "-q", "features/alerts/typo.feature")
    _assert_clean_usage_error(proc, "typo.feature:5: no step definition matches 'When the BFF is set on fire'")
    out = proc.stdout + proc.stderr  # bad input, before any stack starts: no banner, not "interrupted"
    assert "!!!" not in out and "interrupted" not in out and not (runner.state_dir / "runs").exists(), out


def test_a_team_directory_without_prometheus_says_what_it_must_hold(runner: Runner, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("promtool", "amtool", "alertmanager", "node_exporter"):
        os.symlink(current_bin_dir() / tool, bin_dir / tool)
    runner.env["ALERTDRILL_VERSIONS"] = str(bin_dir)
    proc = runner.run("run", "-q")
    _assert_clean_usage_error(proc, f"--versions {bin_dir}: no prometheus there", "holds prometheus, promtool")
    assert runner.leftovers() == []


def test_current_versions_not_built_say_how_to_build_them(runner: Runner, tmp_path: Path) -> None:
    runner.env["ALERTDRILL_CACHE_DIR"] = str(tmp_path / "empty-cache")
    proc = runner.run("run", "-q")
    _assert_clean_usage_error(proc, "promtool 3.14.0 is not built yet", "run `scripts/install`", "--versions debian")
    assert runner.leftovers() == []


def test_occupied_port_names_port_and_fix(runner: Runner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = runner.run("run", "-q", "--port", f"prometheus={port}")
    _assert_clean_usage_error(proc, f"port {port} for prometheus on 127.0.0.1 is already in use")
    assert runner.leftovers() == []


def test_unwritable_report_dir(runner: Runner, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    runner.report_dir = tmp_path / "file" / "reports"
    proc = runner.run("run", "-q")
    _assert_clean_usage_error(proc, "is not writable", "--report-dir")


def test_malformed_feature_is_bad_input(runner: Runner, project_copy: Path) -> None:
    (project_copy / "features" / "alerts" / "broken.feature").write_text(
        "Feature: broken\n  Scenario: no steps\n    Given the stack is healthy\n  Oops this is not gherkin\n"
    )
    runner.cwd = project_copy
    proc = runner.run("run", "-q", "features/alerts/broken.feature")
    assert proc.returncode == 2, proc.stdout[-3000:]
    # one located line, before any stack starts (no pytest banner)
    assert "broken.feature:4: not Gherkin" in proc.stderr and "Oops this is not gherkin" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr and "!!!" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        (
            '    Then alert "NoSuchAlert" fires for job "bff" after holding for 30 seconds\n',
            "unknown alert 'NoSuchAlert'",
        ),
        (
            '    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds\n'
            '    And it is notified to exactly "nobody-oncall"\n',
            "unknown receiver(s) ['nobody-oncall']",
        ),
    ],
)
def test_unknown_alert_or_receiver_in_a_step(runner: Runner, project_copy: Path, line: str, needle: str) -> None:
    (project_copy / "features" / "alerts" / "typo.feature").write_text(
        "Feature: typo\n\n  Scenario: a name that does not exist\n    Given the stack is healthy\n"
        '    When the scenario "kill-bff" injects its fault\n' + line
    )
    runner.cwd = project_copy
    proc = runner.run("run", "-q", "features/alerts/typo.feature")
    _assert_clean_usage_error(proc, "typo.feature:", needle)
    assert runner.leftovers() == []


def test_bad_yaml_in_a_scenario(runner: Runner, project_copy: Path) -> None:
    (project_copy / "scenarios" / "kill-bff.yaml").write_text("title: [unclosed\nmethod: []\n")
    runner.cwd = project_copy
    proc = runner.run("run", "-q", "features/alerts/service_down.feature", "-k", "killed and bff")
    _assert_clean_usage_error(proc, "kill-bff.yaml:", "YAML error")
    assert runner.leftovers() == []


def test_bad_input_met_by_a_parallel_worker_stops_the_run_with_its_line(runner: Runner, project_copy: Path) -> None:
    """A worker cannot end the session itself (xdist would call it a crash): the controller
    stops every worker and says the worker's located line, exit code 2."""
    (project_copy / "features" / "alerts" / "typo.feature").write_text(
        "Feature: typo\n\n  Scenario: a step nobody defined\n    Given the stack is healthy\n"
        "    When the BFF is set on fire\n\n  Scenario: a fine one\n    Given the stack is healthy\n"
    )
    runner.cwd = project_copy
    proc = runner.run("run", "-q", "--parallel", "2", "features/alerts/typo.feature")
    _assert_clean_usage_error(proc, "typo.feature:5: no step definition matches 'When the BFF is set on fire'")
    assert "INTERNALERROR" not in proc.stdout
    assert runner.leftovers() == []
