"""Every infrastructure timeout of alertdrill, in one table (as the Kubernetes e2e framework's
`TimeoutContext`): how long the harness gives a tool, a server, a request or a cluster operation
before it calls the run broken.

Why one table: these numbers are guards against a hung harness, not verdicts about monitoring —
a drill's bounds are derived from the config under test (`drill/bounds.py`), never read from
here. Kept together, a reader sees every guard and why it is what it is; `tests/test_layout.py`
fails if a timeout constant or a literal `timeout=` appears anywhere else.

None of them is scaled by `--time-scale`: they bound how long real programs take to start,
answer or finish (a process start, an HTTP reply, a kind cluster's creation), and those do not
run faster when the monitoring's clock is scaled. Where a wait does depend on the scaled clock
(a rate window filling, an evaluation), the caller adds that term to the guard and names it.
All values are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timeouts:
    """The guards, grouped by what they guard. Each comment says why the value is what it is."""

    # -- requests --------------------------------------------------------------------------
    readiness_probe: float = 0.5  # one /-/ready probe; asked every 20 ms, a slow answer is a no
    api_request: float = 2.0  # Prometheus/Alertmanager API on 127.0.0.1 answer in ms; 2 s is a hang
    ingest_settle: float = 2.0  # a message stamped by a deadline, handed to the recorder after it (busy machine)
    offline_revert_request: float = 2.0  # `alertdrill revert` reaching a stub that may be gone
    bff_admin_request: float = 2.0  # the BFF's fault switch, local: a hang means the BFF is wedged
    job_submit_request: float = 5.0  # one job through the BFF under load (NATS publish included)
    webhook_mirror_request: float = 5.0  # copying a recorded payload to a user's real endpoint
    acknowledge_request: float = 5.0  # the SOP's acknowledge call (a POST to Alertmanager)
    remote_write: float = 10.0  # a batch of a replay's samples (5000) written to Prometheus on 127.0.0.1
    prometheus_reload: float = 10.0  # /-/reload re-reads rules; a large rule set takes seconds
    alertmanager_reload: float = 10.0  # /-/reload re-reads and validates the config (templates included)
    grafana_request: float = 10.0  # a dashboard query through Grafana's datasource proxy
    # -- local processes -------------------------------------------------------------------
    server_ready: float = 10.0  # a server on 127.0.0.1 answering /-/ready (measured 0.2-4 s)
    pod_ready: float = 15.0  # a simulated pod's processes (Python workload) ready, cold imports
    memory_hog_ready: float = 30.0  # the hog has allocated its share of memory (GiBs on a busy host)
    process_stop: float = 5.0  # SIGTERM to exit; then SIGKILL (a server flushing its TSDB)
    thread_join: float = 5.0  # a helper thread (recorder, supervisor, mirror) ending after stop
    listener_open: float = 10.0  # a local listener (SMTP sink, link relay) bound on its event loop
    listener_close: float = 5.0  # those listeners closed
    version_probe: float = 10.0  # `prometheus --version` and friends
    tool_run: float = 300.0  # one promtool/amtool run (a large rule set's tests take minutes)
    offline_revert_command: float = 300.0  # a recorded revert command (kubectl, docker) offline
    module_build: float = 1800.0  # one `go build` of a server from its module (cold: ~3 min)
    # -- the local stack ---------------------------------------------------------------------
    stack_healthy: float = 20.0  # every target up and nothing pending after a start (measured 3-7 s)
    discovery_quiet: float = 60.0  # Prometheus' discovery hands nothing on for 9 s (faults/discovery.py)
    target_dropped: float = 30.0  # Prometheus stops scraping a withdrawn target (2.42: two fixed 5 s ticks)
    alertmanager_rediscovered: float = 15.0  # Prometheus re-finds a restarted Alertmanager (file SD)
    crashloop_established: float = 60.0  # the supervisor's back-off reaches a scrape interval
    load_overrun: float = 30.0  # the load generator's planned seconds, plus this, before it is hung
    load_drain: float = 30.0  # workers delivering what was published by the end of a load
    worker_stop: float = 60.0  # after Ctrl-C: every xdist worker rolled back and stopped its stack
    parallelism_probe: float = 120.0  # measuring one stack's start to size `--parallel auto`
    # -- check / mutate ----------------------------------------------------------------------
    rule_tests_floor: float = 10.0  # the least a promtool test group is given, however fast it was
    rule_tests_unmeasured: float = 300.0  # a test group never timed before
    mutant_drills: float = 1800.0  # a mutant's drills (`mutate --drills`): a whole drill run
    # -- Kubernetes (kind and existing clusters; nothing here has run on one in CI) ------------
    kube_command: float = 600.0  # any kubectl/helm/kind/docker command not listed below
    kube_get: float = 60.0  # a `kubectl get` of CRDs or resources
    kube_exec: float = 60.0  # a command exec'd in a pod (chaosk8s' own default); longer where it is paced
    # a runbook command the on-call pastes mid-incident: one that has not answered in a minute is
    # a finding in itself (its whole process group is killed); the health check's own limit is
    # SOP-004's 5 minutes, real time, whichever ends first
    runbook_command: float = 60.0
    kube_apply: float = 180.0  # `kubectl apply` of the platform's manifests
    kube_rollout: float = 330.0  # `kubectl rollout status` (its own --timeout is 300 s, plus slack)
    kube_delete_pods: float = 180.0  # isolation: Prometheus/Alertmanager pods deleted and recreated
    kube_recreate: float = 300.0  # isolation: the recreated pods ready again
    kube_cluster_healthy: float = 300.0  # every target up after install (images pulled, CRDs ready)
    kube_port_forward_ready: float = 60.0  # a `kubectl port-forward` answering
    kube_retry_run: float = 150.0  # one attempt of a retried command (rollout checks, node status)
    kube_fault_pod_running: float = 120.0  # a fault pod (stress, tc) scheduled and Running
    kube_am_config_loaded: float = 300.0  # a cluster's Alertmanager runs FLUO's config (operator, Secret volume sync)
    kube_am_alerts_gone: float = 300.0  # FLUO's alerts leave it after its rules are removed (endsAt: 4 resends)
    kube_crashloop_established: float = 120.0  # surge pod scheduled, two crashes and back-offs (10 s, 20 s)
    kube_fault_pod_gone: float = 60.0  # a fault pod deleted at rollback
    kube_node_back: float = 200.0  # a stopped kind node's container Ready again
    kube_docker_node: float = 120.0  # `docker stop`/`docker start` of a kind node
    kube_docker_info: float = 30.0  # `docker info`: is there an engine at all
    kube_helm_repo: float = 120.0  # `helm repo add`: a chart index download
    kube_helm_install: float = 660.0  # `helm upgrade --install --wait` (its own --timeout, plus slack)
    kube_helm_wait: float = 600.0  # helm's own --timeout for its --wait
    kube_kind_create: float = 600.0  # `kind create cluster` (node image pull on a cold machine)
    kube_kind_delete: float = 300.0  # `kind delete cluster` and `kubectl delete namespace`
    kube_image_build: float = 900.0  # `docker build` of the workload image
    kube_image_load: float = 600.0  # `kind load` of the workload image (or its archive)
    kube_wait_condition: float = 120.0  # `kubectl wait --for=condition=...`'s own --timeout
    kube_load_overrun: float = 60.0  # the in-cluster load job: its planned seconds plus this

    def go_duration(self, seconds: float) -> str:
        """A value as the `--timeout=` string helm and kubectl take (`600s`)."""
        return f"{seconds:.0f}s"


TIMEOUTS = Timeouts()
