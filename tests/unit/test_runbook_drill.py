"""Runbook drills through the kube backend's shell, offline: kubectl is mocked (a script on PATH
that answers as a cluster with a crash-looping or hung workload would; no cluster can run here),
while bash, grep and head are the machine's real ones, so pipes, PIPESTATUS and grep's dialect
behave as they do for the on-call."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from alertdrill.config.runbooks import load_runbooks
from alertdrill.drill import runbook as rb
from alertdrill.errors import DrillFailure
from alertdrill.settings import KubeSettings
from alertdrill.stack.kube.runbook_shell import KubeRunbookShell
from alertdrill.stack.kube.tools import SubprocessRunner

REPO = Path(__file__).parents[2]

FAKE_KUBECTL = r'''#!/usr/bin/env python3
"""A mocked kubectl: logs its argv, answers from the scene in $FAKE_SCENE."""
import json, os, sys
args = sys.argv[1:]
scene = json.load(open(os.environ["FAKE_SCENE"]))
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps({"argv": args, "kubeconfig": os.environ.get("KUBECONFIG")}) + "\n")
valued = {"--context", "--kubeconfig", "--namespace", "-n", "--selector", "-l", "--output", "-o"}
words, skip = [], False
for a in args:
    if skip:
        skip = False
    elif a in valued:
        skip = True
    elif not a.startswith("-"):
        words.append(a)
def out(text, code=0, err=""):
    sys.stdout.write(text); sys.stderr.write(err); sys.exit(code)
if words[:2] == ["config", "view"]:
    out("apiVersion: v1\nkind: Config\ncurrent-context: kind-alertdrill\n")
if words[:2] == ["config", "set-context"]:
    out("Context modified.\n")
if words[:2] == ["get", "pods"] and "json" in args:
    out(json.dumps({"items": scene["pods"]}))
if words[:2] == ["get", "pods"]:
    rows = ["NAMESPACE    NAME   READY   STATUS   RESTARTS   AGE"]
    for p in scene["pods"]:
        rows.append(f"alertdrill   {p['metadata']['name']}   {p['ready']}   {p['status_text']}   0   1m")
    out("\n".join(rows) + "\n")
if words[:2] == ["describe", "pod"]:
    name = words[2]
    if name not in [p["metadata"]["name"] for p in scene["pods"]]:
        out("", 1, f'Error from server (NotFound): pods "{name}" not found\n')
    out(f"Name:         {name}\nNamespace:    alertdrill\nStatus:       Running\n")
if words[:2] == ["get", "events"]:
    out("LAST SEEN   TYPE      REASON    OBJECT\n1m          Warning   BackOff   pod/workers-b\n")
if words[:1] == ["top"]:
    out("", 1, "error: Metrics API not available\n")
if words[:2] == ["rollout", "restart"]:
    out(f"{words[2]} restarted\n")
if words[:2] == ["rollout", "status"]:
    count = os.environ["FAKE_LOG"] + ".status"
    n = int(open(count).read()) + 1 if os.path.exists(count) else 1
    open(count, "w").write(str(n))
    if n < scene.get("healthy_after", 1):
        out("", 1, "error: timed out waiting for the condition\n")
    out("deployment successfully rolled out\n")
out("", 1, f"error: unknown command {args}\n")
'''


def _pod(name: str, ready: bool, status_text: str, node: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"nodeName": node},
        "status": {"containerStatuses": [{"ready": ready}]},
        "ready": "1/1" if ready else "0/1",
        "status_text": status_text,
    }


CRASHLOOP = [
    _pod("workers-a", True, "Running", "kind-worker"),
    _pod("workers-b", False, "CrashLoopBackOff", "kind-worker2"),
]
HUNG_BFF = [_pod("bff-7d9", False, "Running", "kind-control-plane")]


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """kubectl mocked on PATH; returns a function that sets the scene and gives the call log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(FAKE_KUBECTL)
    kubectl.chmod(kubectl.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SCENE", str(tmp_path / "scene.json"))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "kubectl.log"))

    def scene(pods: list[dict[str, Any]], **extra: Any) -> Path:
        (tmp_path / "scene.json").write_text(json.dumps({"pods": pods, **extra}))
        return tmp_path / "kubectl.log"

    return scene


def _shell(tmp_path: Path) -> KubeRunbookShell:
    return KubeRunbookShell(KubeSettings(), "kind-alertdrill", SubprocessRunner(), tmp_path)


def _drill(tmp_path: Path, runbooks_root: Path, alert: str) -> tuple[Any, Any]:
    shell = _shell(tmp_path)
    monitoring = SimpleNamespace(runbooks=load_runbooks(runbooks_root), root=runbooks_root)
    drill = SimpleNamespace(
        expect=SimpleNamespace(monitoring=monitoring),
        stack=SimpleNamespace(runbook_shell=lambda: shell),
        evidence=SimpleNamespace(runbook=[]),
    )
    page = SimpleNamespace(alert=alert, what=f"{alert}{{...}}")
    return drill, page


def test_the_shell_points_kubectl_at_the_namespace_and_fills_the_broken_pod_mocked_kubectl(
    cluster: Any, tmp_path: Path
) -> None:
    log = cluster(CRASHLOOP)
    shell = _shell(tmp_path)
    assert shell.placeholders("workers") == {
        "deployment-name": "workers",
        "namespace": "alertdrill",
        "pod-name": "workers-b",  # the one that is not ready
        "node-name": "kind-worker2",
    }
    run = shell.run('kubectl get pods --all-namespaces | grep -v Running | grep -i "5\\d\\d"')
    assert run.statuses == (0, 0, 1)  # bash's PIPESTATUS: kubectl, grep -v, and grep selecting nothing
    assert rb.stage_failure(run) is None
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls[-1]["kubeconfig"] == str(tmp_path / "runbook.kubeconfig")
    assert ["--kubeconfig", str(tmp_path / "runbook.kubeconfig"), "config", "set-context", "--current",
            "--namespace=alertdrill"] in [c["argv"] for c in calls]  # fmt: skip
    top = shell.run("kubectl top nodes")
    assert rb.stage_failure(top) == "kubectl exited 1: error: Metrics API not available"


def test_fluos_service_down_runbook_names_the_crash_looping_pod_mocked_kubectl(cluster: Any, tmp_path: Path) -> None:
    cluster(CRASHLOOP)
    drill, page = _drill(tmp_path, REPO / "monitoring", "PodCrashLooping")
    ran = rb.run_runbook(drill, page, "Service Down Response", "workers")
    steps = {s["line"]: s for s in drill.evidence.runbook}
    assert sorted(steps) == [17, 20, 23]  # the remedy and the health check are the rollback's
    assert steps[17]["verdict"] == "ok" and "works here, though `alertdrill check` finds" in steps[17]["why"]
    assert "workers-b" in steps[17]["output"] and steps[20]["command"] == "kubectl describe pod workers-b -n alertdrill"
    assert ran.values["pod-name"] == "workers-b"


def test_a_hung_pod_hidden_by_grep_v_running_is_found_by_no_step_of_the_sops_runbook_mocked_kubectl(
    cluster: Any, tmp_path: Path
) -> None:
    """The hung BFF runs but is not ready: `grep -v Running` hides it (a finding `check` predicts),
    and `describe pod bff-7d9` only echoes the name the drill filled in: nothing found it."""
    cluster(HUNG_BFF)
    drill, page = _drill(tmp_path, REPO / "monitoring", "ServiceDown")
    with pytest.raises(
        DrillFailure, match="no step of 'Service Down Response' marked names_broken named the broken bff"
    ):
        rb.run_runbook(drill, page, "Service Down Response", "bff")
    first, describe = drill.evidence.runbook[:2]
    assert first["verdict"] == "finding"
    assert first["why"].startswith("its output names none of ['bff', 'bff-7d9']; as `alertdrill check` finds:")
    assert describe["verdict"] == "ok" and describe["why"] == "it can only echo the names filled into it"


def test_statuses_line_up_with_the_last_pipeline_and_redirections_mocked_kubectl(cluster: Any, tmp_path: Path) -> None:
    cluster(CRASHLOOP)
    shell = _shell(tmp_path)
    top = shell.run("kubectl top nodes 2>&1 | grep -i error")
    assert top.statuses == (1, 0) and rb.stage_failure(top) is not None and rb.stage_failure(top).startswith("kubectl")
    quiet = shell.run("true && kubectl get pods --all-namespaces | grep -i nothing-like-this")
    assert quiet.statuses == (0, 1) and rb.stage_failure(quiet) is None  # grep found nothing: not a failure


def test_a_command_that_hangs_is_stopped_with_its_whole_pipeline(tmp_path: Path) -> None:
    """Real bash, no kubectl needed: a hung stage is killed with its process group, not left behind."""
    shell = _shell(tmp_path)
    shell._kubeconfig = tmp_path / "unused.kubeconfig"  # no cluster: skip fetching one
    marker = f"alertdrill-hang-{os.getpid()}"
    run = shell.run(f"sleep 30 | cat # {marker}", timeout_s=0.5)
    assert run.returncode == 124 and "did not finish within" in run.stderr
    assert rb.stage_failure(run) is not None
    ps = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False)
    assert ps.stdout.strip() == ""


