"""Parallel drills: how many workers, in which order, sharing the machine, progress lines, options."""

from __future__ import annotations

import io
import multiprocessing
import time
from pathlib import Path

import pytest

from alertdrill.cli.parallelism import parse_parallel, resolve_workers, xdist_args
from alertdrill.errors import SetupError
from alertdrill.grammar import longest_wait_s
from alertdrill.pytest_plugin.parallel import ProgressTail, child_pids
from alertdrill.runtime.capacity import STACK_BUDGET_BYTES, STACKS_PER_CORE, auto_workers
from alertdrill.runtime.machine_share import MachineShare

GiB = 2**30


def test_auto_is_the_smallest_of_cores_memory_and_drills() -> None:
    assert auto_workers(20, n_cores=2, memory=24 * GiB).workers == 2 * STACKS_PER_CORE
    assert "bounded by cores" in auto_workers(20, n_cores=2, memory=24 * GiB).why
    tight = auto_workers(20, n_cores=8, memory=3 * STACK_BUDGET_BYTES + 1)
    assert tight.workers == 3 and "bounded by memory" in tight.why
    assert auto_workers(2, n_cores=8, memory=24 * GiB).workers == 2
    assert auto_workers(0, n_cores=8, memory=0).workers == 1  # never zero workers


def test_parallel_option_and_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALERTDRILL_PARALLEL", raising=False)
    assert parse_parallel(None) == (None, False) and parse_parallel("auto") == (None, True)
    assert parse_parallel("3") == (3, True)
    monkeypatch.setenv("ALERTDRILL_PARALLEL", "2")
    assert parse_parallel(None) == (2, False)  # the environment's is a default, not a demand
    for bad in ("0", "-1", "two"):
        with pytest.raises(SetupError, match="--parallel .*number of workers"):
            parse_parallel(bad)
    monkeypatch.setenv("ALERTDRILL_PARALLEL", "x")
    with pytest.raises(SetupError, match="ALERTDRILL_PARALLEL 'x'"):
        parse_parallel(None)


def test_one_cluster_is_one_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERTDRILL_MACHINE_DIR", str(tmp_path))
    assert resolve_workers((None, False), "kind", False, [])[0] == 1
    assert resolve_workers((None, False), "local", True, [])[0] == 1  # --keep-stack: one stack to look at
    with pytest.raises(SetupError, match="one cluster is one stack"):
        resolve_workers((4, True), "cluster", False, [])
    assert resolve_workers((4, False), "cluster", False, [])[0] == 1  # ALERTDRILL_PARALLEL: a default
    with pytest.raises(SetupError, match="a fixed --port fits one stack"):
        resolve_workers((2, True), "local", False, [], fixed_ports=True)


def test_runs_on_one_machine_share_its_budget(tmp_path: Path) -> None:
    """Another live run's workers count against `auto`; a dead run's entry does not."""
    import json
    import os

    from alertdrill.runtime.capacity import claim_workers, stacks_in_use

    ledger = tmp_path / "runs"
    ledger.mkdir()
    ctx = multiprocessing.get_context("fork")
    other = ctx.Process(target=time.sleep, args=(5,))
    other.start()
    try:
        (ledger / f"{other.pid}.json").write_text(json.dumps({"pid": other.pid, "workers": 4}))
        (ledger / "999999999.json").write_text(json.dumps({"pid": 999999999, "workers": 5}))  # dead
        assert stacks_in_use(ledger) == 4 and not (ledger / "999999999.json").exists()
        mine = claim_workers(20, None, ledger)
        assert "less 4 held by other runs" in mine.why
        assert json.loads((ledger / f"{os.getpid()}.json").read_text())["workers"] == mine.workers
    finally:
        other.terminate()
        other.join()
    assert auto_workers(20, n_cores=2, memory=24 * GiB, in_use=6).workers == 1  # never below one


def test_xdist_gets_one_drill_at_a_time() -> None:
    assert xdist_args(1) == ["-p", "no:xdist"]
    assert xdist_args(3) == ["-n", "3", "--dist", "load", "--maxschedchunk", "1"]


def test_longest_wait_orders_the_drills() -> None:
    escalation = ['it escalates to "a" after 5 minutes, "b" after 15 minutes and "c" after 30 minutes']
    assert longest_wait_s(escalation) == 1800
    assert longest_wait_s(['alert "X" fires for job "bff" after holding for 30 seconds']) == 30
    assert longest_wait_s(['alert "X" stays quiet for the whole bound of its 900 second hold']) == 900
    assert longest_wait_s(["nobody is emailed about it again through its 15 minute escalation"]) == 900
    # a recovery bound and a deferral are not waits the drill sits out
    assert longest_wait_s(["it resolves within 5 minutes", 'held back from "a" for 4 hours']) == 0


