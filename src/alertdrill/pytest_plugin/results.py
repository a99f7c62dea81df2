"""The plugin's reporting half: each drill's verdict and record, and the run's results files.

results.json, report.html and the diagnostics index are written atomically when the session ends
(after the runner's teardown, so an interrupted drill is recorded too); with a directory per
run, `latest` then points at this run if it completed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from alertdrill.backends import DEFAULT_STACK
from alertdrill.drill.diagnostics import render_diagnostics
from alertdrill.drill.outcome import broke_it_itself, classify, silent_parts
from alertdrill.drill.record import Outcome
from alertdrill.drill.session import DrillSession
from alertdrill.drill.watch import AlertHistory
from alertdrill.grammar import ExpectedAlert
from alertdrill.pytest_plugin import parallel
from alertdrill.report.html import render_html
from alertdrill.report.results import DrillJSON, drill_json, write_results
from alertdrill.runtime.atomic import point_link_atomic, write_text_atomic


@dataclass
class RunInfo:
    """What the session's hooks know about the run (set when the stack starts)."""

    started_at: float = field(default_factory=time.time)
    run_id: str | None = None
    #: The run dir id of this process's stack (`<run_id>-gwN` for a parallel worker).
    stack_id: str | None = None
    stack: str = DEFAULT_STACK
    time_scale: float = 0.0
    report_dir: Path = Path("reports")
    #: Set when results go to a directory per run: `latest` there points at the newest complete one.
    reports_root: Path | None = None
    history: AlertHistory = field(default_factory=AlertHistory)
    diagnostics: dict[str, Path] = field(default_factory=dict)  # scenario -> dump
    interrupted: bool = False  # Ctrl-C or SIGTERM arrived
    interrupted_drill: str | None = None
    #: Every drill that was open when the run was interrupted (one per parallel worker at most).
    interrupted_drills: list[str] = field(default_factory=list)
    workers: int = 1
    #: What the stack's Prometheus and Alertmanager report they are (stack/versions.py).
    versions: dict[str, str] = field(default_factory=dict)


#: `pytest_keyboard_interrupt` gets no config; this is the session's.
CONFIG: ContextVar[pytest.Config] = ContextVar("alertdrill_pytest_config")
LATEST = "latest"
FEATURE_KEY = pytest.StashKey[tuple[str, str]]()
PLAN_KEY = pytest.StashKey[list[ExpectedAlert]]()
#: The scenario breaks the alerting pipeline itself (grammar.strikes_pipeline).
BREAKS_KEY = pytest.StashKey[bool]()
CALL_KEY = pytest.StashKey[tuple[Outcome, str]]()
#: What ended the drill, when something did (record_drill refines "error" with the drill's outages).
EXC_KEY = pytest.StashKey[BaseException]()
RESULTS_KEY = pytest.StashKey[list[DrillJSON]]()
RUN_KEY = pytest.StashKey[RunInfo]()
#: A drill's position in the feature files (parallel workers run them longest first).
INDEX_KEY = pytest.StashKey[int]()
#: (index, drill) pairs this process recorded: a worker hands them over in workers/<gw>.json.
INDEXED_KEY = pytest.StashKey[list[tuple[int, DrillJSON]]]()


def dump_if_failed(request: pytest.FixtureRequest, drill: DrillSession) -> None:
    """Before the rollback: keep the evidence of a failed drill in the report dir."""
    outcome, _ = request.node.stash.get(CALL_KEY, ("error", ""))
    if outcome == "passed":
        return
    path = request.config.stash[RUN_KEY].report_dir / "diagnostics" / f"{request.node.name}.txt"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_diagnostics(drill))
    except OSError as exc:  # cleanup boundary: never mask the drill's own failure
        logging.getLogger(__name__).error("could not write diagnostics %s: %s", path, exc)
    else:
        request.node.user_properties.append(("diagnostics", str(path)))
        _, scenario = request.node.stash.get(FEATURE_KEY, ("", request.node.name))
        request.config.stash[RUN_KEY].diagnostics[scenario] = path


