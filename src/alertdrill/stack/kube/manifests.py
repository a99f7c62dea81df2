"""Kubernetes objects for the FLUO workload, the notification recorder and the fault pods.

Plain dicts, rendered here and validated offline against the Kubernetes schemas in the tests
(kubernetes-validate). Every object carries `app.kubernetes.io/managed-by: alertdrill` so that
what alertdrill installed can be found and removed, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alertdrill.notify.heartbeat import HeartbeatSpec
from alertdrill.notify.redirect import SinkTargets
from alertdrill.settings import KubeSettings
from alertdrill.workload.resources import limits_of

Manifest = dict[str, Any]

MANAGED = {"app.kubernetes.io/managed-by": "alertdrill"}
BFF_PORT = 8080
WORKER_METRICS_PORT = 9100
RECORDER_PORT = 8080
#: kind-config.yaml maps this NodePort to 127.0.0.1:8080 on the host.
RECORDER_NODE_PORT = 30080
#: kind-config.yaml maps this NodePort to 127.0.0.1:80: the BFF at http://fluo-api.localhost/, as
#: FLUO's ingress serves it (SOP-004's "Verify recovery": `curl -f http://fluo-api.localhost/health`).
BFF_NODE_PORT = 30081
NATS_SERVICE = "nats"
#: Nodes of the workload on kind carry this label (kind-config.yaml).
WORKLOAD_NODE_LABEL = {"alertdrill.io/role": "workload"}
CONTROL_PLANE = {"node-role.kubernetes.io/control-plane": ""}
CONTROL_PLANE_TOLERATION = {
    "key": "node-role.kubernetes.io/control-plane",
    "operator": "Exists",
    "effect": "NoSchedule",
}


@dataclass(frozen=True)
class Placement:
    """Where a pod may run. On kind it mirrors the local stack's virtual nodes: node-0 is the
    control plane (NATS, the BFF, the recorder, monitoring), node-1 the first worker (a worker pod
    and the traffic), node-2 the second (the other worker pod) — so a node-down drill of node-2
    loses exactly what it loses locally. On an existing cluster pods go where the scheduler says."""

    node_selector: dict[str, str] | None = None
    control_plane: bool = False
    spread_strictly: bool = False


def kind_placements(kube: KubeSettings) -> dict[str, Placement]:
    return {
        "bff": Placement(dict(CONTROL_PLANE), control_plane=True),
        "recorder": Placement(dict(CONTROL_PLANE), control_plane=True),
        "traffic": Placement({"kubernetes.io/hostname": f"{kube.cluster_name}-worker"}),
        "workers": Placement(dict(WORKLOAD_NODE_LABEL), spread_strictly=True),
    }


def labels(app: str) -> dict[str, str]:
    """`app` too: SOP-004's runbooks select FLUO's pods by it (`kubectl logs -l app=bff`)."""
    return {"app.kubernetes.io/name": app, "app": app, **MANAGED}


def selector(app: str) -> str:
    return f"app.kubernetes.io/name={app}"


def namespace(name: str, labels: dict[str, str] | None = None) -> Manifest:
    """`labels`: what a cluster's Prometheus and Alertmanager select namespaces by."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {**(labels or {}), **MANAGED}},
    }


def _container(
    kube: KubeSettings, name: str, args: list[str], port: int | None, port_name: str, probe_path: str
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name,
        "image": kube.image,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "env": [{"name": "ALERTDRILL_IN_CLUSTER", "value": "1"}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": limits_of(name).kube()},
    }
    if port is not None:
        container["ports"] = [{"name": port_name, "containerPort": port}]
        container["readinessProbe"] = {
            "httpGet": {"path": probe_path, "port": port_name},
            "periodSeconds": 2,
            "failureThreshold": 2,
        }
    return container


def deployment(
    kube: KubeSettings,
    app: str,
    args: list[str],
    replicas: int = 1,
    port: int | None = None,
    port_name: str = "http",
    placement: Placement | None = None,
    probe_path: str = "/metrics",
) -> Manifest:
    """One Deployment whose pods spread over nodes (one per node where possible)."""
    placement = placement or Placement()
    spec: dict[str, Any] = {
        "containers": [_container(kube, app, args, port, port_name, probe_path)],
        "terminationGracePeriodSeconds": 5,
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "DoNotSchedule" if placement.spread_strictly else "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}},
            }
        ],
    }
    if placement.node_selector:
        spec["nodeSelector"] = dict(placement.node_selector)
    if placement.control_plane:
        spec["tolerations"] = [dict(CONTROL_PLANE_TOLERATION)]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app, "namespace": kube.namespace, "labels": labels(app)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
            # A patched command (the crash-loop fault) then adds one crashing pod next to the
            # healthy ones instead of replacing them: maxUnavailable 0, one surge pod.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": labels(app)}, "spec": spec},
        },
    }


