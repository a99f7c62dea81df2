"""Faults on the local stack's alerting pipeline: real signals to the real servers, a real SMTP
relay that fails, a real TCP link that stops moving bytes, a real broken config file.

Each returns how it heals; nothing is left to undo offline (the servers, the relay and the link
all live and die with the runner).
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

import httpx

from alertdrill.errors import FaultError
from alertdrill.faults.injection import (
    ALERTMANAGER,
    AM_CONFIG,
    LINK,
    MAIL_RELAY,
    PROMETHEUS,
    Injection,
    NoUndo,
)
from alertdrill.notify.smtp import SmtpSink
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.stack.local.pipeline import LocalPipeline

#: Appended to the config under test: YAML that parses as nothing Alertmanager accepts.
BROKEN_CONFIG = "\nroute: [this is not a route\n"


@dataclass(frozen=True)
class PipelineParts:
    """What pipeline faults act on."""

    pipeline: LocalPipeline
    relay: SmtpSink


class LocalPipelineFaults:
    """Mixed into the local stack's faults."""

    parts: PipelineParts

    def kill_alertmanager(self, replica: int) -> Injection:
        """`replica` -1 is the last one (with one Alertmanager, the only one)."""
        pipeline = self.parts.pipeline
        index = replica if replica >= 0 else len(pipeline.alertmanagers) + replica
        am = pipeline.alertmanager(index)
        if not am.is_running():
            raise FaultError(f"{am.name} is not running: nothing to kill")
        am.send_signal(signal.SIGKILL)
        return Injection(
            lambda: pipeline.start_alertmanager(index),
            NoUndo("a killed Alertmanager is gone with its runner"),
            pipeline=ALERTMANAGER,
        )

    def kill_every_alertmanager(self) -> Injection:
        """Every peer SIGKILLed; healed in the order they first started (the first one's gossip
        port listening before its peers join)."""
        pipeline = self.parts.pipeline
        running = [i for i, am in enumerate(pipeline.alertmanagers) if am.is_running()]
        if not running:
            raise FaultError("no Alertmanager is running: nothing to kill")
        for i in running:
            pipeline.alertmanager(i).send_signal(signal.SIGKILL)

        return Injection(
            pipeline.start_every_alertmanager,
            NoUndo("a killed Alertmanager is gone with its runner"),
            pipeline=ALERTMANAGER,
        )

    def kill_prometheus(self) -> Injection:
        pipeline = self.parts.pipeline
        prometheus = pipeline.prometheus
        if prometheus is None or not prometheus.is_running():
            raise FaultError("Prometheus is not running: nothing to kill")
        prometheus.send_signal(signal.SIGKILL)
        return Injection(
            pipeline.restart_prometheus, NoUndo("a killed Prometheus is gone with its runner"), pipeline=PROMETHEUS
        )

    def fail_mail_relay(self, mode: str) -> Injection:
        relay = self.parts.relay
        relay.fail(mode)
        return Injection(relay.heal, NoUndo("the SMTP sink lives in the runner"), pipeline=MAIL_RELAY)

    def cut_alertmanager_link(self) -> Injection:
        links = self.parts.pipeline.links
        for link in links:
            link.cut()

        def heal() -> None:
            for link in links:
                link.heal()

        return Injection(heal, NoUndo("the link relay lives in the runner"), pipeline=LINK)

    def break_alertmanager_config(self, broken: bool) -> Injection:
        """Every Alertmanager is asked to reload a broken file (`broken`; else its own file, which it
        accepts). Whether it refused is the drill's verdict to draw (the refused-config step), not
        the fault's: the fault only fails when an Alertmanager does not answer."""
        pipeline = self.parts.pipeline
        path = pipeline.setup.alertmanager_config
        original = path.read_text()
        if broken:
            path.write_text(original + BROKEN_CONFIG)
        _reload_all(pipeline)

        def restore() -> None:
            path.write_text(original)
            _reload_all(pipeline)

        return Injection(restore, NoUndo("the config copy lives in the run directory"), pipeline=AM_CONFIG)


def _reload_all(pipeline: LocalPipeline) -> None:
    for url in pipeline.alertmanager_urls:
        try:
            httpx.post(url + "/-/reload", timeout=TIMEOUTS.alertmanager_reload)  # refused: HTTP 500, by design
        except httpx.HTTPError as exc:
            raise FaultError(f"Alertmanager {url} did not answer its reload: {exc}") from exc
