"""What every backend does the same way when it starts: a run directory after sweeping dead runs,
and the config under test written scaled, checked, and pointed at the recorder."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Self

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.faults.ledger import revert_offline
from alertdrill.notify.redirect import SinkTargets, redirect_receivers
from alertdrill.runtime.rundir import RunDir, dead_runs, housekeeping, prune_runs, run_of, sweep_stale_processes
from alertdrill.settings import Settings
from alertdrill.stack.base import MIN_RANGE_SCRAPES, Timing

log = logging.getLogger(__name__)


class StackLifecycle:
    """The context-manager half every backend shares: start, stop last-first, a run directory.

    A backend implements `start()` and registers every piece it starts on `self._exit`, so a
    half-started stack is stopped by `__enter__` before the error propagates, and `stop()` is
    idempotent.
    """

    def __init__(self) -> None:
        self.run: RunDir | None = None
        self._exit = contextlib.ExitStack()

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop everything that was started, last first; safe to call twice."""
        self._exit.close()

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def run_id(self) -> str:
        if self.run is None:
            raise RuntimeError("stack not started")
        return self.run.run_id

    @property
    def run_dir(self) -> Path:
        if self.run is None:
            raise RuntimeError("stack not started")
        return self.run.path


def start_run(settings: Settings) -> RunDir:
    """Sweep what dead runs left (processes, open faults), keep only the last runs, then create
    this run's directory (with the id the CLI chose, if it did)."""
    with housekeeping(settings.runs_dir):
        sweep_stale_processes(settings.runs_dir)
        for dead in dead_runs(settings.runs_dir):
            if run_of(dead.name) == settings.run_id:
                continue  # a sibling worker's dir of this very run, still being created
            for line in revert_offline(dead):
                log.warning("reverted a fault left by dead run %s: %s", dead.name, line)
        prune_runs(settings.runs_dir, keep=settings.keep_runs - 1)  # this run is the Nth
        return RunDir.create(settings.runs_dir, settings.stack_run_id)


def write_config(
    monitoring: MonitoringConfig, out_dir: Path, timing: Timing, sinks: SinkTargets
) -> tuple[list[Path], Path, list[str]]:
    """Rules and Alertmanager config as this stack runs them; notes on windows that were clamped."""
    min_range = MIN_RANGE_SCRAPES * timing.scrape_interval_s
    sinks = replace(sinks, config_dir=monitoring.alertmanager_path.parent)
    rule_paths, am_path, notes = monitoring.write_scaled(
        out_dir, timing.time_scale, min_range, lambda am: redirect_receivers(am, sinks)
    )
    lines = [
        f"{n.where}: window {n.original_s:g}s scaled to {n.scaled_s:g}s (clamped to {MIN_RANGE_SCRAPES} scrapes)"
        for n in notes
    ]
    for line in lines:
        log.warning("%s", line)
    return rule_paths, am_path, lines
