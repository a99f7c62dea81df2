"""`alertdrill run`: every input checked before anything is created, then pytest, then the files
published into place. Wiring only."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from alertdrill.cli.common import (
    DRILL_MODULE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    LOG_FORMAT,
    PARTIAL,
    settings_from,
)
from alertdrill.cli.parallelism import parse_parallel, preflight, resolve_workers, xdist_args
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.drill.outcome import EXIT_NOT_CARRIED_OUT, exit_code
from alertdrill.drill.plan import bound_lines
from alertdrill.errors import SetupError
from alertdrill.grammar import matches_step
from alertdrill.options import forwarded_args
from alertdrill.report.junit import mark_errors
from alertdrill.report.markdown import append_step_summary
from alertdrill.report.terminal import summary_table
from alertdrill.runtime.atomic import creatable
from alertdrill.runtime.rundir import new_run_id
from alertdrill.settings import HANDED_SETTINGS_ENV, Settings
from alertdrill.stack.registry import plan_stack

#: What `alertdrill run` drills without --tags: the README's quick start, under 4 minutes.
DEFAULT_TAGS = "not slow and not pipeline"


def _check_run_options(args: argparse.Namespace) -> Settings:
    """Every option and ALERTDRILL_* variable of `run`, checked before anything is created.

    A mistyped re-run must not touch the previous run's evidence: nothing is written or removed
    until every input is known to be good (SetupError: one line naming the option and a fix).
    """
    settings = settings_from(args, run_id=new_run_id())
    for option, expr in (("--tags", args.tags), ("-k", args.keyword)):
        if expr:
            _check_expression(option, expr)
    parse_parallel(args.parallel)  # a bad --parallel fails before anything is created
    for feature in args.features:
        if not Path(feature).exists():
            raise SetupError(f"{feature}: no such feature file or directory")
    for option, path in (("--monitoring", settings.monitoring_dir), ("--scenarios", settings.scenarios_dir)):
        if not path.is_dir():
            raise SetupError(f"{option} {str(path)!r}: no such directory")
    assert settings.run_id is not None
    target = settings.reports_for(settings.run_id)
    why = creatable(target)
    if why:
        option, path = (
            ("--report-dir", target) if settings.report_dir is not None else ("--reports-root", target.parent)
        )
        raise SetupError(f"{option} {str(path)!r} is not writable ({why}); pass a writable DIR")
    return settings


def _check_expression(option: str, expr: str) -> None:
    from _pytest.mark.expression import Expression  # pytest's own parser for -m and -k

    try:
        Expression.compile(expr)
    except SyntaxError as exc:
        raise SetupError(f'{option} {expr!r} is not a valid expression ({exc}); e.g. "P0 and not slow"') from None


def _pytest_args(args: argparse.Namespace, settings: Settings, report_dir: Path) -> list[str]:
    """`alertdrill run`'s options as the pytest plugin's options. JUnit and cucumber JSON go to
    hidden names first and are renamed into place when the run has them (see _publish)."""
    where = (
        [f"--report-dir={settings.report_dir}"]
        if settings.report_dir is not None
        else [f"--reports-root={settings.reports_root}"]
    )
    pytest_args = [
        DRILL_MODULE,
        "-p",
        "no:cacheprovider",
        "--strict-markers",
        *where,
        f"--junitxml={report_dir / PARTIAL['junit.xml']}",
        f"--cucumberjson={report_dir / PARTIAL['cucumber.json']}",
        "-o",
        "junit_family=xunit2",
        f"--run-id={settings.run_id}",
        f"--keep-runs={settings.keep_runs}",
    ]
    pytest_args += forwarded_args(lambda dest: getattr(args, dest, None))  # the run options (options.py)
    pytest_args += [f"--drill-feature={feature}" for feature in args.features]
    # @slow drills (the 4-hour P2 deferral, even scaled) and the @pipeline drills (their own
    # budget: nightly and release gate) run only when tags are given.
    pytest_args += ["-m", args.tags or DEFAULT_TAGS]
    if args.keyword:
        pytest_args += ["-k", args.keyword]
    return pytest_args


#: Where the drills live; a FEATURES argument outside it is bound through EXTRA_FEATURES_ENV.
FEATURES_DIR = Path("features")
EXTRA_FEATURES_ENV = "ALERTDRILL_EXTRA_FEATURES"


def check_feature_steps(paths: list[Path]) -> None:
    """Every step of the features to run is one a definition binds: a step nobody defined is bad
    input, one located line before any stack starts (not a drill that dies mid-run)."""
    from pytest_bdd.feature import get_features

    try:
        features = get_features([str(p) for p in paths])
    except Exception as exc:  # noqa: BLE001 - pytest-bdd's parse errors carry file and line
        where = f"{getattr(exc, 'filename', '?')}:{getattr(exc, 'line', '?')}"
        near = str(getattr(exc, "line_content", "") or "").strip()
        what = str(getattr(exc, "message", "") or str(exc).splitlines()[0])
        raise SetupError(f"{where}: not Gherkin: {what}" + (f" (near {near!r})" if near else "")) from None
    for feature in features:
        for scenario in feature.scenarios.values():
            for step in scenario.steps:
                if "<" in step.name:  # a Scenario Outline's placeholder: checked when it runs
                    continue
                if not matches_step(step.name):
                    raise SetupError(
                        f"{feature.filename}:{step.line_number}: no step definition matches "
                        f"'{step.keyword} {step.name}' (scenario '{scenario.name}'); fix the step text or "
                        "add a definition under steps/"
                    )


def _outside(path: Path, root: Path) -> bool:
    """Neither under `root` (already bound) nor holding it (`alertdrill run .`: features/ is meant)."""
    resolved, base = path.resolve(), root.resolve()
    return not (resolved == base or base in resolved.parents or resolved in base.parents)


def _progress_args(quiet: bool, workers: int) -> list[str]:
    """Live progress lines: pytest's live log for one stack; for parallel workers, their lines
    (each prefixed by worker and scenario) printed whole by the controller."""
    if quiet:
        return []
    if workers > 1:
        return ["--drill-progress"]
    return [
        "-o",
        "log_cli=true",
        "--log-cli-level=INFO",
        f"--log-cli-format={LOG_FORMAT}",
        "--log-cli-date-format=%H:%M:%S",
    ]


def _dry_run(settings: Settings) -> int:
    """The plan of a kind or cluster run, and the bound of every drill at its timing."""
    monitoring = MonitoringConfig.load(settings.monitoring_dir, settings.bin_path)
    planned = plan_stack(settings, monitoring)
    if planned is None:
        raise SetupError("--dry-run plans a Kubernetes install: use it with --stack kind or --stack cluster")
    text, timing = planned
    print(text)
    print(
        f"\n# bounds per drill at time scale {timing.time_scale:g}, scrape {timing.scrape_interval_s:g}s, "
        f"eval {timing.eval_interval_s:g}s, scrape timeout {timing.scrape_timeout_s:g}s "
        "(a fault's ramp and a hanging target add to these when the drill runs)"
    )
    for line in bound_lines(Path("features"), monitoring, timing, settings.slack_s, settings.stack):
        print(line)
    return EXIT_OK


def _publish(report_dir: Path) -> None:
    """JUnit and cucumber JSON into place, each in one rename (an earlier run's stay until then)."""
    mark_errors(report_dir / PARTIAL["junit.xml"])  # error and inconclusive: <error>, not <failure>
    for final, partial in PARTIAL.items():
        if (report_dir / partial).is_file():
            os.replace(report_dir / partial, report_dir / final)


def _this_runs_results(path: Path, run_id: str) -> dict[str, Any] | None:
    try:
        results: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return results if results.get("run_id") == run_id else None


def _interrupted_line(results: dict[str, Any], settings: Settings) -> str:
    """The last line of an interrupted run: which drills were open, and whether a fault is left."""
    open_drills = results.get("interrupted_drills") or []
    left = sorted(settings.runs_dir.glob(f"{results['run_id']}*/faults/*.json"))
    what = ", ".join(repr(d) for d in open_drills) or "no drill"
    faults = (
        f"{len(left)} fault(s) still open: run `alertdrill revert`"
        if left
        else "every fault was rolled back and every stack stopped"
    )
    return f"alertdrill: run interrupted while {what} ran; {faults}"


def cmd_run(args: argparse.Namespace) -> int:
    import pytest

    settings = _check_run_options(args)
    check_feature_steps([Path(f) for f in args.features] or [FEATURES_DIR])
    if args.dry_run:
        return _dry_run(settings)
    assert settings.run_id is not None
    report_dir = settings.reports_for(settings.run_id)
    try:  # the first thing created, once every input is known to be good
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SetupError(f"report dir {str(report_dir)!r}: {exc.strerror}; pass --report-dir DIR") from None
    pytest_args = _pytest_args(args, settings, report_dir)
    workers, why = resolve_workers(
        parse_parallel(args.parallel),
        settings.stack,
        args.keep_stack,
        pytest_args,
        bool(settings.fixed_ports),
        settings.time_scale,
    )
    if workers > 1:
        preflight(settings)
    if not args.quiet:
        print(f"alertdrill: {workers} worker(s), each with its own {settings.stack} stack: {why}", flush=True)
    # Settings resolved once, here: pytest and every worker take them as they are (the plugin's
    # _resolve_settings), rather than resolving the forwarded options again each.
    os.environ[HANDED_SETTINGS_ENV] = settings.to_json()
    user_extra = os.environ.get(EXTRA_FEATURES_ENV)
    try:
        # a feature file outside features/ is bound as well (features/test_drills.py), not skipped
        outside = [str(Path(f).resolve()) for f in args.features if _outside(Path(f), FEATURES_DIR)]
        os.environ[EXTRA_FEATURES_ENV] = os.pathsep.join(filter(None, [user_extra, *outside]))
        code = int(pytest.main([*pytest_args, *xdist_args(workers), *_progress_args(args.quiet, workers)]))
    finally:
        os.environ.pop(HANDED_SETTINGS_ENV, None)
        if user_extra is None:
            os.environ.pop(EXTRA_FEATURES_ENV, None)
        else:
            os.environ[EXTRA_FEATURES_ENV] = user_extra
        _publish(report_dir)
    results = _this_runs_results(report_dir / "results.json", settings.run_id)
    if results is not None:
        _tell(results, report_dir, settings)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("alertdrill: no drill matched the features, --tags or -k given", file=sys.stderr)
    return _exit_code(code, results)


def _tell(results: dict[str, Any], report_dir: Path, settings: Settings) -> None:
    """The run's table on the terminal, its Markdown on the CI job page, where its files are."""
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:  # the job page is what people open first
        try:
            append_step_summary(Path(step_summary), results, report_dir)
        except OSError as exc:
            print(f"alertdrill: could not append to $GITHUB_STEP_SUMMARY {step_summary}: {exc}", file=sys.stderr)
    print(summary_table(results, color=sys.stdout.isatty()))
    print(
        f"results: {report_dir / 'results.json'}  junit: {report_dir / 'junit.xml'}  "
        f"report: {report_dir / 'report.html'}"
    )
    if results["outcome"] == "interrupted":
        print(_interrupted_line(results, settings), file=sys.stderr)


def _exit_code(code: int, results: dict[str, Any] | None) -> int:
    """0, 1 (some monitoring failed) or 3 (no failure, but some error or inconclusive) from the
    drills' outcomes; pytest's "failed" that no drill shows (a rollback or the stack failing in
    teardown, a stack that never started) is trouble of the run: 3, never 0 nor 1."""
    import pytest

    if code == pytest.ExitCode.OK and results is None:
        return EXIT_OK
    if code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        verdict = exit_code([d["outcome"] for d in results["drills"]]) if results is not None else EXIT_NOT_CARRIED_OUT
        return EXIT_NOT_CARRIED_OUT if code == pytest.ExitCode.TESTS_FAILED and verdict == EXIT_OK else verdict
    return {int(pytest.ExitCode.INTERRUPTED): EXIT_INTERRUPTED}.get(code, EXIT_USAGE)
