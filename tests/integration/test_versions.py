"""The version matrix where it fits the budget: `check` and `mutate` of FLUO's config give the
same verdicts on the current versions (promtool 3.14, amtool 0.34) and on Debian's (2.42, 0.25).
The drills themselves run on the current versions in this suite (README "Server versions")."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration

VERSION_SETS = ("current", "debian")


def _verdicts(junit: Path) -> dict[str, str]:
    """testcase -> "passed" or its failure's first line (a mutant's name: "killed", "survived", ...)."""
    out = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failure = case.find("failure")
        out[f"{case.get('classname')}::{case.get('name')}"] = (
            "passed" if failure is None else (failure.get("message") or "failed").splitlines()[0]
        )
    return out


def test_check_gives_the_same_verdicts_on_both_version_sets(runner: Runner, tmp_path: Path) -> None:
    seen = {}
    for versions in VERSION_SETS:
        junit = tmp_path / f"check-{versions}.xml"
        proc = runner.run("check", "--versions", versions, "--junit", str(junit))
        assert proc.returncode == 0, (versions, proc.stdout + proc.stderr)
        seen[versions] = _verdicts(junit)
    assert seen["current"] == seen["debian"] and len(seen["current"]) > 20


def test_mutate_kills_the_same_mutants_on_both_version_sets(runner: Runner, tmp_path: Path) -> None:
    seen = {}
    for versions in VERSION_SETS:
        junit = tmp_path / f"mutate-{versions}.xml"
        proc = runner.run("mutate", "--versions", versions, "--diffs", "0", "--junit", str(junit))
        assert proc.returncode == 0, (versions, proc.stdout + proc.stderr)
        assert "mutation score 100.0%" in proc.stdout, (versions, proc.stdout[:400])
        seen[versions] = _verdicts(junit)
    assert seen["current"] == seen["debian"] and len(seen["current"]) > 200
