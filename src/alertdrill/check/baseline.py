"""The mutation baseline: the tests must pass on the unmutated config before a mutant can count.

Why: a test that already fails "kills" every mutant it runs against, so a config whose tests fail
on this promtool would score as well tested. A failing baseline is a located error (exit 2)
naming the failing groups and cases; with `--drop-failing-baseline` they are left out of the
judge instead, and the report lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alertdrill.check.routetests import InhibitCase, run_case, run_inhibit_case
from alertdrill.config.routing_cases import RouteCase
from alertdrill.runtime.tools import run_tool

_GROUP = re.compile(r"^\s+name: (?P<name>.*?),?\s*$")


@dataclass
class Baseline:
    """What fails on the unmutated config."""

    groups: dict[str, list[str]] = field(default_factory=dict)  # test file name -> failing group names
    files: dict[str, str] = field(default_factory=dict)  # test files failing as a whole (no group named)
    cases: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    meta: list[str] = field(default_factory=list)  # the meta-monitoring lint (policy.yml meta_monitoring:)

    @property
    def ok(self) -> bool:
        return not (self.groups or self.files or self.cases or self.people or self.meta)

    def describe(self) -> list[str]:
        out = [f"{f}: test group {g!r} fails" for f, gs in self.groups.items() for g in gs]
        out += [f"{f}: {why}" for f, why in self.files.items()]
        out += [f"routing case {c!r} fails" for c in self.cases]
        out += [f"people lint: {p}" for p in self.people]
        out += [f"meta-monitoring lint: {m}" for m in self.meta]
        return out


def failing_groups(output: str) -> list[str]:
    """Group names promtool reports under FAILED (`name: <group>,`)."""
    return [m["name"] for m in map(_GROUP.match, output.splitlines()) if m]


def measure(
    rule_tests: list[Path],
    cases: list[RouteCase],
    inhibitions: list[InhibitCase],
    am: tuple[Path, dict[str, Any]],
    people: list[str],
    bin_path: str | None,
) -> Baseline:
    base = Baseline(people=list(people))
    for test in rule_tests:
        proc = run_tool("promtool", ["test", "rules", str(test)], bin_path=bin_path, merge_output=True)
        if proc.returncode != 0:
            groups = failing_groups(proc.stdout)
            if groups:
                base.groups[test.name] = groups
            else:
                base.files[test.name] = (proc.stdout.strip().splitlines() or ["fails"])[-1].strip()
    am_path, am_doc = am
    base.cases = [c.name for c in cases if not run_case(c, am_path, am_doc, bin_path).ok]
    base.cases += [c.name for c in inhibitions if not run_inhibit_case(c, am_doc).ok]
    return base


def without_failing_groups(doc: dict[str, Any], failing: list[str]) -> dict[str, Any]:
    return {**doc, "tests": [g for g in doc.get("tests") or [] if g.get("name") not in failing]}
