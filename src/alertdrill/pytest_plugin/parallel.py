"""Parallel drills through pytest-xdist: a local stack per worker, one report per run.

Why this shape: each xdist worker is a whole pytest session, so the session-scoped `stack`
fixture gives every worker its own isolated stack (run dir `<run_id>-gwN`, free ports, virtual
nodes, recorder) with no pool of our own. What xdist does not carry, files in the report dir do:
`workers/<gw>.log` (each worker's progress, one line per event, prefixed by its scenario; the
controller prints them as they come) and `workers/<gw>.json` (the worker's drill records,
rewritten after every drill and when it ends, so a crashed worker's finished drills and its
diagnostics still reach the report). The controller merges them into the run's one
results.json and HTML; JUnit and cucumber JSON come through xdist's own reports.

Stopping: a SIGINT/SIGTERM to the controller is forwarded to every worker; a worker turns the
first signal into KeyboardInterrupt (the open drill is torn down, its fault rolled back) and
ignores the rest; the controller waits for the workers' final records before it writes the
report. A SIGKILLed controller: the kernel sends each worker SIGTERM (PDEATHSIG), the same path.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest

from alertdrill.grammar import longest_wait_s
from alertdrill.runtime.atomic import write_text_atomic
from alertdrill.runtime.process import die_with_parent
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll

log = logging.getLogger(__name__)

WORKERS_DIR = "workers"
#: Marker (feature tag @alone) of a drill that needs the machine to itself (the SLO load).
ALONE = "alone"
TAIL_KEY = pytest.StashKey["ProgressTail"]()
REPORT_DIR_KEY = pytest.StashKey[Path]()
#: Which scenario this process is running (a worker runs one at a time): the log lines' prefix.
_current = {"scenario": ""}


def _drill_run(config: pytest.Config) -> bool:
    """A run of drills (`alertdrill run` always names its run), not some other pytest session
    that loads this plugin through the repo's conftest (alertdrill's own tests under xdist)."""
    return bool(getattr(config.option, "run_id", None))


def worker_id(config: pytest.Config) -> str | None:
    """This process's xdist worker id when it is a worker of a parallel drill run."""
    workerinput = getattr(config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput and _drill_run(config) else None


def is_controller(config: pytest.Config) -> bool:
    """The controlling process of a parallel drill run (it runs no drill itself)."""
    return (
        getattr(config, "workerinput", None) is None
        and bool(getattr(config.option, "numprocesses", None))
        and _drill_run(config)
    )


def workers_dir(report_dir: Path) -> Path:
    return report_dir / WORKERS_DIR


# -- ordering ----------------------------------------------------------------------------------
def order_for_workers(items: list[pytest.Item], steps_of: dict[str, list[str]], workers: int) -> None:
    """Longest first, arranged for xdist's first round, @alone drills last; stable and the same
    in every worker (xdist requires one collection order).

    xdist's load scheduler hands each worker its first *two* items as a consecutive pair when
    there are at least two per worker (then one at a time to whoever is free). Sorted plainly,
    worker 0 would get the two longest drills back to back (seen at production timing: the two
    30-minute disk drills on one worker). So the 2N longest are paired longest-with-shortest.
    An @alone drill goes last: it then runs when the others have run out of drills, instead of
    keeping every other worker idle behind it while drills are still waiting.
    """
    index = {item.nodeid: i for i, item in enumerate(items)}
    items.sort(
        key=lambda item: (
            item.get_closest_marker(ALONE) is not None,
            -longest_wait_s(steps_of.get(item.nodeid, [])),
            index[item.nodeid],
        )
    )
    if workers > 1 and len(items) >= 2 * workers:
        head = items[: 2 * workers]
        paired = [item for i in range(workers) for item in (head[i], head[2 * workers - 1 - i])]
        items[: 2 * workers] = paired


# -- signals -----------------------------------------------------------------------------------
def _die_with_controller() -> None:
    """SIGTERM this worker when the controller dies, even by SIGKILL: it then cleans up as on Ctrl-C."""
    die_with_parent(signal.SIGTERM)


#: What pluggy's warning says when xdist's hooks can no longer reach a dead controller.
DEAD_CONTROLLER = r"(?s).*cannot send \(already closed\?\)"


def _quiet_when_orphaned(controller: int, log_path: Path) -> Any:
    """On the first signal: if the controller is gone (SIGKILLed), this worker's stdout and stderr
    go to its own log from now on. It still rolls back its fault, but the hooks that try to report
    to the dead controller ("cannot send (already closed?)") no longer write onto the terminal."""

    def quiet(signum: int) -> None:
        if os.getppid() == controller:
            return
        with contextlib.suppress(OSError):
            fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.close(fd)

    return quiet


def interrupt_once(on_first: Any = None) -> None:
    """SIGINT and SIGTERM become one KeyboardInterrupt; later ones are ignored, so a second
    signal (a terminal's Ctrl-C reaches every worker, and the controller forwards it too) cannot
    break the teardown that rolls back the fault."""
    fired = threading.Event()

    def handler(signum: int, frame: object) -> None:
        if fired.is_set():
            return
        fired.set()
        if on_first is not None:
            on_first(signum)
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not the main thread (pytester in-process)
            signal.signal(sig, handler)


def child_pids(parent: int | None = None) -> list[int]:
    """Live direct children of `parent` (the controller's are its xdist workers)."""
    parent = os.getpid() if parent is None else parent
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == parent:
            out.append(int(proc.name))
    return out


def forward_to_workers(signum: int) -> None:
    for pid in child_pids():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)


