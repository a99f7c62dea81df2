"""A script of amtool calls as routing tests, on the real amtool: the script itself runs green,
alertdrill reads the same cases from it as from FLUO's routing.test.yml, and `check` judges them
as amtool does (a wrong receiver fails both)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from alertdrill.check.routetests import run_case
from alertdrill.config.routing_cases import RouteCase, load_cases
from alertdrill.replay.pages import receivers_for
from alertdrill.runtime.binaries import find_binary
from alertdrill.runtime.yamlfile import load_yaml
from tests.conftest import REPO

pytestmark = pytest.mark.integration

FLUO_AM = REPO / "monitoring" / "alertmanager" / "alertmanager.yml"
FLUO_CASES = load_cases(REPO / "monitoring" / "tests" / "routing.test.yml")


def _amtool_script(path: Path, cases: list[RouteCase]) -> Path:
    lines = ["#!/usr/bin/env bash", "set -euo pipefail", f"AM={shlex.quote(str(FLUO_AM))}"]
    for case in cases:
        labels = " ".join(shlex.quote(f"{k}={v}") for k, v in case.labels.items())
        lines += [
            f"# {case.name}",
            'amtool config routes test --config.file="$AM" \\',
            f"    --verify.receivers={','.join(case.receivers)} {labels}",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _run_script(path: Path) -> subprocess.CompletedProcess[str]:
    amtool_dir = find_binary("amtool", None).parent
    env = {**os.environ, "PATH": f"{amtool_dir}:{os.environ['PATH']}"}
    return subprocess.run(["bash", str(path)], env=env, capture_output=True, text=True, timeout=60)


def test_fluos_cases_as_an_amtool_script_run_green_and_read_back_the_same(tmp_path: Path) -> None:
    script = _amtool_script(tmp_path / "routes.sh", FLUO_CASES)
    proc = _run_script(script)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    read = load_cases(script)
    assert [(c.labels, c.receivers) for c in read] == [(c.labels, c.receivers) for c in FLUO_CASES]
    am = load_yaml(FLUO_AM)
    assert all(run_case(case, FLUO_AM, am).ok for case in read)
    # replay names the script's line as where the receivers came from
    routes, source = receivers_for(read[0].labels, read, am)
    assert source == "routing test 'routes.sh:5'"
    assert [r.receiver for r in routes] == list(FLUO_CASES[0].receivers)


def test_a_wrong_receiver_in_the_script_fails_amtool_and_check_alike(tmp_path: Path) -> None:
    wrong = RouteCase(FLUO_CASES[0].name, FLUO_CASES[0].labels, ("high-oncall",))
    script = _amtool_script(tmp_path / "routes.sh", [wrong])
    proc = _run_script(script)
    assert proc.returncode == 1 and "Expected receivers did not match" in proc.stdout + proc.stderr
    (case,) = load_cases(script)
    result = run_case(case, FLUO_AM, load_yaml(FLUO_AM))
    assert not result.ok
    assert "expected high-oncall" in result.problems[0]
