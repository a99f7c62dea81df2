"""`alertdrill replay`: every promtool test group of a config, live (alertdrill.replay).

What cannot be replayed is printed before anything starts; then a line per group as it ends,
with each disagreement and its cause; then where the reports are. Exit 0 when every replayed
group agrees, 1 on any disagreement or group error, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from alertdrill.cli.common import EXIT_FAILED, EXIT_OK, LOG_FORMAT
from alertdrill.cli.parallelism import parse_parallel
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.errors import SetupError
from alertdrill.replay.plan import ReplayGroup, load_groups
from alertdrill.replay.promtool_verdict import promtool_verdicts
from alertdrill.replay.results import results_json
from alertdrill.replay.run import GroupResult, replay_all
from alertdrill.report.replay import write_replay_html, write_replay_junit
from alertdrill.runtime.atomic import write_text_atomic
from alertdrill.runtime.binaries import program_version
from alertdrill.runtime.capacity import claim_workers
from alertdrill.runtime.rundir import new_run_id
from alertdrill.settings import VERSIONS_HELP, Settings
from alertdrill.stack.common import start_run


def add_replay_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--monitoring", default="monitoring", metavar="DIR", help="the config (FLUO's layout or alertdrill.yml)"
    )
    p.add_argument("--versions", default=None, metavar="current|debian|DIR", help=VERSIONS_HELP)
    p.add_argument(
        "--parallel", default=None, metavar="N|auto", help="groups at once, each on its own stack (default auto)"
    )
    p.add_argument("--report-dir", default=None, metavar="DIR", help="default: reports/replay-<run id>")
    p.add_argument("-k", dest="keyword", default=None, metavar="TEXT", help="only groups whose label contains TEXT")
    p.add_argument("-q", "--quiet", action="store_true", help="no per-check lines, only a line per group")


def _up_front(groups: list[ReplayGroup]) -> None:
    replayed = [g for g in groups if not g.skipped]
    scales = sorted({g.time_scale for g in replayed}, reverse=True)
    print(
        f"{len(groups)} test group(s): {len(replayed)} to replay "
        f"(time scale {', '.join(f'{s:g}' for s in scales) or '-'}), "
        f"{len(groups) - len(replayed)} cannot be replayed"
    )
    for g in groups:
        for reason in g.skipped:
            print(f"  SKIP {g.label}: {reason}")


def _progress(quiet: bool, start: float):  # type: ignore[no-untyped-def]
    def show(r: GroupResult, done: int, total: int) -> None:
        print(
            f"[{done}/{total}] {time.monotonic() - start:6.1f}s {r.status:9} {r.group.label} ({r.wall_s:.1f}s)",
            flush=True,
        )
        if r.error:
            print(f"    ERROR {r.error}", flush=True)
        for c in r.checks:
            if not c.ok:
                print(
                    f"    DISAGREES {c.kind} {c.name} at {c.at_s:g}s [{c.cause}] {c.explanation or c.detail}",
                    flush=True,
                )
            elif not quiet and c.kind == "page":
                print(f"    page {c.name}: {c.detail}", flush=True)

    return show


def cmd_replay(args: argparse.Namespace) -> int:
    run_id = new_run_id()
    settings = Settings.resolve({"versions": args.versions, "run_id": run_id})
    root = Path(args.monitoring)
    if not root.is_dir():
        raise SetupError(f"--monitoring {str(root)!r}: no such directory (rules, tests and an Alertmanager config)")
    monitoring = MonitoringConfig.load(root, settings.bin_path)
    groups = load_groups(monitoring.rule_tests)
    if not groups:
        raise SetupError(f"{root}: no promtool test groups (tests/*.test.yml, or 'tests:' in alertdrill.yml)")
    if args.keyword:
        groups = [g for g in groups if args.keyword in g.label]
        if not groups:
            raise SetupError(f"-k {args.keyword!r}: no test group's label contains it")
    requested, _ = parse_parallel(args.parallel)
    to_run = sum(1 for g in groups if not g.skipped)
    capacity = claim_workers(max(1, to_run), requested)
    report_dir = Path(args.report_dir) if args.report_dir else settings.reports_for(f"replay-{run_id}")
    report_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT, datefmt="%H:%M:%S")
    prom, am = (program_version(p, settings.bin_path) for p in ("prometheus", "alertmanager"))
    versions = f"Prometheus {prom}, Alertmanager {am}"
    promtool_verdicts(groups, settings.bin_path, capacity.workers)
    promtool = program_version("promtool", settings.bin_path)  # asked once, not once per failing group
    for g in groups:
        g.promtool_version = promtool if g.promtool_failed else ""
        g.slack_s = settings.slack_s
    _up_front(groups)
    print(f"{versions}; {capacity.workers} stack(s) at once ({capacity.why})", flush=True)
    start_run(settings)
    start = time.monotonic()
    results = replay_all(
        groups, monitoring, settings.runs_dir, run_id, settings.bin_path, capacity.workers, _progress(args.quiet, start)
    )
    doc = results_json(results, run_id, versions, time.monotonic() - start, capacity.workers)
    write_text_atomic(report_dir / "results.json", json.dumps(doc, indent=1))
    write_replay_junit(report_dir / "junit.xml", doc)
    write_replay_html(report_dir / "report.html", doc)
    s = doc["summary"]
    print(
        f"\n{s.get('agrees', 0)} agree, {s.get('disagrees', 0)} disagree, {s.get('skipped', 0)} skipped, "
        f"{s.get('error', 0)} error(s) of {s['groups']} group(s) in {doc['wall_s']:.1f}s"
        + (f"; causes: {', '.join(f'{k} ×{v}' for k, v in s['causes'].items())}" if s["causes"] else "")
    )
    print(f"report: {report_dir / 'report.html'}  (results.json, junit.xml)")
    sys.stdout.flush()
    return EXIT_OK if not s.get("disagrees") and not s.get("error") else EXIT_FAILED
