"""The local stack's servers: Prometheus and Alertmanager command lines, the generated Prometheus
config and its file-based service discovery."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.config.durations import format_duration
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.runtime.binaries import accepts_flag
from alertdrill.runtime.ports import LOOPBACK
from alertdrill.runtime.process import ManagedProcess
from alertdrill.runtime.yamlfile import dump_yaml
from alertdrill.stack.base import (
    DISCOVERY_RELOAD_FLAG,
    DISCOVERY_RELOAD_S,
    PipelineTimers,
    discovery_handoff_s,
    scaled_discovery_reload_s,
)


@dataclass(frozen=True)
class ScrapeJob:
    name: str
    honor_labels: bool = False  # kube-state-metrics: the object's namespace/pod, not the target's


#: File discovery sees a change at once (inotify); this re-read is a fallback. Not shorter: every
#: re-read hands the target groups on whether or not they changed, and a discovery manager that
#: hands on something every second never gets quiet, so its back-off sits at its 5 s cap and a
#: target that leaves is dropped seconds late (measured: 0.3-2.3 s at 1 s) instead of in ~0.2 s,
#: as Kubernetes' watch, which sends only changes, lets it (`discovery/manager.go` sender).
FILE_SD_REFRESH = "5m"


def write_prometheus_config(
    path: Path,
    *,
    scrape_s: float,
    eval_s: float,
    scrape_timeout_s: float,
    rule_files: list[Path],
    alertmanagers: list[str],
    send_timeout_s: float,
    sd_dir: Path,
    jobs: list[ScrapeJob],
    external_labels: dict[str, str] | None = None,
) -> None:
    """Every job discovers its targets from `<sd_dir>/<job>.json`, so pods come and go like on k8s."""
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": format_duration(scrape_s),
            "evaluation_interval": format_duration(eval_s),
            "scrape_timeout": format_duration(scrape_timeout_s),
            **({"external_labels": external_labels} if external_labels else {}),
        },
        "rule_files": [str(p) for p in rule_files],
        "alerting": {
            "alertmanagers": [
                {"static_configs": [{"targets": alertmanagers}], "timeout": format_duration(send_timeout_s)}
            ]
        },
        "scrape_configs": [
            {
                "job_name": job.name,
                "honor_labels": job.honor_labels,
                "file_sd_configs": [{"files": [str(sd_dir / f"{job.name}.json")], "refresh_interval": FILE_SD_REFRESH}],
            }
            for job in jobs
        ],
    }
    dump_yaml(config, path)


def write_targets(sd_dir: Path, job: str, targets: list[tuple[str, dict[str, str]]]) -> None:
    """Write one job's file_sd targets atomically (Prometheus may read at any moment)."""
    sd_dir.mkdir(parents=True, exist_ok=True)
    groups = [{"targets": [addr], "labels": labels} for addr, labels in targets]
    tmp = sd_dir / f".{job}.json.tmp"
    tmp.write_text(json.dumps(groups, indent=1))
    tmp.replace(sd_dir / f"{job}.json")


def discovery_reload_s(binary: Path, time_scale: float) -> float:
    """The tick on which discovered targets reach the scrapers, as this Prometheus will run it.

    It shapes timing like `for` does (a target that appears or leaves is seen one tick late), so
    it follows the time scale like `for` and group_wait do (83 ms at scale 60, floored at 100 ms:
    it only re-syncs scrape pools, and only when targets changed). A hidden flag in 2.42 and 3.14
    alike; a build without it keeps the fixed 5 s.
    """
    if not accepts_flag(binary, f"--{DISCOVERY_RELOAD_FLAG}={DISCOVERY_RELOAD_S:g}s"):
        return DISCOVERY_RELOAD_S
    return scaled_discovery_reload_s(time_scale)


def target_discovery_s(binary: Path, version: str, time_scale: float) -> float:
    """How long a target that left discovery may still be scraped on this stack's Prometheus."""
    return discovery_handoff_s(version, discovery_reload_s(binary, time_scale))


