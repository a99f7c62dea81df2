"""The controller of a parallel run turns its workers' records into the run's (see parallel.py)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from alertdrill.pytest_plugin import parallel
from alertdrill.pytest_plugin.results import RESULTS_KEY, RUN_KEY, SETUP_ERROR_EXIT
from alertdrill.report.results import DrillJSON

log = logging.getLogger(__name__)


class ParallelController:
    """Registered only in the controller of `pytest -n N`: it runs no drill and starts no stack."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.setup_error: str | None = None

    @pytest.hookimpl(tryfirst=True)  # before xdist stops the workers: they may still be rolling back
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        run = self.config.stash[RUN_KEY]
        if run.interrupted or self.setup_error is not None:  # workers may still be rolling back
            for gw in parallel.wait_for_workers(run.report_dir):
                log.error("worker %s did not finish rolling back in time: run `alertdrill revert`", gw)
        tail = self.config.stash.get(parallel.TAIL_KEY, None)
        if tail is not None:
            tail.stop()
        indexed: list[tuple[int, DrillJSON]] = []
        for state in parallel.worker_states(run.report_dir):
            indexed += [(d["index"], d["drill"]) for d in state["drills"]]
            run.diagnostics.update({k: Path(v) for k, v in state.get("diagnostics", {}).items()})
            run.interrupted = run.interrupted or bool(state.get("interrupted"))
            run.versions = run.versions or dict(state.get("versions") or {})
            run.interrupted_drills += state.get("interrupted_drills", [])
        run.interrupted_drill = run.interrupted_drill or next(iter(run.interrupted_drills), None)
        if self.setup_error is not None:  # bad input, said once, exit code 2 (xdist's stop is no interrupt)
            session.exitstatus = SETUP_ERROR_EXIT
            run.interrupted = bool(run.interrupted_drills)
            print(f"\nalertdrill: {self.setup_error}", flush=True)
        run.workers = max(1, int(getattr(self.config.option, "numprocesses", 1) or 1))
        self.config.stash[RESULTS_KEY] = [d for _, d in sorted(indexed, key=lambda pair: pair[0])]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """One line when a drill ends, in the same shape as the workers' progress lines; bad
        input met by a worker stops every worker after its current drill (xdist's shouldstop)."""
        run = self.config.stash[RUN_KEY]
        if self.setup_error is None and report.skipped:
            self.setup_error = parallel.setup_error(run.report_dir)
            dsession = self.config.pluginmanager.getplugin("dsession")
            if self.setup_error is not None and dsession is not None:
                dsession.shouldstop = "bad input"
        tail = self.config.stash.get(parallel.TAIL_KEY, None)
        if tail is None or not (report.when == "call" or report.failed):
            return
        gw = getattr(getattr(report, "node", None), "gateway", None)
        name = parallel.scenario_of(report) or report.nodeid
        tail.say(
            f"{time.strftime('%H:%M:%S')} {'DONE':5} [{getattr(gw, 'id', '?')}] [{name}] "
            f"{report.outcome} ({report.when}, {report.duration:.1f}s)"
        )

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
        """With progress lines on, no dots or PASSED words between them: the summary follows."""
        if config.stash.get(parallel.TAIL_KEY, None) is None or report.when != "call":
            return None
        return report.outcome, "", ""
