"""The offline runbook reading: each kind of command that cannot work as written is found, at its
line, with a fix, and the same command written correctly is not (a runbook fixture of our own,
not FLUO's). The grep finding's premise is proven on the machine's real GNU grep."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from alertdrill.check.runbook_lint import in_cluster_host, lint_runbooks, pipeline, pipelines
from alertdrill.config.runbooks import load_runbooks
from alertdrill.errors import ConfigError

FIXTURE = """\
cluster:
  metrics_api: {metrics_api}
  namespaces: [payments]
runbooks:
- name: Checkout Down
  alerts: [CheckoutDown]
  steps:
  - say: perl digits in grep
    run: kubectl logs deploy/checkout --tail=-1 | grep -E "HTTP 5\\d{{2}}"
  - say: the same, in grep's own syntax
    run: kubectl logs deploy/checkout --tail=-1 | grep -E "HTTP 5[0-9]{{2}}"
  - say: the same, read as Perl
    run: kubectl logs deploy/checkout --tail=-1 | grep -P "HTTP 5\\d{{2}}"
  - say: logs by label, no tail
    run: kubectl logs -l app=checkout --since=30m
  - say: logs by label, all lines
    run: kubectl logs --selector=app=checkout --since=30m --tail=-1
  - say: usage
    run: kubectl top pods -n payments
  - say: in-cluster service by namespace
    run: curl -fsS http://ledger.payments:8080/health
  - say: in-cluster service, one label
    run: curl -fsS http://alertmanager:9093/-/healthy
  - say: public name
    run: curl -fsS https://status.example.com/health
  - say: loopback ingress
    run: curl -f http://checkout.localhost/health
  - say: pods not running, as the SOP filters them
    run: kubectl get pods -A | grep -v Running
  - say: pods not running or not ready
    run: kubectl get pods -A | grep -Ev ' ([0-9]+)/\\1 +Running '
  - say: a placeholder nothing fills
    run: kubectl describe pod [pod-id] -n [namespace]
