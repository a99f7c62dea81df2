"""What kind-config.yaml promises the host: which loopback port reaches which service.

Why read it rather than assume 9090/9093/3000/8080: those are the ports Debian's own prometheus
and alertmanager services take where systemd runs, and a team may map others. The URLs come
from the file, and a port already taken is a located error before `kind create` fails on it.
"""

from __future__ import annotations

from pathlib import Path

from alertdrill.errors import ConfigError, PortInUseError
from alertdrill.runtime.ports import LOOPBACK, is_port_free
from alertdrill.runtime.yamlfile import load_yaml
from alertdrill.stack.kube.manifests import BFF_NODE_PORT, RECORDER_NODE_PORT
from alertdrill.stack.kube.values import KIND_NODE_PORTS

#: The NodePort each service is exposed on inside the cluster, by name.
NODE_PORTS = {**KIND_NODE_PORTS, "recorder": RECORDER_NODE_PORT}
#: Mapped where a team wants them, not required: the BFF at http://fluo-api.localhost/ (port 80), for
#: SOP-004's runbook health check; without it that check fails as it would for the on-call.
OPTIONAL_NODE_PORTS = {"bff": BFF_NODE_PORT}


def kind_host_ports(kind_config: Path) -> dict[str, int]:
    """Service name -> host port, from the extraPortMappings of the config's nodes."""
    doc = load_yaml(kind_config)
    mapped: dict[int, int] = {}
    for node in (doc or {}).get("nodes") or []:
        for m in node.get("extraPortMappings") or []:
            mapped[int(m["containerPort"])] = int(m["hostPort"])
    missing = {name: port for name, port in NODE_PORTS.items() if port not in mapped}
    if missing:
        raise ConfigError(
            f"{kind_config}: no extraPortMappings for {missing} (containerPort → hostPort); the runner "
            "reaches Prometheus, Alertmanager, Grafana and the recorder through them"
        )
    wanted = {**NODE_PORTS, **{n: p for n, p in OPTIONAL_NODE_PORTS.items() if p in mapped}}
    return {name: mapped[port] for name, port in wanted.items()}


def require_free_host_ports(ports: dict[str, int]) -> None:
    """Every host port kind will bind is free on 127.0.0.1 (else `kind create` fails half way)."""
    taken = {name: port for name, port in ports.items() if not is_port_free(port)}
    if taken:
        listed = ", ".join(f"{name} {port}" for name, port in taken.items())
        raise PortInUseError(
            f"host port(s) taken on {LOOPBACK}: {listed}; kind-config.yaml maps them for the cluster. "
            "Debian's own services hold 9090/9093 where systemd runs: `sudo systemctl disable --now "
            "prometheus prometheus-alertmanager` (scripts/stop-debian-services), or map other hostPorts"
        )