def _hold(directory: str, mode: str, seconds: float, log: str) -> None:
    share = MachineShare(Path(directory))
    with share.alone() if mode == "alone" else share.shared():
        with open(log, "a") as f:
            f.write(f"{mode} start {time.monotonic()}\n")
        time.sleep(seconds)
        with open(log, "a") as f:
            f.write(f"{mode} end {time.monotonic()}\n")


def _spans(log: Path) -> dict[str, list[tuple[float, float]]]:
    starts: dict[str, list[float]] = {}
    spans: dict[str, list[tuple[float, float]]] = {}
    for line in log.read_text().splitlines():
        mode, what, at = line.split()
        if what == "start":
            starts.setdefault(mode, []).append(float(at))
        else:
            spans.setdefault(mode, []).append((starts[mode].pop(0), float(at)))
    return spans


def test_a_drill_alone_runs_beside_no_other_and_is_not_starved(tmp_path: Path) -> None:
    """Real processes and real flock(2): shared holders overlap each other, never the alone one;
    a shared drill that asks after the alone one waits for it (the gate)."""
    log = tmp_path / "log"
    ctx = multiprocessing.get_context("fork")
    first = [ctx.Process(target=_hold, args=(str(tmp_path), "shared", 0.6, str(log))) for _ in range(2)]
    for p in first:
        p.start()
    time.sleep(0.2)
    alone = ctx.Process(target=_hold, args=(str(tmp_path), "alone", 0.4, str(log)))
    alone.start()
    time.sleep(0.2)
    late = ctx.Process(target=_hold, args=(str(tmp_path), "late", 0.1, str(log)))
    late.start()
    for p in [*first, alone, late]:
        p.join(10)
        assert p.exitcode == 0
    spans = _spans(log)
    (a_start, a_end), (l_start, _) = spans["alone"][0], spans["late"][0]
    assert max(s for s, _ in spans["shared"]) < min(e for _, e in spans["shared"])  # the two overlapped
    assert all(e <= a_start for _, e in spans["shared"])  # alone waited for both
    assert l_start >= a_end  # the later shared drill waited at the gate


def test_progress_lines_are_printed_whole(tmp_path: Path) -> None:
    workers = tmp_path / "workers"
    workers.mkdir()
    out = io.StringIO()
    tail = ProgressTail(tmp_path, out)
    (workers / "gw0.log").write_text("12:00:00 INFO  [gw0] [kill] fault inj")
    tail.poll()
    assert out.getvalue() == ""  # half a line waits for its end
    with (workers / "gw0.log").open("a") as f:
        f.write("ected\n12:00:01 INFO  [gw0] [kill] waiting\n")
    (workers / "gw1.log").write_text("12:00:01 INFO  [gw1] [hang] fault injected\n")
    tail.poll()
    assert out.getvalue().splitlines() == [
        "12:00:00 INFO  [gw0] [kill] fault injected",
        "12:00:01 INFO  [gw0] [kill] waiting",
        "12:00:01 INFO  [gw1] [hang] fault injected",
    ]


def test_child_pids_finds_this_process_children() -> None:
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=time.sleep, args=(2,))
    p.start()
    try:
        assert p.pid in child_pids()
    finally:
        p.terminate()
        p.join()


def test_each_worker_takes_ports_from_its_own_block_below_the_ephemeral_range() -> None:
    from alertdrill.runtime.ports import PortAllocator, worker_port_block

    blocks = [worker_port_block("20261129-120000-abcdef", f"gw{n}") for n in range(8)]
    assert all(b.stop <= 32768 for b in blocks)  # Linux picks ephemeral ports from 32768 up
    assert len({p for b in blocks for p in b}) == sum(len(b) for b in blocks)  # pairwise disjoint
    allocator = PortAllocator(blocks[0])
    ports = [allocator.claim(f"s{i}") for i in range(10)]
    assert len(set(ports)) == 10 and all(p in blocks[0] for p in ports)


