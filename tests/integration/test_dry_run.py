"""`alertdrill run --stack kind|cluster --dry-run`: the whole plan, on a machine with none of kind,
helm, kubectl or docker (like this one), touching nothing."""

from __future__ import annotations

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration


def test_kind_dry_run_prints_commands_in_order_values_and_bounds_without_any_tool(runner: Runner) -> None:
    runner.env["PATH"] = "/usr/bin:/bin"  # no kind, helm, kubectl or docker on it here
    proc = runner.run("run", "--stack", "kind", "--dry-run", timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    kps = out.index("helm upgrade --install kps prometheus-community/kube-prometheus-stack --version 88.5.3")
    assert out.index("kind create cluster") < kps < out.index("helm upgrade --install nats nats/nats")
    assert "kind delete cluster --name alertdrill" in out
    assert "kps.values.yaml" in out and "manifests/workload.yaml" in out
    assert "prometheus    http://127.0.0.1:9090" in out
    service_down = next(line for line in out.splitlines() if "the BFF is killed: ServiceDown" in line)
    assert "for 3s + eval grid 2s + scrape 5s + eval 5s" in service_down  # time scale 10, 5 s intervals
    assert "HighMemoryUsage{" not in out.split("# bounds per drill")[1]  # @local drills do not run on kind
    # the heartbeat (issue 26): its route to the in-cluster recorder, which plays the service
    assert "route: alert Heartbeat -> receiver heartbeat -> http://recorder.alertdrill.svc:8080/receiver/" in out
    assert 'service: the recorder pod, --heartbeat {"receiver":"heartbeat"' in out
    # the runbook drills (issue 31): the on-call's shell, then each command of each runbook as written
    assert "config set-context --current --namespace=alertdrill" in out
    assert "runbooks.yml:17: kubectl get pods --all-namespaces | grep -v Running" in out
    assert "kubectl rollout restart deployment/[deployment-name] -n alertdrill (the remedy: run as the rollback)" in out
    assert "service_down_runbook.feature / the BFF hangs and the runbook's own restart brings it back" in out
    assert "bff           http://127.0.0.1:80" in out  # SOP-004's health check reaches the BFF there
    assert runner.leftovers() == []


def test_cluster_dry_run_installs_only_the_workload_and_says_what_it_reads_at_run_time(runner: Runner) -> None:
    proc = runner.run(
        "run", "--stack", "cluster", "--dry-run",
        "--prometheus-url", "http://prom.example:9090", "--alertmanager-url", "http://am.example:9093",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "kubectl get crd podmonitors.monitoring.coreos.com" in proc.stdout
    assert "kube-prometheus-stack" not in proc.stdout.split("# bounds")[0]
    assert "selectors and evaluation interval are read from it at run time" in proc.stdout


def test_dry_run_on_the_local_stack_is_a_usage_error(runner: Runner) -> None:
    proc = runner.run("run", "--dry-run")
    assert proc.returncode == 2 and "use it with --stack kind or --stack cluster" in proc.stderr
