"""What `alertdrill mutate` found: one result per mutant, and the report with its score.

Data only, apart from the judging in mutate.py, so the report and the live-drill follow-up
(mutate_report.py, mutant_drills.py) read results without the machinery that made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alertdrill.check.mutants import Mutant
from alertdrill.check.rule_test_groups import RuleTestGroup


@dataclass(eq=False)
class MutantResult:
    mutant: Mutant
    #: killed | survived | stillborn | timeout (promtool hung on its tests: left out, reported) |
    #: accepted (a survivor accepted.yml keeps, with its reason)
    verdict: str
    killed_by: str = ""
    diff: str = ""
    path: Path | None = None
    #: The test groups that judge it (rule mutants), in the order they run: one file each.
    group_files: list[tuple[Path, RuleTestGroup]] = field(default_factory=list)

    # JUnit shape
    @property
    def suite(self) -> str:
        """JUnit suite per alert (rule mutants) so a CI view groups them as the summary does."""
        return f"mutants.rules.{self.mutant.target}" if self.mutant.kind == "rules" else "mutants.alertmanager"

    @property
    def name(self) -> str:
        return f"{self.mutant.target}: {self.mutant.description}"

    @property
    def ok(self) -> bool:
        return self.verdict != "survived"

    @property
    def detail(self) -> str:
        return self.killed_by if self.ok else f"survived:\n{self.diff}"


@dataclass
class MutationReport:
    results: list[MutantResult] = field(default_factory=list)
    seconds: float = 0.0
    #: What the baseline left out of the judge (--drop-failing-baseline), and how many mutants were
    #: generated before duplicates and no-op edits were dropped.
    left_out: list[str] = field(default_factory=list)
    candidates: int = 0
    #: Alerts of the config that no rule test names (every rule mutant of theirs survives).
    untested: list[str] = field(default_factory=list)
    #: Recording rules no test group reads, directly or through an alert (their mutants survive).
    unread_records: list[str] = field(default_factory=list)
    not_sampled: int = 0  # distinct mutants a --max-mutants sample left out
    #: Test groups judged on every rule because their slice could not be told or did not hold.
    notes: list[str] = field(default_factory=list)

    def per_target(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.results:
            key = r.mutant.target if r.mutant.kind == "rules" else "(alertmanager config)"
            counts = out.setdefault(key, {"killed": 0, "survived": 0, "stillborn": 0, "accepted": 0, "timeout": 0})
            counts[r.verdict] += 1
        return out

    @property
    def counted(self) -> list[MutantResult]:
        return [r for r in self.results if r.verdict not in ("stillborn", "accepted", "timeout")]

    @property
    def accepted(self) -> list[MutantResult]:
        return [r for r in self.results if r.verdict == "accepted"]

    @property
    def score(self) -> float:
        counted = self.counted
        return sum(r.verdict == "killed" for r in counted) / len(counted) if counted else 1.0

    @property
    def survivors(self) -> list[MutantResult]:
        return [r for r in self.results if r.verdict == "survived"]