# -- worker side -------------------------------------------------------------------------------
class _ScenarioPrefix(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.scenario = _current["scenario"]
        return True


def set_scenario(name: str) -> None:
    _current["scenario"] = name


def start_worker(config: pytest.Config, report_dir: Path) -> None:
    """A worker: die with the controller, one interrupt, progress lines into workers/<gw>.log."""
    gw = worker_id(config)
    assert gw is not None
    config.stash[REPORT_DIR_KEY] = report_dir
    _die_with_controller()
    # A controller gone (SIGKILLed) leaves xdist's own hooks failing to report to it: pluggy warns
    # "cannot send (already closed?)" once per hook onto the terminal. Only that warning is dropped.
    warnings.filterwarnings("ignore", message=DEAD_CONTROLLER, category=pluggy.PluggyTeardownRaisedWarning)
    config.addinivalue_line("filterwarnings", f"ignore:{DEAD_CONTROLLER}:pluggy.PluggyTeardownRaisedWarning")
    path = workers_dir(report_dir) / f"{gw}.log"
    interrupt_once(on_first=_quiet_when_orphaned(os.getppid(), path))
    set_scenario(f"{gw} stack")
    # "started, not finished": after an interrupt the controller waits for this worker's last word
    save_worker_state(report_dir, gw, {"worker": gw, "finished": False, "drills": []})
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)-5s [{gw}] [%(scenario)s] %(message)s", "%H:%M:%S")
    )
    handler.addFilter(_ScenarioPrefix())
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def save_worker_state(report_dir: Path, gw: str, state: dict[str, Any]) -> None:
    write_text_atomic(workers_dir(report_dir) / f"{gw}.json", json.dumps(state, indent=1))


SETUP_ERROR = "setup-error.txt"


def report_setup_error(config: pytest.Config, message: str) -> None:
    """The first worker to meet bad input leaves its located line for the controller."""
    report_dir = config.stash.get(REPORT_DIR_KEY, None)
    if report_dir is None:
        return
    path = workers_dir(report_dir) / SETUP_ERROR
    with contextlib.suppress(FileExistsError, OSError), path.open("x") as f:
        f.write(message)


def setup_error(report_dir: Path) -> str | None:
    try:
        return (workers_dir(report_dir) / SETUP_ERROR).read_text()
    except OSError:
        return None


# -- controller side ---------------------------------------------------------------------------
def start_controller(report_dir: Path) -> None:
    """Empty workers/ of an earlier run in the same report dir, and forward signals to workers."""
    directory = workers_dir(report_dir)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        with contextlib.suppress(OSError):
            old.unlink()
    interrupt_once(forward_to_workers)


def worker_states(report_dir: Path) -> list[dict[str, Any]]:
    states = []
    for path in sorted(workers_dir(report_dir).glob("gw*.json")):
        with contextlib.suppress(OSError, ValueError):
            states.append(json.loads(path.read_text()))
    return states


def wait_for_workers(report_dir: Path, timeout_s: float = TIMEOUTS.worker_stop) -> list[str]:
    """After an interrupt: wait until every started worker wrote its final records (its fault
    rolled back, its stack stopped) or died; return the workers that did neither in time."""

    def pending() -> list[str]:
        return [s["worker"] for s in worker_states(report_dir) if not s.get("finished")]

    first = pending()
    if first and child_pids():
        print(f"\nalertdrill: waiting for {len(first)} worker(s) to roll back and stop their stacks", flush=True)
    waited = poll(
        "workers finished", pending, done=lambda p: not p or not child_pids(), poll_s=0.2, timeout_s=timeout_s
    )
    return waited.value or []


class ProgressTail:
    """The controller prints the workers' progress lines as whole lines, in arrival order."""

    def __init__(self, report_dir: Path, out: Any = None) -> None:
        self.directory = workers_dir(report_dir)
        self.out = out or sys.stdout
        self._offsets: dict[Path, int] = {}
        self._partial: dict[Path, bytes] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="alertdrill-progress", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def say(self, line: str) -> None:
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=TIMEOUTS.thread_join)
        self.poll()  # the last lines

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            with contextlib.suppress(OSError):
                self.poll()

    def poll(self) -> None:
        for path in sorted(self.directory.glob("gw*.log")):
            with self._lock:
                for line in self._new_lines(path):
                    self.out.write(line + "\n")
                self.out.flush()

    def _new_lines(self, path: Path) -> Iterator[str]:
        offset = self._offsets.get(path, 0)
        with path.open("rb") as f:
            f.seek(offset)
            data = self._partial.pop(path, b"") + f.read()
            self._offsets[path] = f.tell()
        *lines, rest = data.split(b"\n")
        if rest:
            self._partial[path] = rest
        for line in lines:
            yield line.decode(errors="replace")


# -- cucumber JSON across processes ----------------------------------------------------------
#: pytest-bdd keeps a report's scenario in a registry beside the report, which xdist does not
#: carry; the worker copies it onto the report (serialised with it), the controller puts it back.
_BDD_ATTR = "alertdrill_bdd_scenario"


def relay_bdd_scenario(config: pytest.Config, report: pytest.TestReport) -> None:
    from pytest_bdd.reporting import ReportContext, test_report_context_registry

    if worker_id(config) is not None:
        context = test_report_context_registry.get(report)
        if context is not None:
            setattr(report, _BDD_ATTR, {"scenario": context.scenario, "name": context.name})
    elif is_controller(config):
        carried = getattr(report, _BDD_ATTR, None)
        if carried is not None and report not in test_report_context_registry:
            test_report_context_registry[report] = ReportContext(scenario=carried["scenario"], name=carried["name"])


def scenario_of(report: pytest.TestReport) -> str | None:
    carried = getattr(report, _BDD_ATTR, None)
    return str(carried["scenario"]["name"]) if carried else None
