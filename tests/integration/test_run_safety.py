"""A run never destroys earlier results, and usage errors come before anything is touched."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration

ONE_DRILL = ("run", "features/alerts/service_down.feature", "-k", "bff and killed")
BAD_OPTIONS = [
    (["--time-scale", "abc"], {}, "--time-scale 'abc' is not a number"),
    (["--tags", "P0 and"], {}, "--tags 'P0 and' is not a valid expression"),
    (["--keep-runs", "0"], {}, "--keep-runs must be > 0"),
    (["features/nope.feature"], {}, "features/nope.feature: no such feature file or directory"),
    (["--monitoring", "/nonexistent"], {}, "--monitoring '/nonexistent': no such directory"),
    ([], {"ALERTDRILL_SLACK_S": "fast"}, "ALERTDRILL_SLACK_S 'fast' is not a number"),
    ([], {"ALERTDRILL_KEEP_RUNS": "2.5"}, "ALERTDRILL_KEEP_RUNS '2.5' must be a whole number"),
]


def _snapshot(root: Path, run_id: str) -> dict[str, bytes | str]:
    """Every file of one run's report dir, byte for byte, and where `latest` points."""
    out: dict[str, bytes | str] = {"latest ->": os.readlink(root / "latest")}
    for path in sorted((root / run_id).rglob("*")):
        if path.is_file():
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


def _runs(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink()}


def test_bad_options_sigkill_and_sigint_leave_the_good_run_intact(runner: Runner) -> None:
    runner.fixed_report_dir = False
    good = runner.run(*ONE_DRILL, "-q", timeout=240)
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-2000:]
    root = runner.reports_root
    (good_id,) = _runs(root)
    assert os.readlink(root / "latest") == good_id
    assert {"results.json", "junit.xml", "cucumber.json", "report.html"} <= {p.name for p in (root / good_id).iterdir()}
    before = _snapshot(root, good_id)

    for args, env, needle in BAD_OPTIONS:
        runner.env.update(env)
        proc = runner.run("run", *args)
        for key in env:
            del runner.env[key]
        assert proc.returncode == 2, (args, proc.stdout[-2000:], proc.stderr[-2000:])
        assert proc.stderr.strip() == f"alertdrill: error: {proc.stderr.strip().removeprefix('alertdrill: error: ')}"
        assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
        assert _runs(root) == {good_id} and _snapshot(root, good_id) == before, f"{args} touched the reports"

    killed, _ = runner.popen_until("fault injected", *ONE_DRILL)
    killed.kill()
    killed.wait(timeout=10)
    assert _snapshot(root, good_id) == before, "a SIGKILLed run changed an earlier run's results"
    assert runner.run("revert").returncode == 0

    stopped, lines = runner.popen_until("fault injected", *ONE_DRILL)
    stopped.send_signal(signal.SIGINT)
    assert stopped.wait(timeout=60) == 130, "".join(lines[-40:])
    assert _snapshot(root, good_id) == before, "an interrupted run changed an earlier run's results or `latest`"
    others = [root / r / "results.json" for r in _runs(root) - {good_id}]
    # the SIGKILLed run could write nothing; the interrupted one says so
    (results,) = [json.loads(p.read_text()) for p in others if p.is_file()]
    assert results["outcome"] == "interrupted"
    assert results["interrupted_drill"] == "the BFF is killed"
    (drill,) = results["drills"]
    assert drill["outcome"] == "interrupted" and results["summary"]["interrupted"] == 1
    assert runner.leftovers() == [] and not list(runner.state_dir.glob("runs/*/faults/*.json"))


def test_a_fixed_report_dir_is_only_replaced_by_a_run_with_results(runner: Runner) -> None:
    """`--report-dir DIR` (CI's fixed path): a usage error leaves DIR's files as they were."""
    runner.report_dir.mkdir(parents=True)
    for name in ("results.json", "junit.xml", "cucumber.json", "report.html"):
        (runner.report_dir / name).write_text(f"earlier {name}")
    proc = runner.run("run", "--time-scale", "abc")
    assert proc.returncode == 2
    assert {p.name: p.read_text() for p in runner.report_dir.iterdir()} == {
        name: f"earlier {name}" for name in ("results.json", "junit.xml", "cucumber.json", "report.html")
    }
