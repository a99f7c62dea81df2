"""The `alertdrill` command. Wiring only: parse arguments, call the library, map exit codes.

Exit codes: 0 all passed; 1 a drill or check failed; 2 usage or environment error; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from pathlib import Path

from alertdrill.check.coverage import render as render_coverage
from alertdrill.check.init_policy import write_initial_policy
from alertdrill.check.mutant_drills import kill_with_drills
from alertdrill.check.mutate import run_mutation
from alertdrill.check.mutate_report import render_mutation_summary
from alertdrill.check.suite import run_check
from alertdrill.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    LOG_FORMAT,
    settings_from,
)
from alertdrill.cli.replay import add_replay_parser, cmd_replay
from alertdrill.cli.run import cmd_run
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.errors import SetupError
from alertdrill.faults.ledger import revert_offline
from alertdrill.options import add_to_argparse
from alertdrill.report.junit import write_junit
from alertdrill.report.markdown import render_markdown
from alertdrill.report.review import group_by_versions, load_runs, render_review, render_table, rerender, summarize
from alertdrill.report.review_plots import escalation_rows, sop_deviations
from alertdrill.runtime.atomic import creatable, write_text_atomic
from alertdrill.runtime.rundir import dead_runs, is_run_alive, sweep_stale_processes
from alertdrill.runtime.wait import hold_until_interrupted
from alertdrill.settings import VERSIONS_HELP, Settings
from alertdrill.stack.registry import open_stack


def _versions_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--versions", default=None, metavar="current|debian|DIR", help=VERSIONS_HELP)


def _run_parser(run: argparse.ArgumentParser) -> None:
    run.add_argument("features", nargs="*", help="feature files or directories (default: all)")
    add_to_argparse(run)  # the run options (options.py): the plugin takes the same
    run.add_argument(
        "--tags",
        default=None,
        metavar="EXPR",
        help='e.g. "P0 and not slow", "pipeline" (default: "not slow and not pipeline")',
    )
    run.add_argument("-k", dest="keyword", default=None, help="pytest -k expression on scenario names")
    run.add_argument("-q", "--quiet", action="store_true", help="no live progress lines")
    run.add_argument(
        "--parallel",
        default=None,
        metavar="N|auto",
        help="drills at once, each worker with its own local stack (default auto: cores, memory, drills; "
        "env ALERTDRILL_PARALLEL)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="kind/cluster: print every command, the values and manifests, and each drill's bounds; touch nothing",
    )


def _check_parser(check: argparse.ArgumentParser) -> None:
    check.add_argument("--monitoring", default="monitoring", metavar="DIR")
    check.add_argument("--features", default="features", metavar="DIR", help="where live drills are (coverage)")
    check.add_argument("--junit", default="reports/check-junit.xml", metavar="FILE")
    check.add_argument(
        "--prometheus-url",
        default=None,
        metavar="URL",
        help="lint metric names and jobs against the series this Prometheus holds (else: declared exporters)",
    )
    _versions_option(check)
    check.add_argument(
        "--init-policy",
        action="store_true",
        help="write <monitoring>/policy.yml from what the config does today (never overwrites), then check",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alertdrill", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _run_parser(sub.add_parser("run", help="run drills (features) against a stack"))
    stack = sub.add_parser("stack", help="start a local stack to poke around, or clean up")
    stack.add_argument("action", choices=["up", "down", "status"])
    add_to_argparse(stack, stack_only=True)
    _check_parser(sub.add_parser("check", help="simulated-time checks: rule and routing tests, policy lint, coverage"))
    mutate = sub.add_parser("mutate", help="mutation score of the rule and routing tests")
    mutate.add_argument("--monitoring", default="monitoring", metavar="DIR")
    mutate.add_argument("--junit", default="reports/mutate-junit.xml", metavar="FILE")
    _versions_option(mutate)
    mutate.add_argument(
        "--min-score",
        type=float,
        default=0.0,
        metavar="PCT",
        help="exit 1 below this mutation score (percent)",
    )
    mutate.add_argument("--diffs", type=int, default=10, metavar="N", help="print the diffs of the first N survivors")
    mutate.add_argument(
        "--max-mutants",
        type=int,
        default=None,
        metavar="N",
        help="a quick gate: judge at most N mutants, spread evenly over the alerts (the same N, the same sample)",
    )
    mutate.add_argument(
        "--drop-failing-baseline",
        action="store_true",
        help="leave out test groups and cases that already fail on the unmutated config (listed), instead of exit 2",
    )
    mutate.add_argument(
        "--with-drills",
        action="store_true",
        help="also run the live drills of each surviving mutant's alert (slow)",
    )
    add_replay_parser(
        sub.add_parser("replay", help="replay the config's promtool test groups live (Prometheus, Alertmanager, pages)")
    )
    report = sub.add_parser("report", help="re-render a run's HTML report, or review several runs")
    report.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="report directories (with results.json)")
    report.add_argument("--monitoring", default="monitoring", metavar="DIR", help="config to lint for the review")
    report.add_argument("--out", default="reports/review.html", metavar="FILE")
    report.add_argument(
        "--markdown", action="store_true", help="print each run as Markdown (what a CI job page shows), nothing else"
    )
    revert = sub.add_parser("revert", help="undo faults and stop processes a crashed run left")
    revert.add_argument(
        "run_dirs",
        nargs="*",
        metavar="RUN_DIR",
        help="run directories (default: every dead run under .alertdrill/runs)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    # Started in the background by a script, we inherit SIGINT ignored: restore Python's Ctrl-C,
    # so every launcher can stop a run (and its workers inherit a SIGINT they can receive).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args = build_parser().parse_args(argv)
    if args.command not in ("run", "stack", "replay"):
        # `alertdrill check | head`: a closed pipe ends the output quietly, as for any Unix tool.
        # Not for `run` and `stack`: they serve HTTP and SMTP in this process, and a peer that
        # hangs up mid-answer (Alertmanager stopped during teardown) would kill the whole run
        # with SIGPIPE instead of raising BrokenPipeError in that one handler (seen in CI: -13).
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "stack":
            return cmd_stack(args)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "mutate":
            return cmd_mutate(args)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "replay":
            return cmd_replay(args)
        return cmd_revert(args)
    except SetupError as exc:
        print(f"alertdrill: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("alertdrill: interrupted; everything started was stopped", file=sys.stderr)
        return EXIT_INTERRUPTED


def cmd_stack(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.action == "down":
        swept = sweep_stale_processes(settings.runs_dir)
        print(f"stopped {len(swept)} leftover process(es)" + "".join(f"\n  {s}" for s in swept))
        return EXIT_OK
    if args.action == "status":
        runs = sorted(settings.runs_dir.glob("*/owner")) if settings.runs_dir.is_dir() else []
        alive = [r.parent for r in runs if is_run_alive(r.parent)]
        print(f"{len(alive)} running stack(s)" + "".join(f"\n  {p}" for p in alive))
        return EXIT_OK
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    monitoring = MonitoringConfig.load(settings.monitoring_dir, settings.bin_path)
    with open_stack(settings, monitoring) as stack:
        print(f"{settings.stack} stack {stack.run_id} is up (time scale {settings.time_scale:g}); Ctrl-C stops it")
        for name, url in stack.urls().items():
            print(f"  {name:13} {url}")
        print(f"  {'run dir':13} {stack.run_dir}")
        if stack.grafana is not None:
            print(f"  {'grafana':13} {stack.grafana.user} / {stack.grafana.password}  (generated for this install)")
        try:
            hold_until_interrupted()
        except KeyboardInterrupt:
            print("\nstopping the stack")
    return EXIT_OK


def _check_output(option: str, path: Path) -> None:
    why = creatable(path)
    if why:
        raise SetupError(f"{option} {str(path)!r} is not writable ({why}); pass a writable path")


def _check_monitoring(path: Path) -> None:
    if not path.is_dir():
        raise SetupError(
            f"--monitoring {str(path)!r}: no such directory (the config under test: rules/, alertmanager/)"
        )


def cmd_check(args: argparse.Namespace) -> int:
    settings = Settings.resolve({"versions": args.versions})  # ALERTDRILL_* checked before any work
    _check_monitoring(Path(args.monitoring))
    _check_output("--junit", Path(args.junit))
    if args.init_policy:
        written = write_initial_policy(MonitoringConfig.load(Path(args.monitoring), settings.bin_path))
        print(f"wrote {written}: what the config does today; edit it into your SOP")
    report = run_check(Path(args.monitoring), Path(args.features), settings.bin_path, args.prometheus_url)
    for suite in dict.fromkeys(i.suite for i in report.items):
        items = [i for i in report.items if i.suite == suite]
        bad = [i for i in items if not i.ok]
        print(f"{suite}: {len(items) - len(bad)}/{len(items)} passed")
        if suite == "policy lint":
            print(f"  metrics and jobs known from: {report.universe}")
        for item in bad:
            print(f"  FAIL {item.name}: {item.detail}" if suite != "policy lint" else f"  FAIL {item.detail}")
        for item in (i for i in items if i.ok and i.detail.startswith("accepted (")):
            print(f"  ACCEPTED {item.name}: {item.detail}")
    print("\ncoverage:\n" + render_coverage(report.coverage))
    write_junit(Path(args.junit), report.items, "alertdrill-check", report.seconds)
    print(f"\n{'passed' if report.ok else 'FAILED'} in {report.seconds:.2f}s; junit: {args.junit}")
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_mutate(args: argparse.Namespace) -> int:
    settings = Settings.resolve({"versions": args.versions})
    _check_monitoring(Path(args.monitoring))
    _check_output("--junit", Path(args.junit))
    if not 0 <= args.min_score <= 100:
        raise SetupError(f"--min-score {args.min_score:g}: a percentage from 0 to 100")
    if args.diffs < 0:
        raise SetupError(f"--diffs {args.diffs}: a number of survivor diffs to print, 0 or more")
    if args.max_mutants is not None and args.max_mutants < 1:
        raise SetupError(f"--max-mutants {args.max_mutants}: at least 1")
    report = run_mutation(
        Path(args.monitoring),
        settings.bin_path,
        drop_failing_baseline=args.drop_failing_baseline,
        max_mutants=args.max_mutants,
    )
    if args.with_drills and report.survivors:
        for result in report.survivors:
            kill_with_drills(result, Path(args.monitoring))
    counted = report.counted
    print(render_mutation_summary(report, args.diffs))
    write_junit(Path(args.junit), counted, "alertdrill-mutate", report.seconds)
    return EXIT_OK if report.score * 100 >= args.min_score else EXIT_FAILED


def cmd_report(args: argparse.Namespace) -> int:
    dirs = [Path(d) for d in args.run_dirs]
    missing = [str(d) for d in dirs if not d.exists()]
    if missing:
        raise SetupError(f"no such report dir(s): {', '.join(missing)}; pass dirs holding results.json (reports/*)")
    if args.markdown:
        for d in dirs:
            results_path = d / "results.json"
            if not results_path.is_file():
                raise SetupError(f"{d}: no results.json; pass a run's report dir (reports/<run id>)")
            print(render_markdown(json.loads(results_path.read_text()), d))
        return EXIT_OK
    _check_output("--out", Path(args.out))
    if len(dirs) == 1:
        print(f"re-rendered {rerender(dirs[0])}")
        return EXIT_OK
    runs = load_runs(dirs)
    monitoring_dir = Path(args.monitoring)
    alerts = [r.name for r in MonitoringConfig.load(monitoring_dir).rules] if monitoring_dir.is_dir() else []
    rows = summarize(runs, alerts)
    groups = group_by_versions(runs)
    for label, group in groups.items():  # verdicts hold per server version: never pooled across them
        if len(groups) > 1:
            print(f"\n== {label}: {len(group)} run(s)")
        print(render_table(summarize(group, alerts), len(group), escalation_rows(group)))
    check_text = ""
    if monitoring_dir.is_dir():
        report = run_check(Path(args.monitoring), Path("features"), Settings.resolve({}).bin_path)
        check_text = (
            render_coverage(report.coverage)
            + "\n\n"
            + ("\n".join(str(f) for f in report.findings) or "no lint findings")
        )
    out = Path(args.out)
    write_text_atomic(out, render_review(runs, rows, check_text, sop_deviations(monitoring_dir)))
    print(f"review: {out}")
    return EXIT_OK


def cmd_revert(args: argparse.Namespace) -> int:
    runs_dir = Settings.resolve({}).runs_dir
    dirs = [Path(d) for d in args.run_dirs] or dead_runs(runs_dir)
    for d in dirs:
        if not d.is_dir():
            raise SetupError(f"{d}: not a run directory")
        if is_run_alive(d):
            raise SetupError(f"{d}: its runner is still alive; stop it first (Ctrl-C)")
    swept = sweep_stale_processes(runs_dir)
    for d in dirs:
        for line in revert_offline(d):
            print(f"reverted {line} ({d.name})")
    for s in swept:
        print(f"stopped {s}")
    print(f"{len(dirs)} run dir(s) checked")
    return EXIT_OK
