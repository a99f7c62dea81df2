"""The stack a replay runs one promtool test group on: Prometheus (fed by remote write, no scrape
jobs), one Alertmanager with the team's config, and the recorder with its SMTP sink — no workload.

Why the local pipeline's own parts: the servers start, are configured (time-scaled, integrations
redirected to the recorder, checked with promtool and amtool) and stop as on every local stack, so
a replay's Alertmanager is the drills' Alertmanager.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alertdrill.config import routing
from alertdrill.config.durations import format_duration
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.config.validate import check_alertmanager_config, check_rules
from alertdrill.notify.recorder import NotificationRecorder
from alertdrill.notify.redirect import SinkTargets, redirect_receivers
from alertdrill.runtime.binaries import find_binary
from alertdrill.runtime.ports import LOOPBACK, PortAllocator
from alertdrill.runtime.tlsca import issue_run_certificates
from alertdrill.runtime.yamlfile import dump_yaml
from alertdrill.stack.base import ReplaySetup, Timing
from alertdrill.stack.common import StackLifecycle
from alertdrill.stack.local.pipeline import LocalPipeline, PipelineSetup

log = logging.getLogger(__name__)
#: Prometheus' default lookback (`--query.lookback-delta`), which promtool's tests run with.
LOOKBACK_S = 300.0


class ReplayStack(StackLifecycle):
    """Started by `with`; everything stopped on every way out."""

    def __init__(self, setup: ReplaySetup, monitoring: MonitoringConfig) -> None:
        super().__init__()
        self.setup = setup
        self.monitoring = monitoring
        self.run = setup.run
        self._ports = PortAllocator(setup.port_block)
        self.recorder = NotificationRecorder(self._ports.claim("recorder") if setup.port_block else None)
        self.pipeline: LocalPipeline | None = None
        self.alertmanager_config: Path | None = None

    def start(self) -> None:
        s = self.setup
        binaries = {name: find_binary(name, s.bin_path) for name in ("prometheus", "alertmanager")}
        self.recorder.certs = issue_run_certificates(self.setup.run.sub("tls"), [LOOPBACK, "localhost"])
        self._exit.enter_context(self.recorder)
        self._ports.reserve(self.recorder.port)
        check_rules([s.rules], s.bin_path)
        self.alertmanager_config = self._write_alertmanager_config()
        timing = Timing(s.eval_interval_s, s.eval_interval_s, s.eval_interval_s, s.time_scale)
        flags = [
            "--web.enable-remote-write-receiver",
            f"--query.lookback-delta={format_duration(LOOKBACK_S / s.time_scale)}",
        ]
        if s.external_url:
            flags.append(f"--web.external-url={s.external_url}")
        setup = PipelineSetup(
            prometheus_binary=binaries["prometheus"],
            alertmanager_binary=binaries["alertmanager"],
            alertmanager_config=self.alertmanager_config,
            run_dir=self.setup.run.path,
            run_id=self.setup.run.run_id,
            timing=timing,
            replicas=1,
            sd_dir=self.setup.run.sub("targets"),
            jobs=[],
            prometheus_flags=tuple(flags),
            external_labels=s.external_labels or None,
        )
        self.pipeline = LocalPipeline(setup, self._ports.claim, {})
        self.pipeline.enter(self._exit)
        for link in self.pipeline.links:
            self._ports.reserve(link.port)
        self.pipeline.define_prometheus([s.rules])
        self.pipeline.start()
        self.pipeline.wait_ready()

    def _write_alertmanager_config(self) -> Path:
        def smarthost(receiver: str) -> str:
            port = self.recorder.smtp_port(receiver)
            self._ports.reserve(port)
            return f"{LOOPBACK}:{port}"

        certs = self.recorder.certs
        sinks = SinkTargets(
            self.recorder.url,
            smarthost,
            str(certs.ca_file) if certs else None,
            self.monitoring.alertmanager_path.parent,
        )
        doc = routing.scale_timers(redirect_receivers(self.monitoring.alertmanager, sinks), self.setup.time_scale)
        path = self.setup.run.sub("config") / "alertmanager.yml"
        dump_yaml(doc, path)
        check_alertmanager_config(path, self.setup.bin_path)
        return path

    def _pipeline(self) -> LocalPipeline:
        if self.pipeline is None:
            raise RuntimeError("the replay stack is not started")
        return self.pipeline

    @property
    def prometheus_url(self) -> str:
        return self._pipeline().prometheus_url

    @property
    def alertmanager_url(self) -> str:
        return self._pipeline().alertmanager_urls[0]

    def log_tails(self) -> dict[str, str]:
        return {p.name: p.log_tail() for p in self._pipeline().processes()}
