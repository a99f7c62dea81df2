"""The pytest plugin: options, fixtures and hooks that wire the library to pytest-bdd. Wiring only.

The reporting half (verdicts, records, results files) is `results.py`; its hooks are re-exported
here because pytest looks for hooks in the registered module.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alertdrill.backends import foreign_tags
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.drill.expectations import Expectations, FaultWindow
from alertdrill.drill.paging import Page
from alertdrill.drill.session import DrillSession
from alertdrill.drill.watch import alerts_fired_since
from alertdrill.errors import ConfigError, SetupError
from alertdrill.grammar import expected_alerts, strikes_pipeline
from alertdrill.options import add_to_pytest, settings_options
from alertdrill.pytest_plugin import parallel
from alertdrill.pytest_plugin.results import (
    BREAKS_KEY,
    CONFIG,
    FEATURE_KEY,
    INDEX_KEY,
    PLAN_KEY,
    RESULTS_KEY,
    RUN_KEY,
    SETUP_ERROR_EXIT,
    CollectWatch,
    RunInfo,
    dump_if_failed,
    pytest_keyboard_interrupt,
    pytest_runtest_logfinish,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    record_drill,
)
from alertdrill.pytest_plugin.sharing import machine_share, pytest_runtest_protocol, stack_name
from alertdrill.runtime.binaries import versions_label
from alertdrill.runtime.wait import hold_until_interrupted
from alertdrill.settings import HANDED_SETTINGS_ENV, Settings
from alertdrill.slo.under_load import LoadWindow
from alertdrill.stack.base import Stack
from alertdrill.stack.registry import open_stack
from alertdrill.stack.versions import running_versions

__all__ = [
    "pytest_keyboard_interrupt",
    "pytest_runtest_logfinish",
    "pytest_runtest_makereport",
    "pytest_runtest_protocol",
    "pytest_sessionfinish",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("alertdrill", "alertdrill drills")
    add_to_pytest(group.addoption)  # the run options (options.py): `alertdrill run` takes the same
    group.addoption(
        "--run-id", default=None, help="the run's id (alertdrill run chooses it; parallel workers need it with -n N)"
    )
    group.addoption(
        "--drill-feature",
        action="append",
        default=None,
        metavar="PATH",
        help="run only scenarios of these feature files or directories",
    )
    group.addoption(
        "--drill-progress",
        action="store_true",
        default=False,
        help="parallel runs: print the workers' progress lines (alertdrill run does unless -q)",
    )


def _exit_on_setup_error(exc: SetupError | str) -> None:
    """Bad input ends the run with one located line and exit code 2. A parallel worker cannot
    end the session itself (xdist takes pytest.exit there for a crash): it hands the line to the
    controller, which stops every worker, and skips the drill."""
    config = CONFIG.get(None)
    if config is not None and parallel.worker_id(config) is not None:
        parallel.report_setup_error(config, str(exc))
        pytest.skip(f"alertdrill: {exc}")
    pytest.exit(f"alertdrill: {exc}", returncode=SETUP_ERROR_EXIT)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--drill-feature PATH`: keep only scenarios whose feature file lies at or under PATH.

    And the stack tags: a `@local` drill runs only on the local stack, a `@kind` drill only on
    kind (and an existing cluster): the rare drill one stack cannot run.
    """
    wanted = [Path(p).resolve() for p in config.getoption("drill_feature") or []]
    foreign = foreign_tags(stack_name(config))
    keep, drop = [], []
    for item in items:
        feature = _feature_file(item)
        in_features = not wanted or (feature is not None and any(feature == w or w in feature.parents for w in wanted))
        if in_features and not any(item.get_closest_marker(tag) for tag in foreign):
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    for i, item in enumerate(items):  # the feature order, which the report keeps
        item.stash[INDEX_KEY] = i
    if parallel.worker_id(config) is not None:
        workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
        parallel.order_for_workers(items, {item.nodeid: _step_texts(item) for item in items}, workers)


def _step_texts(item: pytest.Item) -> list[str]:
    template = _template(item)
    return [step.name for step in template.steps] if template is not None else []


def _template(item: pytest.Item) -> Any:
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    obj = getattr(item, "obj", None)
    return scenario_wrapper_template_registry.get(obj) if callable(obj) else None


def _feature_file(item: pytest.Item) -> Path | None:
    template = _template(item)
    if template is None:
        return None
    return Path(template.feature.filename).resolve()


def pytest_configure(config: pytest.Config) -> None:
    CONFIG.set(config)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config.stash[RESULTS_KEY] = []
    config.pluginmanager.register(CollectWatch(config), "alertdrill-collect-watch")
    config.stash[RUN_KEY] = RunInfo()
    if parallel.worker_id(config) is not None or parallel.is_controller(config):
        _configure_parallel(config)
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGTERM cleans up like Ctrl-C; outside the main thread (pytester in-process) it cannot.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, interrupt)