def test_two_runs_whose_hashed_blocks_coincide_are_given_different_leased_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen: one run's gw0 block was another's gw1 (adjacent hashes), and NATS could not bind.
    A lease held by another live process is skipped; its death (SIGKILL) frees the block."""
    import subprocess
    import sys

    from alertdrill.runtime import ports
    from alertdrill.runtime.ports import lease_port_block, worker_port_block

    monkeypatch.setattr(ports, "LEASE_DIR", tmp_path)  # this test's own leases, whatever else runs

    run_a, run_b = "20261202-144714-637b50", "20261202-144714-5e973b"
    assert worker_port_block(run_a, "gw0") == worker_port_block(run_b, "gw1")  # the collision seen
    a = lease_port_block(run_a, "gw0")
    b = lease_port_block(run_b, "gw1")
    try:
        assert a.block == worker_port_block(run_a, "gw0") and b.block != a.block
    finally:
        b.release()
    code = (
        f"import alertdrill.runtime.ports as p, pathlib; p.LEASE_DIR = pathlib.Path({str(tmp_path)!r}); "
        f"x = p.lease_port_block({run_b!r}, 'gw0'); print(x.block.start, flush=True); input()"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        held = int(holder.stdout.readline())
        assert held == worker_port_block(run_b, "gw0").start
        other = lease_port_block(run_b, "gw0")
        assert other.block.start != held  # another process holds it
        other.release()
    finally:
        holder.kill()
        holder.wait()
    again = lease_port_block(run_b, "gw0")  # the killed holder left nothing behind
    assert again.block.start == held
    again.release()
    a.release()


def test_a_worker_stack_has_its_own_run_dir_and_the_run_keeps_one_report_dir() -> None:
    from alertdrill.settings import Settings

    worker = Settings.resolve({"run_id": "20261129-120000-abcdef", "worker": "gw3"}, env={})
    assert worker.stack_run_id == "20261129-120000-abcdef-gw3"
    assert worker.reports_for("20261129-120000-abcdef") == Path("reports/20261129-120000-abcdef")
    assert Settings.resolve({"run_id": "r1"}, env={}).stack_run_id == "r1"


def test_production_timing_gets_production_intervals() -> None:
    from alertdrill.settings import Settings

    intervals = {s: Settings.resolve({"time_scale": str(s)}, env={}).scrape_interval_s for s in (120, 60, 10, 1)}
    assert intervals == {120: 1.0, 60: 1.0, 10: 6.0, 1: 15.0}
    assert Settings.resolve({"stack": "kind", "time_scale": "1"}, env={}).scrape_interval_s == 5.0


class _Item:
    """Just what ordering reads of a pytest item: its id and its markers."""

    def __init__(self, nodeid: str, alone: bool = False) -> None:
        self.nodeid, self.alone = nodeid, alone

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "alone" and self.alone else None


def test_xdists_first_pairs_never_put_two_long_drills_on_one_worker() -> None:
    """xdist gives each worker its first two items as a consecutive pair (with ≥ 2 per worker)."""
    from alertdrill.pytest_plugin.parallel import order_for_workers

    waits = {"d95": 1800, "d12": 1800, "esc": 1800, "ack": 900, "m85": 900, "m75": 900, "bl": 600, "k1": 30, "k2": 30}
    items = [_Item(n) for n in waits] + [_Item("slo", alone=True)]
    steps = {n: [f"after holding for {w} seconds"] for n, w in waits.items()}
    order_for_workers(items, steps, workers=3)  # type: ignore[arg-type]
    names = [i.nodeid for i in items]
    firsts = [names[0:2], names[2:4], names[4:6]]  # what each worker gets first
    assert all(sum(waits[n] >= 1800 for n in pair) <= 1 for pair in firsts), firsts
    assert firsts == [["d95", "m75"], ["d12", "m85"], ["esc", "ack"]]
    assert names[6:] == ["bl", "k1", "k2", "slo"]  # then longest first to whoever is free; alone last


def test_production_timing_fits_more_stacks_by_their_measured_cpu(tmp_path: Path) -> None:
    """An idle stack took 7.9 % of a core at scale 60 and 5.2 % at scale 1: the cores' budget is the
    CPU of 3 scale-60 stacks a core, so 2 cores run 9 stacks at scale 1, and a scale-1 run's
    stacks weigh 0.66 of a scale-60 one in the machine's ledger."""
    import json
    import os

    from alertdrill.runtime.capacity import claim_workers, stack_cpu_percent, stacks_in_use

    assert stack_cpu_percent(60) == 7.9 and stack_cpu_percent(1) == 5.2 and 5.2 < stack_cpu_percent(10) < 7.9
    assert auto_workers(19, n_cores=2, memory=24 * GiB, time_scale=60).workers == 6
    assert auto_workers(19, n_cores=2, memory=24 * GiB, time_scale=1).workers == 9
    assert auto_workers(19, n_cores=2, memory=24 * GiB, time_scale=0.5).workers == 9  # held flat below 1
    ledger = tmp_path / "runs"
    mine = claim_workers(19, None, ledger, time_scale=1)
    entry = json.loads((ledger / f"{os.getpid()}.json").read_text())
    assert entry["workers"] == mine.workers and abs(entry["load"] - mine.workers * 5.2 / 7.9) < 0.01
    (ledger / f"{os.getpid()}.json").rename(ledger / "1.json")  # seen from another run: pid 1 lives
    (ledger / "1.json").write_text(json.dumps({**entry, "pid": 1}))
    assert abs(stacks_in_use(ledger) - entry["load"]) < 1e-9
