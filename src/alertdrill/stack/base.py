"""The Stack protocol: what a drill needs from any backend (local, kind, cluster)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from alertdrill.faults.actions import FaultBackend
from alertdrill.observe.recorder import NotificationRecorder
from alertdrill.rules.monitoring import MonitoringConfig
from alertdrill.settings import Settings


@dataclass(frozen=True)
class Timing:
    """The intervals that shape alert latency on this stack (seconds, as run)."""

    scrape_interval_s: float
    eval_interval_s: float
    scrape_timeout_s: float
    time_scale: float


class Stack(Protocol):
    """A running monitoring stack with a workload, a recorder, and a way to inject faults."""

    settings: Settings
    monitoring: MonitoringConfig
    recorder: NotificationRecorder
    timing: Timing

    @property
    def run_id(self) -> str: ...

    @property
    def run_dir(self) -> Path: ...
    @property
    def prometheus_url(self) -> str: ...
    @property
    def alertmanager_url(self) -> str: ...
    def faults(self) -> FaultBackend: ...
    def isolate(self, reset_rules: bool) -> None:
        """Give the next drill the timing of a first drill (see LocalStack.isolate)."""

    def wait_until_healthy(self, timeout: float) -> None: ...
    def urls(self) -> dict[str, str]: ...
    def diagnostics(self) -> dict[str, str]: ...
