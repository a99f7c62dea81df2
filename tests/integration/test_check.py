"""`alertdrill check` and `alertdrill mutate` with the real promtool and amtool (no stack)."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, Runner

pytestmark = pytest.mark.integration


def test_check_passes_on_fluo_and_writes_junit(runner: Runner, tmp_path: Path) -> None:
    junit = tmp_path / "check.xml"
    proc = runner.run("check", "--junit", str(junit))
    assert proc.returncode == 0, proc.stdout
    assert re.search(r"passed in [\d.]+s", proc.stdout)
    assert re.search(r"DiskSpaceRunningLow +medium +yes +severity only +yes +medium-oncall", proc.stdout)
    assert re.search(r"Heartbeat +none +yes +named +yes +heartbeat\n", proc.stdout)  # the heartbeat drills
    assert "meta-monitoring: 1/1 passed" in proc.stdout
    assert (
        "runbooks: 7/7 passed" in proc.stdout
        and "ACCEPTED Infrastructure Alert Response / Check resource usage" in proc.stdout
    )
    suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
    assert {"syntax", "rule tests", "routing tests", "policy lint", "coverage"} <= set(suites)
    assert all(s.get("failures") == "0" for s in suites.values())


def test_check_fails_on_the_sop_as_written_naming_file_and_rule(runner: Runner) -> None:
    proc = runner.run("check", "--monitoring", str(REPO / "tests" / "fixtures" / "sop004-as-written"))
    assert proc.returncode == 1, proc.stdout
    for needle in (
        "sop004.rules.yml: rule 'MessageQueueBacklog': metric nats_jetstream_stream_messages",
        "sop004.rules.yml: rule 'KubernetesNodeDown': no scrape job 'kubernetes-nodes'",
        "sop004.rules.yml: rule 'HighErrorRate': an annotation prints $value with humanizePercentage",
    ):
        assert needle in proc.stdout


@pytest.mark.parametrize(
    ("file", "edit", "needle"),
    [
        (
            "rules/fluo.rules.yml",
            lambda t: t.replace("  - alert: HighLatency", "  - alert: [HighLatency"),
            "fluo.rules.yml:55:9: YAML error",
        ),
        (
            "tests/fluo.rules.test.yml",
            lambda t: t.replace("alertname: HighLatency", "alertname: HighLatencyy", 1),
            "fluo.rules.test.yml:106: alert_rule_test names unknown alert 'HighLatencyy'",
        ),
        (
            "alertmanager/alertmanager.yml",
            lambda t: t.replace("receiver: high-team-lead", "receiver: team-lead"),
            "uses undefined receiver 'team-lead'",
        ),
    ],
)
def test_bad_input_is_a_located_error_exit_2(
    runner: Runner, monitoring_copy: Callable[..., Path], file: str, edit: Callable[[str], str], needle: str
) -> None:
    broken = monitoring_copy(edit, file)
    proc = runner.run("check", "--monitoring", str(broken))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_mutate_scores_fluo_at_least_95_percent(runner: Runner, tmp_path: Path) -> None:
    junit = tmp_path / "mutate.xml"
    proc = runner.run("mutate", "--min-score", "95", "--junit", str(junit))
    assert proc.returncode == 0, proc.stdout
    score = float(re.search(r"mutation score ([\d.]+)%", proc.stdout).group(1))  # type: ignore[union-attr]
    assert score >= 95
    assert ET.parse(junit).getroot().get("tests") is not None


def test_mutate_reports_survivors_when_tests_are_missing(runner: Runner, monitoring_copy: Callable[..., Path]) -> None:
    weak = monitoring_copy()
    (weak / "tests" / "fluo.rules.test.yml").unlink()  # no rule tests: every rule mutant survives
    proc = runner.run("mutate", "--monitoring", str(weak), "--min-score", "95", "--diffs", "1000")
    assert proc.returncode == 1
    # the summary comes first and names what no test covers
    summary = proc.stdout.split("survivor(s)")[0]
    assert "alerts no rule test names: ServiceDown, HighErrorRate" in summary
    assert "SURVIVED rules KubernetesNodeDown: threshold 0 -> 1" in proc.stdout
    assert "SURVIVED rules ServiceDown: comparison == -> !=" in proc.stdout  # reached inside its `or`
    # a survivor's diff is of its rule, named by file and group
    assert "--- fluo.rules.yml group 'critical.rules' (original)" in proc.stdout
    assert '+expr: up{job="node-exporter"} == 1' in proc.stdout


def test_mutate_refuses_a_failing_baseline_and_can_leave_it_out(
    runner: Runner, monitoring_copy: Callable[..., Path]
) -> None:
    """Tests that fail on the unmutated config would 'kill' every mutant: exit 2, naming the group."""

    def break_one_expectation(text: str) -> str:
        at = text.index("severity: critical", text.index("exp_labels:"))
        return text[:at] + "severity: high" + text[at + len("severity: critical") :]

    broken = monitoring_copy(break_one_expectation, "tests/fluo.rules.test.yml")
    proc = runner.run("mutate", "--monitoring", str(broken))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "fluo.rules.test.yml: test group 'ServiceDown fires after 30s down" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = runner.run("mutate", "--monitoring", str(broken), "--drop-failing-baseline", "--diffs", "0")
    assert (
        "left out: fluo.rules.test.yml: test group" in proc.stdout
        and "(failing on the unmutated config)" in proc.stdout
    )
    assert re.search(r"mutation score [\d.]+%", proc.stdout)


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("metrics.yml", "metrics: [a]\nprefixes: 3\n", "metrics.yml: 'prefixes' must be a list of names"),
        ("policy.yml", "alerts:\n  ServiceDown: {threshold: zero}\n", "alerts.ServiceDown.threshold must be a number"),
        ("policy.yml", "escalation_policies:\n  critical: [{notify: [a@b]}]\n",
         "escalation_policies.critical[0] needs 'notify'"),
    ],
)  # fmt: skip
def test_a_typo_in_a_team_file_is_a_located_error_before_any_promtool_work(
    runner: Runner, monitoring_copy: Callable[..., Path], file: str, text: str, message: str
) -> None:
    root = monitoring_copy()
    (root / file).write_text(text)
    for command in ("check", "mutate"):
        start = time.monotonic()
        proc = runner.run(command, "--monitoring", str(root))
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert time.monotonic() - start < 10  # before the promtool work, not after it


def test_rules_in_sub_directories_are_read_and_tested(runner: Runner, monitoring_copy: Callable[..., Path]) -> None:
    root = monitoring_copy()
    (root / "rules" / "fluo").mkdir()
    (root / "rules" / "fluo.rules.yml").rename(root / "rules" / "fluo" / "fluo.rules.yml")
    test = root / "tests" / "fluo.rules.test.yml"
    test.write_text(test.read_text().replace("../rules/fluo.rules.yml", "../rules/fluo/fluo.rules.yml"))
    proc = runner.run("check", "--monitoring", str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rule tests: 3/3 passed" in proc.stdout  # fluo.rules, fluo.slo and fluo.meta tests


def test_init_policy_drafts_what_the_config_does_and_never_overwrites(
    runner: Runner, monitoring_copy: Callable[..., Path]
) -> None:
    root = monitoring_copy()
    (root / "policy.yml").unlink()
    (root / "accepted.yml").unlink()
    (root / "runbooks.yml").unlink()  # its SOP findings are kept passing by accepted.yml, gone here
    proc = runner.run("check", "--monitoring", str(root), "--init-policy")
    assert proc.returncode == 0 and "wrote " in proc.stdout, proc.stdout + proc.stderr
    drafted = (root / "policy.yml").read_text()
    assert "paging_severities:\n- critical\n- high\n- medium" in drafted
    assert "- senior-engineer@fluo.com\n    after: 5m" in drafted  # the escalation timeline, as routed
    # the always-firing alert routed to a webhook, drafted as the heartbeat (not a paging severity)
    assert "meta_monitoring:\n  heartbeat:\n    alert: Heartbeat\n    receiver: heartbeat\n    period: 1m" in drafted
    assert "- none" not in drafted
    proc = runner.run("check", "--monitoring", str(root), "--init-policy")
    assert proc.returncode == 2 and "never overwrites" in proc.stderr


BYO = REPO / "tests" / "fixtures" / "byo-layout"


def test_a_teams_own_layout_is_checked_and_mutated_where_it_is(runner: Runner, tmp_path: Path) -> None:
    """alertdrill.yml names the files; tests.yaml's rule_files stay relative to it, as for promtool.
    The fixture's one ratio is a recording rule's output: no humanizePercentage false alarm."""
    proc = runner.run("check", "--monitoring", str(BYO), "--junit", str(tmp_path / "c.xml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rule tests: 1/1 passed" in proc.stdout and "policy lint: 1/1 passed" in proc.stdout
    proc = runner.run("mutate", "--monitoring", str(BYO), "--diffs", "0", "--junit", str(tmp_path / "m.xml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"mutation score [\d.]+%: (1\d|[2-9]\d) of", proc.stdout)  # the tests ran against mutants
    # a finding about the fixture's own tests: nothing checks the `and volume_used_bytes > 0` clause
    assert "SURVIVED rules VolumeAlmostFull: and clause volume_used_bytes{} > 0 dropped" in proc.stdout


PROMETHEUS_3_SYNTAX = REPO / "tests" / "fixtures" / "prometheus3-syntax"


def test_prometheus_3_syntax_passes_check_on_the_current_promtool(runner: Runner, tmp_path: Path) -> None:
    """Quoted UTF-8 names (OpenTelemetry's dotted metrics): the team's own rule test runs for real."""
    proc = runner.run(
        "check", "--monitoring", str(PROMETHEUS_3_SYNTAX), "--versions", "current", "--junit", str(tmp_path / "c.xml")
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rule tests: 1/1 passed" in proc.stdout


def test_prometheus_3_syntax_on_promtool_2_is_a_located_line_naming_the_version(runner: Runner, tmp_path: Path) -> None:
    proc = runner.run(
        "check", "--monitoring", str(PROMETHEUS_3_SYNTAX), "--versions", "debian", "--junit", str(tmp_path / "c.xml")
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert re.match(
        r'alertdrill: error: \S+prometheus3-syntax/prometheus/alerts.yaml: 5:11: group "checkout", rule 1', line
    )
    assert re.search(r"\(promtool 2\.42\.\S+, which predates Prometheus 3: .* need `--versions current`", line)