def service(kube: KubeSettings, app: str, port: int, port_name: str, node_port: int | None = None) -> Manifest:
    port_spec: dict[str, Any] = {"name": port_name, "port": port, "targetPort": port_name}
    spec: dict[str, Any] = {"selector": {"app.kubernetes.io/name": app}, "ports": [port_spec]}
    if node_port is not None:
        spec["type"] = "NodePort"
        port_spec["nodePort"] = node_port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app, "namespace": kube.namespace, "labels": labels(app)},
        "spec": spec,
    }


def service_monitor(
    kube: KubeSettings, app: str, port_name: str, interval_s: float, extra_labels: dict[str, str] | None = None
) -> Manifest:
    """The job label becomes the Service's name (bff, workers), as the rules expect. `extra_labels`:
    what the cluster's Prometheus selects ServiceMonitors by (e.g. `release: kps`)."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": app, "namespace": kube.namespace, "labels": {**labels(app), **(extra_labels or {})}},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
            "endpoints": [{"port": port_name, "interval": f"{interval_s:g}s"}],
        },
    }


def workload(
    kube: KubeSettings,
    interval_s: float,
    kind: bool,
    traffic_rps: float = 20.0,
    monitor_labels: dict[str, str] | None = None,
    am: dict[str, Any] | None = None,
    heartbeat: HeartbeatSpec | None = None,
) -> list[Manifest]:
    """The FLUO sample workload, the traffic that keeps its metrics alive, and the recorder (with
    the team's heartbeat service, when its policy names one)."""
    nats_url = f"nats://{NATS_SERVICE}.{kube.namespace}.svc:4222"
    bff_url = f"http://bff.{kube.namespace}.svc:{BFF_PORT}"
    where = kind_placements(kube) if kind else {}
    return [
        namespace(kube.namespace),
        deployment(
            kube,
            "bff",
            ["bff", "--host", "0.0.0.0", "--port", str(BFF_PORT), "--nats-url", nats_url],
            port=BFF_PORT,
            placement=where.get("bff"),
        ),
        service(kube, "bff", BFF_PORT, "http", node_port=BFF_NODE_PORT if kind else None),
        service_monitor(kube, "bff", "http", interval_s, monitor_labels),
        deployment(
            kube,
            "workers",
            ["worker", "--host", "0.0.0.0", "--metrics-port", str(WORKER_METRICS_PORT), "--nats-url", nats_url],
            replicas=2,
            port=WORKER_METRICS_PORT,
            port_name="metrics",
            placement=where.get("workers"),
        ),
        service(kube, "workers", WORKER_METRICS_PORT, "metrics"),
        service_monitor(kube, "workers", "metrics", interval_s, monitor_labels),
        deployment(
            kube,
            "traffic",
            ["traffic", "--url", bff_url, "--rps", f"{traffic_rps:g}", "--max-seconds", "86400"],
            placement=where.get("traffic"),
        ),
        *recorder(kube, am or {}, kind, where.get("recorder"), heartbeat),
    ]


def recorder_url_in_cluster(kube: KubeSettings) -> str:
    return f"http://recorder.{kube.namespace}.svc:{RECORDER_PORT}"


#: Where on the node the disk fill writes (a hostPath: the node's own disk, not the pod's).
FILL_HOST_PATH = "/var/lib/alertdrill-fill"


def fault_pod(kube: KubeSettings, name: str, node: str, args: list[str], memory_limit: int) -> Manifest:
    """A pod pinned to one node by name (not scheduled), bounded by its memory limit."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": kube.namespace, "labels": labels("alertdrill-fault")},
        "spec": {
            "nodeName": node,
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 10,
            "tolerations": [{"operator": "Exists"}],
            "containers": [
                {
                    "name": "fault",
                    "image": kube.image,
                    "imagePullPolicy": "IfNotPresent",
                    "args": args,
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "16Mi"},
                        "limits": {"memory": str(memory_limit)},
                    },
                    "volumeMounts": [{"name": "fill", "mountPath": "/fill"}],
                    # The hostPath directory is root's (created by the kubelet).
                    "securityContext": {"runAsUser": 0},
                }
            ],
            # The node's /var is on its real disk (on kind: the host's volume), so bytes written
            # here move node_filesystem_avail_bytes of the filesystem holding FILL_HOST_PATH.
            "volumes": [{"name": "fill", "hostPath": {"path": FILL_HOST_PATH, "type": "DirectoryOrCreate"}}],
        },
    }


def memory_hog_pod(kube: KubeSettings, node: str, nbytes: int, max_bytes: int) -> Manifest:
    args = ["memhog", "--bytes", str(nbytes), "--max-bytes", str(max_bytes)]
    return fault_pod(kube, f"alertdrill-memhog-{node}", node, args, nbytes + 64 * 2**20)


def disk_fill_pod(kube: KubeSettings, node: str, nbytes: int) -> Manifest:
    """Writes real bytes (fsync'd) and deletes them when the pod is told to stop."""
    args = ["fill", "--path", "/fill/fill", "--bytes", str(nbytes)]
    return fault_pod(kube, f"alertdrill-fill-{node}", node, args, 128 * 2**20)


#: First SMTP port of the in-cluster recorder; the i-th email receiver (by name) listens on +i.
SMTP_BASE_PORT = 2525
#: The Secret with the run's CA and the sink's certificate (recorder namespace: all three files;
#: monitoring namespace: the CA only, mounted by the operator under alertmanagerSpec.secrets).
SINK_TLS_SECRET = "alertdrill-sink-tls"
#: Where prometheus-operator mounts `alertmanagerSpec.secrets` in the Alertmanager pod.
AM_SECRETS_DIR = "/etc/alertmanager/secrets"
SINK_TLS_DIR = "/tls"


def recorder_host(kube: KubeSettings) -> str:
    return f"recorder.{kube.namespace}.svc"


def sink_hosts(kube: KubeSettings) -> list[str]:
    """The names Alertmanager may dial the recorder by: what the sink's certificate must carry."""
    return [recorder_host(kube), f"{recorder_host(kube)}.cluster.local"]


def smtp_ports(am: dict[str, Any]) -> dict[str, int]:
    """A port per receiver with email, in name order: the same map for the config and the pod."""
    names = sorted(str(r["name"]) for r in am.get("receivers") or [] if r.get("email_configs"))
    return {name: SMTP_BASE_PORT + i for i, name in enumerate(names)}


def sink_targets(kube: KubeSettings, am: dict[str, Any]) -> SinkTargets:
    ports = smtp_ports(am)
    return SinkTargets(
        recorder_url_in_cluster(kube),
        lambda receiver: f"{recorder_host(kube)}:{ports[receiver]}",
        f"{AM_SECRETS_DIR}/{SINK_TLS_SECRET}/ca.pem",
    )


def sink_tls_secret(namespace_name: str, files: dict[str, str]) -> Manifest:
    """The run's CA (and, for the recorder, the sink's key pair) as a Secret."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SINK_TLS_SECRET, "namespace": namespace_name, "labels": dict(MANAGED)},
        "type": "Opaque",
        "stringData": dict(files),
    }


def recorder(
    kube: KubeSettings,
    am: dict[str, Any],
    kind: bool,
    placement: Placement | None,
    heartbeat: HeartbeatSpec | None = None,
) -> list[Manifest]:
    """The recorder: HTTP for webhook-like integrations, an SMTP listener per email receiver (STARTTLS
    with the run's certificate from the Secret), and the heartbeat service it plays in the cluster
    (its pages are recorded there, with the pings' own arrival times, and mirrored like any message)."""
    ports = smtp_ports(am)
    args = ["recorder", "--host", "0.0.0.0", "--port", str(RECORDER_PORT), "--tls-dir", SINK_TLS_DIR]
    args += [a for r, p in ports.items() for a in ("--smtp", f"{r}={p}")]
    if heartbeat is not None:
        args += ["--heartbeat", heartbeat.to_arg()]
    dep = deployment(kube, "recorder", args, port=RECORDER_PORT, placement=placement, probe_path="/-/healthy")
    pod = dep["spec"]["template"]["spec"]
    pod["volumes"] = [{"name": "tls", "secret": {"secretName": SINK_TLS_SECRET}}]
    container = pod["containers"][0]
    container["volumeMounts"] = [{"name": "tls", "mountPath": SINK_TLS_DIR, "readOnly": True}]
    container["ports"] += [{"name": f"smtp-{i}", "containerPort": p} for i, p in enumerate(ports.values())]
    svc = service(kube, "recorder", RECORDER_PORT, "http", node_port=RECORDER_NODE_PORT if kind else None)
    svc["spec"]["ports"] += [
        {"name": f"smtp-{i}", "port": p, "targetPort": f"smtp-{i}"} for i, p in enumerate(ports.values())
    ]
    return [dep, svc]