OWN = """\
runbooks:
- name: Checkout Down
  alerts: [CheckoutDown]
  steps:
  - say: describe the pod
    run: kubectl describe pod [pod-name] -n [namespace]
    names_broken: true
  - say: restart
    run: kubectl rollout restart deployment/[deployment-name] -n [namespace]
    remedy: true
  - say: wait for it
    run: kubectl rollout status deployment/[deployment-name] -n [namespace]
    health_check: true
"""


def test_a_command_that_fails_unpredicted_fails_the_drill_at_its_line_mocked_kubectl(
    cluster: Any, tmp_path: Path
) -> None:
    """Negative twin: the pod the runbook describes is gone (describe answers NotFound)."""
    cluster([])  # no pod left: [pod-name] stays unfilled
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "runbooks.yml").write_text(OWN)
    drill, page = _drill(tmp_path, tmp_path / "own", "CheckoutDown")
    with pytest.raises(DrillFailure) as failed:
        rb.run_runbook(drill, page, "Checkout Down", "checkout")
    message = str(failed.value)
    assert f"{tmp_path / 'own' / 'runbooks.yml'}:6 `kubectl describe pod [pod-name] -n alertdrill`" in message
    assert "kubectl exited 1: Error from server (NotFound)" in message
    assert "no step of 'Checkout Down' marked names_broken named the broken checkout" in message