def prometheus_process(
    binary: Path,
    config: Path,
    run_dir: Path,
    run_id: str,
    port: int,
    time_scale: float,
    extra_flags: tuple[str, ...] = (),
) -> ManagedProcess:
    """Prometheus on 127.0.0.1 with its own data dir and a reloadable config (`extra_flags`: a
    replay's remote-write receiver and scaled lookback)."""
    # Resend delay follows the time scale (1m in production): lower than that, Alertmanager
    # resolves alerts falsely whenever Prometheus is briefly unreachable. `for` restore after a
    # restart follows it like `for` itself: a rule whose `for` is shorter than the grace period
    # (10m) restarts its clock; others resume within the outage tolerance (1h). Unscaled, every
    # `for` of a scaled drill would fall under 10 m.
    timers = PipelineTimers.scaled(time_scale)
    resend = timers.resend_delay_s
    for_grace = format_duration(timers.for_grace_period_s)
    for_tolerance = format_duration(timers.for_outage_tolerance_s)
    reload_s = discovery_reload_s(binary, time_scale)
    scaled = [f"--{DISCOVERY_RELOAD_FLAG}={format_duration(reload_s)}"] if reload_s != DISCOVERY_RELOAD_S else []
    return ManagedProcess(
        "prometheus",
        [
            str(binary),
            f"--config.file={config}",
            f"--storage.tsdb.path={run_dir / 'prometheus-data'}",
            f"--web.listen-address={LOOPBACK}:{port}",
            f"--rules.alert.resend-delay={resend:g}s",
            f"--rules.alert.for-grace-period={for_grace}",
            f"--rules.alert.for-outage-tolerance={for_tolerance}",
            *scaled,
            *extra_flags,
            "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=1d",
            "--log.level=warn",
        ],
        run_dir=run_dir,
        run_id=run_id,
        ready=PrometheusClient(f"http://{LOOPBACK}:{port}").is_ready,
    )


@dataclass(frozen=True)
class AlertmanagerPeer:
    """One Alertmanager of the stack: its web port and, clustered, its gossip port and peers'."""

    index: int
    web_port: int
    cluster_port: int | None = None  # None: one Alertmanager, gossip off
    peer_ports: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return "alertmanager" if self.index == 0 else f"alertmanager-{self.index}"


#: Alertmanager's cluster timers in production, and the floors below which scaling stops.
GOSSIP_INTERVAL_S, GOSSIP_INTERVAL_FLOOR_S = 0.2, 0.05


def cluster_flags(binary: Path, peer: AlertmanagerPeer, time_scale: float) -> list[str]:
    """Gossip on 127.0.0.1 with the stack's other Alertmanagers (upstream's Procfile does the same).

    Scaled like group_wait, with floors: the peer timeout (how long peer N waits for the ones
    before it, 15 s) to 1 s, five gossip rounds; the gossip interval (200 ms) to 50 ms; the
    settle timeout is 200 ms (see PipelineTimers.settle_timeout_s). The notification log and silence snapshot interval
    (`--data.maintenance-interval`, 15 m) is NOT scaled: it decides what a SIGKILL loses, and
    a drill must lose what production loses.
    """
    if peer.cluster_port is None:
        # An empty cluster address turns gossip off: with it on, the first notification waits
        # for gossip to settle and the port binds 0.0.0.0:9094.
        return ["--cluster.listen-address="]
    address = f"{LOOPBACK}:{peer.cluster_port}"
    timers = PipelineTimers.scaled(time_scale)
    flags = [
        f"--cluster.listen-address={address}",
        f"--cluster.advertise-address={address}",
        *[f"--cluster.peer={LOOPBACK}:{p}" for p in peer.peer_ports],
        f"--cluster.peer-timeout={format_duration(timers.peer_timeout_s)}",
        f"--cluster.gossip-interval={format_duration(max(GOSSIP_INTERVAL_FLOOR_S, GOSSIP_INTERVAL_S / time_scale))}",
        f"--cluster.settle-timeout={format_duration(timers.settle_timeout_s)}",
    ]
    # A stable name keeps a restarted peer's position (and so its wait) as it was (0.30+).
    if accepts_flag(binary, f"--cluster.peer-name={peer.name}"):
        flags.append(f"--cluster.peer-name={peer.name}")
    return flags


def _settled(url: str, peers: int) -> bool:
    with AlertmanagerClient(url) as am:
        return am.is_settled(peers)


def alertmanager_process(
    binary: Path, config: Path, run_dir: Path, run_id: str, peer: AlertmanagerPeer, time_scale: float, peers: int
) -> ManagedProcess:
    """One Alertmanager on 127.0.0.1 with its own storage; ready once gossip settled (clustered)."""
    url = f"http://{LOOPBACK}:{peer.web_port}"
    return ManagedProcess(
        peer.name,
        [
            str(binary),
            f"--config.file={config}",
            f"--storage.path={run_dir / f'{peer.name}-data'}",
            f"--web.listen-address={LOOPBACK}:{peer.web_port}",
            *cluster_flags(binary, peer, time_scale),
            "--log.level=warn",
        ],
        run_dir=run_dir,
        run_id=run_id,
        ready=lambda: _settled(url, peers),
    )