"""


def _findings(tmp_path: Path, metrics_api: str = "false") -> dict[str, list[str]]:
    (tmp_path / "runbooks.yml").write_text(FIXTURE.format(metrics_api=metrics_api))
    runbooks = load_runbooks(tmp_path)
    assert runbooks is not None
    out: dict[str, list[str]] = {}
    for f in lint_runbooks(runbooks):
        out.setdefault(f.step, []).append(str(f))
    return out


def test_each_kind_is_found_at_its_line_and_the_correct_twin_is_not(tmp_path: Path) -> None:
    found = _findings(tmp_path)
    assert set(found) == {
        "perl digits in grep",
        "logs by label, no tail",
        "usage",
        "in-cluster service by namespace",
        "in-cluster service, one label",
        "a placeholder nothing fills",
        "pods not running, as the SOP filters them",
    }
    (grep,) = found["perl digits in grep"]
    assert grep.startswith(f"{tmp_path / 'runbooks.yml'}:9: ")
    assert 'matches "HTTP 5d{2}"' in grep and "fix: write `grep -E 'HTTP 5[0-9]{2}'`" in grep  # -E kept
    assert found["logs by label, no tail"] == [
        f"{tmp_path / 'runbooks.yml'}:15: `kubectl logs -l app=checkout --since=30m`: with a label selector "
        "`kubectl logs` prints only the last 10 lines of each pod (--tail defaults to 10 with -l), so "
        "--since=30m reads at most 10 lines per pod; fix: add --tail=-1"
    ]
    assert "Metrics API not available" in found["usage"][0]
    assert "kubectl port-forward -n payments svc/ledger" in found["in-cluster service by namespace"][0]
    assert "alertmanager is a Kubernetes Service name" in found["in-cluster service, one label"][0]
    assert "nothing fills [pod-id]" in found["a placeholder nothing fills"][0]
    assert "hides exactly the pod that is down" in found["pods not running, as the SOP filters them"][0]


@pytest.mark.skipif(shutil.which("grep") is None, reason="no grep on this machine")
def test_grep_v_running_hides_a_running_pod_that_is_not_ready_and_the_fix_does_not() -> None:
    """The premise of the finding, on the real grep, with `kubectl get pods -A` as it prints."""
    listing = (
        "NAMESPACE   NAME        READY   STATUS             RESTARTS   AGE\n"
        "alertdrill  bff-7d9     0/1     Running            0          5m\n"
        "alertdrill  bff-8e1     1/1     Running            0          5m\n"
        "alertdrill  workers-1   0/1     CrashLoopBackOff   4          2m\n"
        "monitoring  prom-0      2/2     Running            0          9m\n"
    )

    def shown(*args: str) -> list[str]:
        out = subprocess.run(["grep", *args], input=listing, capture_output=True, text=True, check=False)
        return [line.split()[1] for line in out.stdout.splitlines()[1:]]

    assert shown("-v", "Running") == ["workers-1"]  # the hung BFF pod is hidden
    assert shown("-Ev", " ([0-9]+)/\\1 +Running ") == ["bff-7d9", "workers-1"]


def test_kubectl_top_is_fine_where_the_cluster_has_the_metrics_api(tmp_path: Path) -> None:
    assert "usage" not in _findings(tmp_path, metrics_api="true")


@pytest.mark.parametrize(
    ("host", "in_cluster"),
    [
        ("nats.fluo-queue", True),
        ("prometheus.monitoring.svc", True),
        ("bff.alertdrill.svc.cluster.local", True),
        ("alertmanager", True),
        ("ledger.payments", True),  # a namespace the runbooks name
        ("fluo-api.localhost", False),
        ("localhost", False),
        ("127.0.0.1", False),
        ("grafana.example.com", False),
        ("status.io", False),
    ],
)
def test_in_cluster_hosts(host: str, in_cluster: bool) -> None:
    assert in_cluster_host(host, ("payments",)) is in_cluster


@pytest.mark.parametrize(
    ("command", "found"),
    [
        ('kubectl logs deploy/x --tail=-1 | grep -m 5 "\\d"', "GNU grep has no"),  # -m takes a value
        ('kubectl logs deploy/x --tail=-1 | grep -v "\\d"', "write `grep -v '[0-9]'`"),  # -v kept
        ("kubectl -n payments top pods", "Metrics API not available"),  # -n takes a value
        ("kubectl logs -lapp=checkout --since=5m", "--tail defaults to 10 with -l"),
        ("kubectl logs deploy/x --tail=-1 2>&1 | grep -E 'HTTP 5[0-9]{2}'", None),
    ],
)
def test_options_with_values_and_redirections_are_read_as_the_tools_read_them(
    tmp_path: Path, command: str, found: str | None
) -> None:
    (tmp_path / "runbooks.yml").write_text(f"runbooks:\n- name: X\n  steps:\n  - run: {json.dumps(command)}\n")
    runbooks = load_runbooks(tmp_path)
    assert runbooks is not None
    got = [str(f) for f in lint_runbooks(runbooks)]
    if found is None:
        assert got == []
    else:
        assert len(got) == 1 and found in got[0], got


def test_pipeline_splits_stages_and_unquotes_as_the_shell_does() -> None:
    assert pipeline("""kubectl logs -l app=bff --since=1h | grep -i "5\\d\\d" | head -20""") == [
        ["kubectl", "logs", "-l", "app=bff", "--since=1h"],
        ["grep", "-i", "5\\d\\d"],
        ["head", "-20"],
    ]
    # PIPESTATUS describes the last pipeline only; redirections stay out of the argv
    assert pipelines("a && kubectl logs x 2>&1 | grep err; b > /dev/null") == [
        [["a"]],
        [["kubectl", "logs", "x"], ["grep", "err"]],
        [["b"]],
    ]


@pytest.mark.skipif(shutil.which("grep") is None, reason="no grep on this machine")
def test_gnu_grep_reads_backslash_d_as_a_plain_d_and_the_fix_matches_5xx() -> None:
    """The premise of the grep finding, on the real grep: SOP-004's pattern never matches a 5xx."""
    log = "GET /api/jobs 503\nGET /api/5dd 200\n"

    def grep(pattern: str) -> list[str]:
        out = subprocess.run(["grep", "-i", pattern], input=log, capture_output=True, text=True, check=False)
        return out.stdout.splitlines()

    assert grep("5\\d\\d") == ["GET /api/5dd 200"]
    assert grep("5[0-9][0-9]") == ["GET /api/jobs 503"]


def test_a_step_without_a_command_is_one_located_line(tmp_path: Path) -> None:
    (tmp_path / "runbooks.yml").write_text("runbooks:\n- name: X\n  steps:\n  - say: nothing to run\n")
    with pytest.raises(ConfigError, match=r"runbooks.yml:4: 'X' step 1 needs 'run:'"):
        load_runbooks(tmp_path)


def test_fluo_runbooks_as_sop_004_writes_them_have_seven_findings() -> None:
    runbooks = load_runbooks(Path(__file__).parents[2] / "monitoring")
    assert runbooks is not None
    lines = sorted(f.line for f in lint_runbooks(runbooks))
    assert lines == [17, 34, 37, 37, 40, 52, 54]


@pytest.mark.parametrize(
    ("step", "error"),
    [
        ("  - run: kubectl get pods\n    names_broke: true\n", r"runbooks.yml:6: 'X' step 1 has no key 'names_broke'"),
        ("  - run: kubectl get pods\n    remedy: yes\n", r"runbooks.yml:6: remedy must be true or false, not 'yes'"),
    ],
)
def test_a_misspelt_key_or_a_flag_that_is_not_a_boolean_is_one_located_line(
    tmp_path: Path, step: str, error: str
) -> None:
    (tmp_path / "runbooks.yml").write_text("runbooks:\n- name: X\n  alerts: [A]\n  steps:\n" + step)
    with pytest.raises(ConfigError, match=error):
        load_runbooks(tmp_path)