def test_the_remedy_restarts_and_waits_for_the_health_check_mocked_kubectl(
    cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = cluster([_pod("checkout-1", False, "Running", "n1")], healthy_after=3)
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "runbooks.yml").write_text(OWN)
    drill, page = _drill(tmp_path, tmp_path / "own", "CheckoutDown")
    monkeypatch.setattr(rb, "POLL_S", 0.05)
    rb.remedy(drill, page, "Checkout Down", "checkout")()
    argvs = [json.loads(line)["argv"] for line in log.read_text().splitlines()]
    assert ["rollout", "restart", "deployment/checkout", "-n", "alertdrill"] in argvs
    assert argvs.count(["rollout", "status", "deployment/checkout", "-n", "alertdrill"]) == 3  # until it passed


def test_a_health_check_that_never_passes_fails_within_the_sops_five_minutes_mocked_kubectl(
    cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster([_pod("checkout-1", False, "Running", "n1")], healthy_after=10**6)
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "runbooks.yml").write_text(OWN)
    drill, page = _drill(tmp_path, tmp_path / "own", "CheckoutDown")
    monkeypatch.setattr(rb, "SOP_RECOVERY_S", 6.0)  # the SOP's 5 minutes, shortened for the test
    monkeypatch.setattr(rb, "POLL_S", 0.05)
    never = r"runbooks.yml:12 `kubectl rollout status deployment/checkout -n alertdrill` did not pass within SOP-004's"
    with pytest.raises(DrillFailure, match=never + r" .* timed out waiting"):
        rb.remedy(drill, page, "Checkout Down", "checkout")()


def test_the_local_stack_has_no_runbook_shell_and_says_why() -> None:
    from alertdrill.errors import FaultError
    from alertdrill.stack.local.stack import LocalStack

    with pytest.raises(FaultError, match="runbook drills are @kind"):
        LocalStack.runbook_shell(None)  # type: ignore[arg-type]