def record_drill(request: pytest.FixtureRequest, drill: DrillSession) -> None:
    item = request.node
    feature, scenario = item.stash.get(FEATURE_KEY, (item.nodeid, item.name))
    run = item.config.stash[RUN_KEY]
    default: tuple[Outcome, str] = ("error", "the drill did not run")
    if run.interrupted and CALL_KEY not in item.stash:
        default = ("interrupted", "interrupted (Ctrl-C or SIGTERM) while the drill ran; its fault was rolled back")
        run.interrupted_drill = run.interrupted_drill or scenario
        run.interrupted_drills.append(scenario)
    outcome, message = item.stash.get(CALL_KEY, default)
    own = broke_it_itself(item.stash[EXC_KEY], drill.outages) if EXC_KEY in item.stash else None
    if outcome == "error" and own is not None:  # the drill's subject, not harness trouble
        outcome = "failed"
        message = f"{message} (the drill took {own.component} down itself: {own.scenario!r})"
    silent = silent_parts(drill.stack, drill.outages) if outcome == "failed" else []
    if silent:  # the alert was judged through a part that stopped answering: not a verdict
        outcome = "error"
        message = f"{', '.join(silent)} stopped answering during the drill, so no verdict: {message}"
    result = drill_json(drill.evidence.record(feature, scenario, outcome, message), stack_id=run.stack_id)
    item.config.stash[RESULTS_KEY].append(result)
    item.config.stash.setdefault(INDEXED_KEY, []).append((item.stash.get(INDEX_KEY, 0), result))
    item.user_properties.append(("outcome", outcome))  # JUnit: <error> for error and inconclusive
    for program, version in run.versions.items():  # the servers this verdict holds for
        item.user_properties.append((f"{program}_version", version))
    for key in ("fire_latency_s", "notify_latency_s", "recovery_s"):
        item.user_properties.append((key, result[key]))
    item.user_properties.append(("fire_bound_s", result["expected"]["fire_bound_s"]))
    item.user_properties.append(("recovery_bound_s", result["expected"]["recovery_bound_s"]))
    for m in result["messages"]:  # each page as a person got it, on the JUnit record too
        who = ", ".join(str(r) for r in m["recipients"])  # type: ignore[attr-defined]
        item.user_properties.append((f"message +{m['at_s']}s", f"{m['status']} {who}: {m['subject']}"))
    for e in result["escalations"]:
        item.user_properties.append(
            (f"escalation {e['address']}", f"{e['arrived_s']}s (after {e['after_s']}s, bound {e['bound_s']}s)")
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """The drill's outcome, from the type of what ended it (drill/outcome.py), never from the
    phase or the step: a setup that failed is "error" like any harness trouble."""
    report = yield
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        message = "" if report.passed else _short(call)
        outcome: Outcome = "passed" if report.passed else "skipped" if report.skipped else "error"
        if call.excinfo is not None and not report.skipped:
            outcome = classify(call.excinfo.value)
            item.stash[EXC_KEY] = call.excinfo.value
        item.stash[CALL_KEY] = (outcome, message)
    return report


def _short(call: pytest.CallInfo[None]) -> str:
    if call.excinfo is None:
        return ""
    return f"{call.excinfo.typename}: {call.excinfo.value}"


#: pytest's usage-error code: a setup error ends the session with it; `alertdrill` maps it to 2.
SETUP_ERROR_EXIT = int(pytest.ExitCode.USAGE_ERROR)
COLLECT_FAILED = pytest.StashKey[bool]()


class CollectWatch:
    """Remembers a failed collection (e.g. a malformed feature file): bad input, not a failed drill."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.config.stash[COLLECT_FAILED] = True


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Ctrl-C or SIGTERM: the open drill is torn down (fault rolled back) and recorded as interrupted."""
    config = CONFIG.get(None)
    if config is not None and RUN_KEY in config.stash:
        config.stash[RUN_KEY].interrupted = True


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    """A worker hands over its records after every drill: a crash loses none that finished."""
    config = CONFIG.get(None)
    if config is not None and parallel.worker_id(config) is not None:
        _save_worker_state(config, finished=False)
        parallel.set_scenario(f"{parallel.worker_id(config)} stack")


def _save_worker_state(config: pytest.Config, finished: bool) -> None:
    run = config.stash.get(RUN_KEY, None)
    gw = parallel.worker_id(config)
    if run is None or run.run_id is None or gw is None:
        return
    state = {
        "worker": gw,
        "stack_id": run.stack_id,
        "versions": run.versions,
        "finished": finished,
        "interrupted": run.interrupted,
        "interrupted_drills": run.interrupted_drills,
        "drills": [{"index": i, "drill": d} for i, d in config.stash.get(INDEXED_KEY, [])],
        "diagnostics": {scenario: str(path) for scenario, path in run.diagnostics.items()},
    }
    parallel.save_worker_state(run.report_dir, gw, state)


@pytest.hookimpl(trylast=True)  # after the runner's teardown, which records the drill that was open
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if config.stash.get(COLLECT_FAILED, False):
        session.exitstatus = SETUP_ERROR_EXIT
    if parallel.worker_id(config) is not None:  # the controller writes the run's files
        _save_worker_state(config, finished=True)
        return
    drills = config.stash.get(RESULTS_KEY, [])
    run = config.stash.get(RUN_KEY, None)
    if not drills or run is None or run.run_id is None:
        return
    path = run.report_dir / "results.json"
    results = write_results(
        path,
        run_id=run.run_id,
        stack=run.stack,
        time_scale=run.time_scale,
        started_at=run.started_at,
        drills=drills,
        outcome="interrupted" if run.interrupted else "completed",
        interrupted_drill=run.interrupted_drill,
        interrupted_drills=run.interrupted_drills,
        workers=run.workers,
        versions=run.versions,
    )
    diagnostics = {}
    for scenario, dump in run.diagnostics.items():
        with contextlib.suppress(OSError):
            diagnostics[scenario] = dump.read_text()
    if diagnostics:  # lets `alertdrill report` re-render the cards with their diagnostics
        index = {scenario: dump.name for scenario, dump in run.diagnostics.items()}
        write_text_atomic(path.parent / "diagnostics" / "index.json", json.dumps(index, indent=1))
    write_text_atomic(path.parent / "report.html", render_html(results, diagnostics))
    if run.reports_root is not None and not run.interrupted:
        point_link_atomic(run.reports_root / LATEST, run.report_dir.name)
