"""The local stack's alerting pipeline: Prometheus, its Alertmanagers (one, or peers gossiping on
127.0.0.1) and the network link from one to the others — the part that drills also break.

Why its own unit: the pipeline faults (an Alertmanager SIGKILLed, Prometheus restarted, the
link cut) and the isolation between drills both restart these servers; keeping their processes,
ports, storage and links in one place means a restart is the same restart everywhere.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from alertdrill.errors import FaultError, ObserveError
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.runtime.ports import LOOPBACK
from alertdrill.runtime.process import ManagedProcess
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import wait_for
from alertdrill.stack.base import Timing
from alertdrill.stack.local.link import LinkRelay
from alertdrill.stack.local.servers import (
    AlertmanagerPeer,
    ScrapeJob,
    alertmanager_process,
    prometheus_process,
    write_prometheus_config,
)

log = logging.getLogger(__name__)
Claim = Callable[[str, int | None], int]


@dataclass(frozen=True)
class PipelineSetup:
    """What the pipeline is built from (the stack's binaries, directories and timing)."""

    prometheus_binary: Path
    alertmanager_binary: Path
    alertmanager_config: Path
    run_dir: Path
    run_id: str
    timing: Timing
    replicas: int
    sd_dir: Path
    jobs: list[ScrapeJob]
    prometheus_flags: tuple[str, ...] = ()  # a replay's: remote-write receiver, scaled lookback
    external_labels: dict[str, str] | None = None


class LocalPipeline:
    """Processes are defined at construction and started by the stack; stop() is idempotent."""

    def __init__(self, setup: PipelineSetup, claim: Claim, fixed: Mapping[str, int]) -> None:
        self.setup = setup
        self.prometheus_port = claim("prometheus", fixed.get("prometheus"))
        web = [claim(_web_name(i), fixed.get(_web_name(i))) for i in range(setup.replicas)]
        gossip = [claim(f"alertmanager-cluster-{i}", None) for i in range(setup.replicas)] if setup.replicas > 1 else []
        self.peers = [
            AlertmanagerPeer(i, web[i], gossip[i] if gossip else None, tuple(p for j, p in enumerate(gossip) if j != i))
            for i in range(setup.replicas)
        ]
        self.alertmanagers = [
            alertmanager_process(
                setup.alertmanager_binary,
                setup.alertmanager_config,
                setup.run_dir,
                setup.run_id,
                peer,
                setup.timing.time_scale,
                setup.replicas,
            )
            for peer in self.peers
        ]
        self.links = [LinkRelay(peer.name, peer.web_port) for peer in self.peers]
        self.prometheus: ManagedProcess | None = None
        self.rule_paths: list[Path] = []
        self._epoch = 0

    # -- lifecycle -------------------------------------------------------------------------
    def define_prometheus(self, rule_paths: list[Path]) -> None:
        """The links must be listening first: Prometheus is configured with their ports."""
        self.rule_paths = rule_paths
        self.prometheus = prometheus_process(
            self.setup.prometheus_binary,
            self.write_prometheus_config(rule_paths),
            self.setup.run_dir,
            self.setup.run_id,
            self.prometheus_port,
            self.setup.timing.time_scale,
            self.setup.prometheus_flags,
        )

    def enter(self, stack: contextlib.ExitStack) -> None:
        for link in self.links:
            stack.enter_context(link)
        stack.callback(self.stop)

    def start(self) -> None:
        self._start_alertmanagers()
        self._prometheus().start()

    def _start_alertmanagers(self) -> None:
        """The first one's gossip port listening before its peers start: peers started at the same
        instant can each find the other's port closed and form no cluster."""
        first, *others = self.alertmanagers
        first.start()
        gossip = self.peers[0].cluster_port
        if others and gossip is not None:
            wait_for(f"{first.name}'s gossip port", _listening(gossip), poll_s=0.01, timeout_s=TIMEOUTS.server_ready)
        for am in others:
            am.start()

    def wait_ready(self) -> None:
        for am in self.alertmanagers:
            am.wait_ready()
        self._prometheus().wait_ready()

    def stop(self) -> None:
        for proc in [*self.alertmanagers, self.prometheus]:
            if proc is not None:
                proc.stop()

    def processes(self) -> list[ManagedProcess]:
        return [p for p in [self.prometheus, *self.alertmanagers] if p is not None]

    def _prometheus(self) -> ManagedProcess:
        if self.prometheus is None:
            raise RuntimeError("Prometheus is not defined yet (define_prometheus first)")
        return self.prometheus

    # -- where things are --------------------------------------------------------------------
    @property
    def prometheus_url(self) -> str:
        return f"http://{LOOPBACK}:{self.prometheus_port}"

    @property
    def alertmanager_urls(self) -> list[str]:
        return [f"http://{LOOPBACK}:{peer.web_port}" for peer in self.peers]

    def write_prometheus_config(self, rule_paths: list[Path]) -> Path:
        t = self.setup.timing
        config = self.setup.run_dir / "config" / "prometheus.yml"
        write_prometheus_config(
            config,
            scrape_s=t.scrape_interval_s,
            eval_s=t.eval_interval_s,
            scrape_timeout_s=t.scrape_timeout_s,
            rule_files=rule_paths,
            alertmanagers=[f"{LOOPBACK}:{link.port}" for link in self.links],
            send_timeout_s=t.pipeline.alertmanager_timeout_s,
            sd_dir=self.setup.sd_dir,
            jobs=self.setup.jobs,
            external_labels=self.setup.external_labels,
        )
        return config

    # -- restarts (faults and isolation) -----------------------------------------------------
    def alertmanager(self, index: int) -> ManagedProcess:
        if not 0 <= index < len(self.alertmanagers):
            raise FaultError(f"no Alertmanager {index} on this stack (it runs {len(self.alertmanagers)})")
        return self.alertmanagers[index]

    def start_alertmanager(self, index: int) -> None:
        """Start with the storage it had (a restart after a crash reads its last snapshot)."""
        am = self.alertmanager(index)
        if not am.is_running():
            am.start()
        am.wait_ready()

    def start_every_alertmanager(self) -> None:
        """After every peer died: started as at first (the first one's gossip port before its
        peers'), then each waited for until it sees the others."""
        self._start_alertmanagers()
        for am in self.alertmanagers:
            am.wait_ready()

    def restart_prometheus(self) -> None:
        """Start Prometheus again on its data (WAL replay): rule state comes back as Prometheus restores it."""
        prometheus = self._prometheus()
        if not prometheus.is_running():
            prometheus.start()
        prometheus.wait_ready()

    def wait_dropped(self, job: str) -> None:
        """Until Prometheus scrapes no target of `job` (it took them out of its scrape pools)."""
        with PrometheusClient(self.prometheus_url) as prom:
            wait_for(
                f"Prometheus {self.prometheus_url} dropping the targets of {job!r} after they left discovery",
                prom.target_health,
                done=lambda health: job not in health,
                poll_s=0.02,
                timeout_s=TIMEOUTS.target_dropped,
            )

    def reload_prometheus(self) -> None:
        try:
            httpx.post(self.prometheus_url + "/-/reload", timeout=TIMEOUTS.prometheus_reload).raise_for_status()
        except httpx.HTTPError as exc:
            raise ObserveError(
                f"Prometheus reload at {self.prometheus_url} failed: {exc}; see {self._prometheus().log_path}"
            ) from exc

    def reset_alerting_state(self) -> None:
        """Every alert state dropped: the rules reloaded from a new directory (rule groups are keyed
        by file) and every Alertmanager restarted with empty storage, together, so no peer gossips
        an old notification log or silence back into the fresh ones."""
        self._epoch += 1
        epoch_dir = self.setup.run_dir / "config" / f"rules-{self._epoch}"
        epoch_dir.mkdir(parents=True)
        fresh = []
        for path in self.rule_paths:
            shutil.copy(path, epoch_dir / path.name)
            fresh.append(epoch_dir / path.name)
        self.write_prometheus_config(fresh)
        # Reload first: it stops the old groups' re-sends and gives the notifier a new HTTP
        # client, so the Alertmanagers restarted next are reached on fresh connections.
        self.reload_prometheus()
        for am, peer in zip(self.alertmanagers, self.peers, strict=True):
            am.stop()
            shutil.rmtree(self.setup.run_dir / f"{peer.name}-data", ignore_errors=True)
        self._start_alertmanagers()
        for am in self.alertmanagers:
            am.wait_ready()
        with PrometheusClient(self.prometheus_url) as prom:
            wait_for(
                f"Prometheus {self.prometheus_url} rediscovering its Alertmanagers after a reload",
                prom.alertmanagers,
                done=lambda found: len(found) >= len(self.alertmanagers),
                poll_s=0.05,
                timeout_s=TIMEOUTS.alertmanager_rediscovered,
            )


def _listening(port: int) -> Callable[[], bool]:
    def probe() -> bool:
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=TIMEOUTS.readiness_probe):
            return True
        return False

    return probe


def _web_name(index: int) -> str:
    return "alertmanager" if index == 0 else f"alertmanager-{index}"
