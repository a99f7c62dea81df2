"""The pytest plugin: options, fixtures and hooks that wire the library to pytest-bdd. Wiring only."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.drill.diagnostics import render_diagnostics
from alertdrill.drill.expectations import Expectations, FaultWindow
from alertdrill.drill.paging import Page
from alertdrill.drill.record import Outcome
from alertdrill.drill.session import DrillSession
from alertdrill.drill.watch import AlertHistory
from alertdrill.errors import ConfigError, SetupError
from alertdrill.grammar import ExpectedAlert, expected_alerts
from alertdrill.report.html import render_html
from alertdrill.report.results import DrillJSON, drill_json, write_results
from alertdrill.settings import KUBE_OPTIONS, Settings
from alertdrill.slo.under_load import LoadWindow
from alertdrill.stack.base import Stack
from alertdrill.stack.registry import DEFAULT_STACK, STACK_NAMES, open_stack


@dataclass
class RunInfo:
    """What the session's hooks know about the run (set when the stack starts)."""

    started_at: float = field(default_factory=time.time)
    run_id: str | None = None
    stack: str = DEFAULT_STACK
    time_scale: float = 0.0
    report_dir: Path = Path("reports")
    history: AlertHistory = field(default_factory=AlertHistory)
    diagnostics: dict[str, Path] = field(default_factory=dict)  # scenario -> dump


FEATURE_KEY = pytest.StashKey[tuple[str, str]]()
PLAN_KEY = pytest.StashKey[list[ExpectedAlert]]()
CALL_KEY = pytest.StashKey[tuple[Outcome, str]]()
RESULTS_KEY = pytest.StashKey[list[DrillJSON]]()
RUN_KEY = pytest.StashKey[RunInfo]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("alertdrill", "alertdrill drills")
    group.addoption(
        "--stack",
        choices=list(STACK_NAMES),
        default=None,
        help="where drills run (default local; env ALERTDRILL_STACK)",
    )
    group.addoption(
        "--time-scale",
        default=None,
        help="divide every alert timing by N (default 60 locally; 1 = production)",
    )
    group.addoption("--monitoring", default=None, help="monitoring config dir (default monitoring/)")
    group.addoption("--scenarios", default=None, help="scenario dir (default scenarios/)")
    group.addoption("--report-dir", default=None, help="where results.json goes (default reports/)")
    group.addoption(
        "--keep-stack",
        action="store_true",
        default=None,
        help="keep the stack running after the drills until Ctrl-C",
    )
    group.addoption(
        "--drill-feature",
        action="append",
        default=None,
        metavar="PATH",
        help="run only scenarios of these feature files or directories",
    )
    group.addoption(
        "--port",
        action="append",
        default=None,
        metavar="NAME=PORT",
        help="fix a port instead of a free one, e.g. prometheus=9090",
    )
    for name, text in KUBE_OPTIONS.items():
        group.addoption(f"--{name}", default=None, help=text)


#: Setup errors end the session with pytest's own "usage error" code; `alertdrill` maps it to 2.
SETUP_ERROR_EXIT = int(pytest.ExitCode.USAGE_ERROR)


