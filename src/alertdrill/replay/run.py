"""One test group replayed on its own stack, and every group of a config on parallel stacks.

The order inside a group: the stack starts with the replay's rules (silent before time 0); the
grid's phase is read from the clock rule; time 0 is put on the next evaluation at least `LEAD_S`
away; the samples are written ahead; every evaluation is read up to the group's horizon plus the
lookback (alerts go on firing that long after their series end, and their pages fall due); then
expression tests are queried at their exact times and the pages checked against their bounds.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alertdrill.config import routing
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.config.routing_cases import load_cases
from alertdrill.errors import DrillError
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.replay.compare import UNOBSERVED, Check, compare_alert, compare_expr
from alertdrill.replay.feed import Clock, Feeder, gate_samples, samples_of
from alertdrill.replay.pages import PageExpectation, check_page, expectations, first_firing
from alertdrill.replay.plan import ReplayGroup, slower_scale
from alertdrill.replay.resolved import check_resolved, resolve_expectations
from alertdrill.replay.rules import primary_group, write_replay_rules
from alertdrill.replay.watch import STOP, Evaluations, LiveAlert, grid_phase, time_zero, watch
from alertdrill.runtime.ports import lease_port_block
from alertdrill.runtime.rundir import RunDir
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import sleep_until, wait_for
from alertdrill.stack.base import ReplayServers, ReplaySetup
from alertdrill.stack.registry import open_replay_stack

log = logging.getLogger(__name__)
LEAD_S = 0.5
#: After the horizon, watched for Prometheus' lookback (5m, scaled): the last samples still count.
TAIL_S = 300.0


@dataclass
class GroupResult:
    group: ReplayGroup
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    error: str = ""
    #: alert identity → [(test time, state)], for the report's timeline
    timeline: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    pages: list[dict[str, object]] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.group.skipped:
            return "skipped"
        if self.error:
            return "error"
        return "agrees" if all(c.ok for c in self.checks) else "disagrees"


def _fired(group: ReplayGroup, seen: Evaluations) -> list[tuple[LiveAlert, int, int]]:
    """Each alert firing live at a tested evaluation, once: (alert, the evaluation it began
    firing, the last tested evaluation that saw it)."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[LiveAlert, int, int]] = {}
    for case in sorted(group.alerts, key=lambda c: c.eval_time_s):
        k = int(case.eval_time_s // group.eval_interval_s)
        for a in seen.firing(k, case.alertname) or []:
            key = (a.name, tuple(sorted(a.labels.items())))
            out[key] = (a, out[key][1] if key in out else first_firing(seen, a, k), k)
    return list(out.values())


def _timeline(seen: Evaluations, clock: Clock, interval_ms: int) -> dict[str, list[tuple[float, str]]]:
    out: dict[str, list[tuple[float, str]]] = {}
    for k in sorted(seen.by_k):
        for a in seen.by_k[k]:
            ident = (
                a.name + "{" + ", ".join(f"{n}={v!r}" for n, v in sorted(a.labels.items()) if n != "alertname") + "}"
            )
            out.setdefault(ident, []).append((clock.test_time(clock.t0_ms + k * interval_ms), a.state))
    return out


def _tail_s(group: ReplayGroup, fired: list[tuple[LiveAlert, int, int]], scaled_am: dict[str, object]) -> float:
    """How long after the horizon to keep watching (test time): until the last page of a fired
    alert falls due, at most TAIL_S; nothing when nothing fired."""
    waits = [
        r.group_wait_s * group.time_scale
        for a, _, _ in fired
        for r in routing.match_routes(scaled_am, {**group.external_labels, **a.labels})
    ]
    return min(TAIL_S, max(waits, default=-group.eval_interval_s) + group.eval_interval_s)


def _wait_for_alertmanager(url: str) -> None:
    """Time 0 only once Prometheus sends to its Alertmanager: Prometheus 2 hands the notifier its
    Alertmanagers on a 5 s discovery tick, and an alert that fires before then waits for a resend."""
    with PrometheusClient(url) as prom:
        wait_for(
            f"Prometheus {url} discovering its Alertmanager",
            prom.alertmanagers,
            poll_s=0.05,
            timeout_s=TIMEOUTS.alertmanager_rediscovered,
        )


def replay_group(
    group: ReplayGroup, monitoring: MonitoringConfig, run: RunDir, bin_path: str | None, ports: range | None = None
) -> GroupResult:
    result = GroupResult(group)
    if group.skipped:
        return result
    start = time.monotonic()
    try:
        _replay(group, monitoring, run, bin_path, result, ports)
        slower = slower_scale(group)
        if any(c.cause == UNOBSERVED for c in result.checks) and slower is not None:
            # A tested evaluation could not be read between two others on this busy machine:
            # the same group once more at a slower clock, on fresh storage.
            note = f"re-run at time scale {slower:g}: an evaluation went unread at {group.time_scale:g}"
            group.time_scale = slower
            for data in ("prometheus-data", "alertmanager-data"):
                shutil.rmtree(run.path / data, ignore_errors=True)
            result = GroupResult(group, notes=[note])
            _replay(group, monitoring, run, bin_path, result, ports)
        unread = [c for c in result.checks if c.cause == UNOBSERVED]
        if unread:  # the replay's failure, never a verdict on the config
            result.error = f"{len(unread)} tested evaluation(s) went unread even at time scale {group.time_scale:g}"
    except DrillError as exc:
        result.error = str(exc)
    result.wall_s = time.monotonic() - start
    return result


def _replay(
    group: ReplayGroup,
    monitoring: MonitoringConfig,
    run: RunDir,
    bin_path: str | None,
    result: GroupResult,
    ports: range | None,
) -> None:
    rules = write_replay_rules(group, run.sub("config") / "replay.rules.yml")
    interval_s = group.eval_interval_s / group.time_scale
    interval_ms = round(interval_s * 1000)
    setup = ReplaySetup(
        run, rules, group.time_scale, interval_s, bin_path, group.external_labels, group.external_url, ports
    )
    with open_replay_stack(setup, monitoring) as stack:
        primary = primary_group(group)
        _wait_for_alertmanager(stack.prometheus_url)
        # the lead leaves time to write the samples (about 50 000 a second here) before time 0
        lead_s = LEAD_S + sum(len(s.points) for s in group.series) / 50_000
        clock = Clock(time_zero(grid_phase(stack.prometheus_url, primary), interval_ms, lead_s), group.time_scale)
        samples = samples_of(group.series, group.series_interval_s, clock)
        samples += gate_samples(clock, group.eval_interval_s, group.horizon_s + TAIL_S * 2)
        scaled_am = routing.scale_timers(monitoring.alertmanager, group.time_scale)
        with Feeder(stack.prometheus_url, samples) as feeder:
            if time.time() * 1000 >= clock.t0_ms:  # an evaluation may have run without them
                raise DrillError(
                    f"{group.label}: the samples were written after time 0 ({lead_s:.2f}s lead): the machine is "
                    "too busy for this scale; run with fewer --parallel stacks"
                )
            seen = watch(
                stack.prometheus_url, clock, primary, interval_ms, int(group.horizon_s // group.eval_interval_s)
            )
            tail_s = _tail_s(group, _fired(group, seen), scaled_am)
            seen = watch(
                stack.prometheus_url,
                clock,
                primary,
                interval_ms,
                int((group.horizon_s + tail_s) // group.eval_interval_s),
                seen,
            )
        if feeder.error is not None:
            raise DrillError(f"{group.label}: feeding the series failed: {feeder.error}")
        result.checks += [compare_alert(group, c, seen) for c in group.alerts]
        result.checks += [compare_expr(stack.prometheus_url, group, c, clock) for c in group.exprs]
        _follow_pages(group, monitoring, stack, seen, clock, scaled_am, result)
        result.timeline = _timeline(seen, clock, interval_ms)
        if seen.late_reads:
            result.notes.append(f"{seen.late_reads} evaluation read(s) came late on this machine")


def _follow_pages(
    group: ReplayGroup,
    monitoring: MonitoringConfig,
    stack: ReplayServers,
    seen: Evaluations,
    clock: Clock,
    scaled_am: dict[str, Any],
    result: GroupResult,
) -> None:
    """Every fired alert to its pages, and where the test says it stops, to its resolved notices."""
    pages, notes = expectations(
        seen,
        _fired(group, seen),
        clock,
        scaled_am,
        load_cases(monitoring.routing_tests),
        group.external_labels,
        group.slack_s,
    )
    result.notes += notes
    resolves = resolve_expectations(group, seen, clock, pages, scaled_am)
    bounds = [p.bound_ms for p in pages] + [r.bound_ms for r in resolves]
    if bounds:
        sleep_until(max(bounds) / 1000 + 0.2)
    am_log = stack.log_tails().get("alertmanager", "")
    messages = stack.recorder.messages()
    delivered = []
    for p in pages:
        check = check_page(p, messages, am_log, scaled_am)
        result.checks.append(check)
        result.pages.append(_page_record(p, check, clock))
        if check.ok and p.inhibited_by is None:
            delivered.append(p)
    result.checks += [check_resolved(r, messages) for r in resolves if r.page in delivered]


def _page_record(p: PageExpectation, check: Check, clock: Clock) -> dict[str, object]:
    return {
        "alert": p.alert.name,
        "labels": p.alert.labels,
        "receiver": p.receiver,
        "receivers_from": p.source,
        "fired_at_s": clock.test_time(p.fired_ms),
        "bound_s": (p.bound_ms - p.fired_ms) / 1000,
        "bound_terms": p.terms,
        "ok": check.ok,
        "detail": check.detail,
    }


def replay_all(
    groups: list[ReplayGroup],
    monitoring: MonitoringConfig,
    runs_dir: Path,
    run_id: str,
    bin_path: str | None,
    workers: int,
    progress: Callable[[GroupResult, int, int], None],
) -> list[GroupResult]:
    """Longest first on `workers` stacks at once; `progress` after each group (from its thread)."""
    order = sorted(range(len(groups)), key=lambda i: -groups[i].wall_s if not groups[i].skipped else 0)
    results: dict[int, GroupResult] = {}
    lock = threading.Lock()

    slots: queue.SimpleQueue[int] = queue.SimpleQueue()  # a port block per stack running at once
    leases = [lease_port_block(run_id, f"gw{slot}") for slot in range(max(1, workers))]
    for slot in range(len(leases)):
        slots.put(slot)

    def one(i: int) -> None:
        if STOP.is_set():
            return
        slot = slots.get()
        try:
            result = GroupResult(groups[i])
            if not groups[i].skipped:
                run = RunDir.create(runs_dir, f"{run_id}-gw{i}")
                result = replay_group(groups[i], monitoring, run, bin_path, leases[slot].block)
        except Exception as exc:  # noqa: BLE001 - one group's failure is its error line, never a traceback
            result = GroupResult(groups[i], error=f"alertdrill failed replaying it: {exc!r}")
        finally:
            slots.put(slot)
        with lock:
            results[i] = result
            progress(result, len(results), len(groups))

    STOP.clear()
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(one, i) for i in order]
            try:
                for f in futures:
                    f.result()
            except KeyboardInterrupt:  # the groups under way stop at their next evaluation; the rest never start
                STOP.set()
                for f in futures:
                    f.cancel()
                raise
    finally:
        for lease in leases:
            lease.release()
    return [results[i] for i in range(len(groups))]