def _configure_parallel(config: pytest.Config) -> None:
    """A worker logs into the report dir; the controller, which runs no drill and starts no
    stack, knows the run from the options and prints the workers' progress."""
    try:
        settings = _resolve_settings(config)
    except ConfigError:
        return  # the `settings` fixture reports it, located, in the worker that needs it
    report_dir = settings.reports_for(str(settings.run_id))
    if parallel.worker_id(config) is not None:
        parallel.start_worker(config, report_dir)
        return
    run = config.stash[RUN_KEY]
    run.run_id, run.stack, run.time_scale, run.report_dir = (
        settings.run_id,
        settings.stack,
        settings.time_scale,
        report_dir,
    )
    run.reports_root = settings.reports_root if settings.report_dir is None else None
    parallel.start_controller(report_dir)
    from alertdrill.pytest_plugin.merge import ParallelController

    config.pluginmanager.register(ParallelController(config), "alertdrill-parallel-controller")
    if config.getoption("drill_progress"):
        tail = parallel.ProgressTail(report_dir)
        config.stash[parallel.TAIL_KEY] = tail
        tail.start()


def _resolve_settings(config: pytest.Config) -> Settings:
    """The Settings `alertdrill run` resolved and handed down (each worker adds only its own id);
    resolved here from the options only when pytest is run directly."""
    handed = os.environ.get(HANDED_SETTINGS_ENV)
    if handed:
        return dataclasses.replace(Settings.from_json(handed), worker=parallel.worker_id(config))
    options = settings_options(config.getoption)
    return Settings.resolve({**options, "worker": parallel.worker_id(config), "run_id": config.getoption("run_id")})


@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Settings:
    try:
        return _resolve_settings(pytestconfig)
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
def stack(
    settings: Settings, monitoring: MonitoringConfig, pytestconfig: pytest.Config, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    started_at = time.time()
    try:
        cm = open_stack(settings, monitoring)
        with machine_share(pytestconfig, settings.stack):  # start-ups never beside an @alone drill
            running = cm.__enter__()
    except SetupError as exc:
        _exit_on_setup_error(exc)
        raise
    run = pytestconfig.stash[RUN_KEY]
    run.history.fired.extend(alerts_fired_since(running, started_at))
    run.run_id = settings.run_id or running.run_id
    run.stack_id, run.stack, run.time_scale = running.run_id, settings.stack, settings.time_scale
    run.versions = running_versions(running)
    logging.getLogger(__name__).info("servers: %s", versions_label(run.versions))
    run.report_dir = settings.reports_for(run.run_id)
    run.reports_root = settings.reports_root if settings.report_dir is None else None
    try:
        yield running
        if settings.keep_stack:
            _hold(running)
    finally:
        try:
            if request.session.testsfailed and run.report_dir is not None:  # before a kind cluster is deleted
                running.export_logs(run.report_dir / f"cluster-logs-{running.run_id}")
        finally:
            cm.__exit__(None, None, None)  # torn down even when the export fails


def _hold(stack: Stack) -> None:
    print("\nstack kept (--keep-stack); Ctrl-C to stop it:")
    for name, url in stack.urls().items():
        print(f"  {name:13} {url}")
    with contextlib.suppress(KeyboardInterrupt):
        hold_until_interrupted()


@pytest.fixture
def expect(stack: Stack, settings: Settings, request: pytest.FixtureRequest) -> Expectations:
    """The scenario's expected alerts (read from its steps before it ran) and the bounds."""
    planned = request.node.stash.get(PLAN_KEY, [])
    breaks = request.node.stash.get(BREAKS_KEY, False)
    return Expectations(stack.monitoring, stack.timing, settings.slack_s, planned, breaks)


@pytest.fixture
def drill(
    stack: Stack, settings: Settings, expect: Expectations, request: pytest.FixtureRequest
) -> Iterator[DrillSession]:
    run = request.config.stash[RUN_KEY]
    session = DrillSession(stack, settings.scenarios_dir, run.history, expect)
    session.acknowledge_with = settings.acknowledge_with
    with machine_share(request.config, settings.stack):  # held until the fault is rolled back
        try:
            yield session
        finally:
            try:
                dump_if_failed(request, session)
                session.finish()
            finally:
                record_drill(request, session)


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


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    request.node.stash[FEATURE_KEY] = (str(feature.rel_filename), str(scenario.name))
    parallel.set_scenario(str(scenario.name))
    # What the drill will expect, known before its first step (isolation, "no other alert").
    request.node.stash[PLAN_KEY] = expected_alerts([step.name for step in scenario.steps])
    request.node.stash[BREAKS_KEY] = strikes_pipeline([step.name for step in scenario.steps])


@pytest.hookimpl(tryfirst=True)  # before xdist sends it (worker) and pytest-bdd writes it (controller)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = CONFIG.get(None)
    if config is not None:
        parallel.relay_bdd_scenario(config, report)


def pytest_bdd_step_func_lookup_error(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, exception: Exception
) -> None:
    _exit_on_setup_error(
        f"{feature.filename}:{step.line_number}: no step definition matches "
        f"'{step.keyword} {step.name}' (scenario '{scenario.name}'); fix the step text or "
        f"add a definition under steps/"
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
        _exit_on_setup_error(f"{feature.filename}:{step.line_number}: {exception}")