def _exit_on_setup_error(exc: SetupError) -> None:
    pytest.exit(f"alertdrill: {exc}", returncode=SETUP_ERROR_EXIT)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--drill-feature PATH`: keep only scenarios whose feature file lies at or under PATH.

    And the stack tags: a `@local` drill runs only on the local stack, a `@kind` drill only on
    kind (and an existing cluster): the rare drill one stack cannot run.
    """
    wanted = [Path(p).resolve() for p in config.getoption("drill_feature") or []]
    stack = _stack_name(config)
    other = "kind" if stack == "local" else "local"
    keep, drop = [], []
    for item in items:
        feature = _feature_file(item)
        in_features = not wanted or (feature is not None and any(feature == w or w in feature.parents for w in wanted))
        if in_features and item.get_closest_marker(other) is None:
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _stack_name(config: pytest.Config) -> str:
    """The stack the run will use (option, else ALERTDRILL_STACK, else the default), via Settings;
    a bad value is reported by the `settings` fixture, so here it only falls back."""
    try:
        return Settings.resolve({"stack": config.getoption("stack")}).stack
    except ConfigError:
        return DEFAULT_STACK


def _feature_file(item: pytest.Item) -> Path | None:
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    obj = getattr(item, "obj", None)
    template = scenario_wrapper_template_registry.get(obj) if callable(obj) else None
    if template is None:
        return None
    return Path(template.feature.filename).resolve()


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config.stash[RESULTS_KEY] = []
    config.pluginmanager.register(_CollectWatch(config), "alertdrill-collect-watch")
    config.stash[RUN_KEY] = RunInfo()

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGTERM cleans up like Ctrl-C; outside the main thread (pytester in-process) it cannot.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, interrupt)


@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Settings:
    opt = pytestconfig.getoption
    try:
        return Settings.resolve(
            {
                "stack": opt("stack"),
                "time_scale": opt("time_scale"),
                "monitoring": opt("monitoring"),
                "scenarios": opt("scenarios"),
                "report_dir": opt("report_dir"),
                "keep_stack": opt("keep_stack"),
                "ports": opt("port"),
                **{name.replace("-", "_"): opt(name.replace("-", "_")) for name in KUBE_OPTIONS},
            }
        )
    except SetupError as exc:
        _exit_on_setup_error(exc)
        raise


@pytest.fixture(scope="session")
def monitoring(settings: Settings) -> MonitoringConfig:
    try:
        return MonitoringConfig.load(settings.monitoring_dir, settings.bin_path)
    except SetupError as exc:
        _exit_on_setup_error(exc)
        raise


@pytest.fixture(scope="session")
def stack(settings: Settings, monitoring: MonitoringConfig, pytestconfig: pytest.Config) -> Iterator[Stack]:
    try:
        cm = open_stack(settings, monitoring)
        running = cm.__enter__()
    except SetupError as exc:
        _exit_on_setup_error(exc)
        raise
    run = pytestconfig.stash[RUN_KEY]
    run.run_id, run.stack, run.time_scale, run.report_dir = (
        running.run_id,
        settings.stack,
        settings.time_scale,
        settings.report_dir,
    )
    try:
        yield running
        if settings.keep_stack:
            _hold(running)
    finally:
        cm.__exit__(None, None, None)


def _hold(stack: Stack) -> None:
    print("\nstack kept (--keep-stack); Ctrl-C to stop it:")
    for name, url in stack.urls().items():
        print(f"  {name:13} {url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


@pytest.fixture
def expect(stack: Stack, settings: Settings, request: pytest.FixtureRequest) -> Expectations:
    """The scenario's expected alerts (read from its steps before it ran) and the bounds."""
    planned = request.node.stash.get(PLAN_KEY, [])
    return Expectations(stack.monitoring, stack.timing, settings.slack_s, planned)


@pytest.fixture
def drill(
    stack: Stack, settings: Settings, expect: Expectations, request: pytest.FixtureRequest
) -> Iterator[DrillSession]:
    run = request.config.stash[RUN_KEY]
    session = DrillSession(stack, settings.scenarios_dir, run.history, expect)
    try:
        yield session
    finally:
        try:
            _dump_if_failed(request, session, settings)
            session.finish()
        finally:
            _record(request, session)


# Values a later step needs from an earlier one arrive through pytest-bdd's `target_fixture`;
# these defaults only say which step must come first when a feature forgets it.
@pytest.fixture
def fault() -> FaultWindow:
    raise ConfigError("no fault was injected yet: a 'When the scenario ... injects its fault' step must come first")


@pytest.fixture
def page() -> Page:
    raise ConfigError("no alert was awaited yet: an 'alert ... fires for ...' step must come first")


@pytest.fixture
def load() -> LoadWindow:
    raise ConfigError("measure after a load step ('When the load generator sends ...')")


def _dump_if_failed(request: pytest.FixtureRequest, drill: DrillSession, settings: Settings) -> None:
    """Before the rollback: keep the evidence of a failed drill in the report dir."""
    outcome, _ = request.node.stash.get(CALL_KEY, ("error", ""))
    if outcome == "passed":
        return
    path = settings.report_dir / "diagnostics" / f"{request.node.name}.txt"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_diagnostics(drill))
    except OSError as exc:  # cleanup boundary: never mask the drill's own failure
        logging.getLogger(__name__).error("could not write diagnostics %s: %s", path, exc)
    else:
        request.node.user_properties.append(("diagnostics", str(path)))
        _, scenario = request.node.stash.get(FEATURE_KEY, ("", request.node.name))
        request.config.stash[RUN_KEY].diagnostics[scenario] = path


def _record(request: pytest.FixtureRequest, drill: DrillSession) -> None:
    item = request.node
    feature, scenario = item.stash.get(FEATURE_KEY, (item.nodeid, item.name))
    outcome, message = item.stash.get(CALL_KEY, ("error", "the drill did not run"))
    result = drill_json(drill.evidence.record(feature, scenario, outcome, message))
    item.config.stash[RESULTS_KEY].append(result)
    for key in ("fire_latency_s", "notify_latency_s", "recovery_s"):
        item.user_properties.append((key, result[key]))
    item.user_properties.append(("fire_bound_s", result["expected"]["fire_bound_s"]))
    item.user_properties.append(("recovery_bound_s", result["expected"]["recovery_bound_s"]))


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    request.node.stash[FEATURE_KEY] = (str(feature.rel_filename), str(scenario.name))
    # What the drill will expect, known before its first step (isolation, "no other alert").
    request.node.stash[PLAN_KEY] = expected_alerts([step.name for step in scenario.steps])


def pytest_bdd_step_func_lookup_error(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, exception: Exception
) -> None:
    pytest.exit(
        f"alertdrill: {feature.filename}:{step.line_number}: no step definition matches "
        f"'{step.keyword} {step.name}' (scenario '{scenario.name}'); fix the step text or "
        f"add a definition under steps/",
        returncode=SETUP_ERROR_EXIT,
    )


def pytest_bdd_step_error(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Any,
    step_func_args: Any,
    exception: Exception,
) -> None:
    if isinstance(exception, SetupError):
        pytest.exit(f"alertdrill: {feature.filename}:{step.line_number}: {exception}", returncode=SETUP_ERROR_EXIT)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        message = "" if report.passed else _short(call)
        outcome: Outcome = (
            "passed"
            if report.passed
            else "skipped"
            if report.skipped
            else ("failed" if report.when == "call" else "error")
        )
        item.stash[CALL_KEY] = (outcome, message)
    return report


def _short(call: pytest.CallInfo[None]) -> str:
    if call.excinfo is None:
        return ""
    return f"{call.excinfo.typename}: {call.excinfo.value}"


COLLECT_FAILED = pytest.StashKey[bool]()


class _CollectWatch:
    """Remembers a failed collection (e.g. a malformed feature file): bad input, not a failed drill."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.config.stash[COLLECT_FAILED] = True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if config.stash.get(COLLECT_FAILED, False):
        session.exitstatus = SETUP_ERROR_EXIT
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
    )
    diagnostics = {}
    for scenario, dump in run.diagnostics.items():
        with contextlib.suppress(OSError):
            diagnostics[scenario] = dump.read_text()
    if diagnostics:  # lets `alertdrill report` re-render the cards with their diagnostics
        index = {scenario: dump.name for scenario, dump in run.diagnostics.items()}
        (path.parent / "diagnostics" / "index.json").write_text(json.dumps(index, indent=1))
    (path.parent / "report.html").write_text(render_html(results, diagnostics))
