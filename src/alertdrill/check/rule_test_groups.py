"""promtool test groups as the mutation judge runs them: one file per group, on its rule slice.

Why one file per group: a mutant is judged group by group, cheapest first, and stops at the
first group that fails (most killed mutants die in their first group); a group that hangs is
named in the report (file, group, time) instead of taking a batch of unrelated mutants with it.

Why measured first: each group runs once on the unmutated config, on its slice. That proves the
slice gives promtool's own verdict (a group that passed on the whole config but fails on its slice
falls back to the whole config, never a false "killed"), and the time it took sets the group's
timeout (ten times that, plus 10 s): derived from this machine, not a fixed guess.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.check.rule_slice import RuleId, RuleIndex, group_reads
from alertdrill.config.durations import parse_duration
from alertdrill.errors import ConfigError, ToolTimeoutError
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.tools import run_tool
from alertdrill.runtime.yamlfile import dump_yaml

TIMEOUT_FACTOR = 10.0


@dataclass(eq=False)
class RuleTestGroup:
    source: str  # the test file's name as the team wrote it
    number: int  # 1-based position in that file
    header: dict[str, Any]  # the test file without `tests`: rule_files re-pointed, evaluation_interval, ...
    group: dict[str, Any]
    #: The rules that decide it on the unmutated config; None: every rule (the slice cannot be told,
    #: or it did not give promtool's verdict).
    sees: frozenset[RuleId] | None
    seconds: float | None = None  # promtool's time on the unmutated config

    @property
    def label(self) -> str:
        alerts, exprs = group_reads(self.group)
        about = self.group.get("name") or ", ".join(dict.fromkeys(alerts)) or f"{len(exprs)} expression test(s)"
        return f"{self.source} group {self.number} ({about})"

    @property
    def timeout_s(self) -> float:
        if self.seconds is None:
            return TIMEOUTS.rule_tests_unmeasured
        return self.seconds * TIMEOUT_FACTOR + TIMEOUTS.rule_tests_floor

    @property
    def steps(self) -> float:
        """How much promtool has to evaluate: evaluation steps times input series (the cost order)."""
        interval = parse_duration(self.group.get("interval") or self.header.get("evaluation_interval") or "1m")
        times = [
            parse_duration(c["eval_time"])
            for key in ("alert_rule_test", "promql_expr_test")
            for c in self.group.get(key) or []
            if c.get("eval_time") is not None
        ]
        return (max(times, default=0.0) / max(interval, 1e-3) + 1) * (1 + len(self.group.get("input_series") or []))

    def too_slow(self) -> str:
        """Why a run of this group was stopped, located and with the timeout's derivation."""
        why = (
            f"{TIMEOUT_FACTOR:g} times its {self.seconds:.1f}s on the unmutated config, "
            f"plus {TIMEOUTS.rule_tests_floor:g}s"
            if self.seconds is not None
            else "before it was measured"
        )
        return f"{self.label}: promtool test rules did not finish in {self.timeout_s:.1f}s ({why})"

    def can_see(self, rule: RuleId) -> bool:
        return self.sees is None or rule in self.sees


def collect(test_docs: dict[str, dict[str, Any]], index: RuleIndex) -> list[RuleTestGroup]:
    """Every group of every test file (as `tests_for_mutants` holds them), with its slice."""
    out = []
    for name, doc in test_docs.items():
        header = {k: v for k, v in doc.items() if k != "tests"}
        for n, group in enumerate(doc.get("tests") or [], start=1):
            alerts, exprs = group_reads(group)
            out.append(RuleTestGroup(name.split("-", 1)[1], n, header, group, index.closure(alerts, exprs)))
    return out


def write_groups(
    dest: Path, groups: Iterable[RuleTestGroup], index: RuleIndex, rule_paths: list[Path], also: Iterable[RuleId] = ()
) -> list[Path]:
    """A directory promtool can run: the rule files cut to what these groups see (plus `also`),
    and one test file per group, in the given order."""
    groups = list(groups)
    alerts = [a for g in groups for a in group_reads(g.group)[0]]
    exprs = [e for g in groups for e in group_reads(g.group)[1]]
    keep = index.closure(alerts, exprs) if all(g.sees is not None for g in groups) else None
    documents = index.sliced(keep | frozenset(also)) if keep is not None else list(index.documents)
    for doc, path in zip(documents, rule_paths, strict=True):
        dump_yaml(doc, dest / "rules" / path)
    files = []
    for k, g in enumerate(groups):
        files.append(dest / "tests" / f"{k:03d}-{g.source}")
        dump_yaml({**g.header, "tests": [g.group]}, files[-1])
    return files


def _measure_one(g: RuleTestGroup, dest: Path, index: RuleIndex, rule_paths: list[Path], bin_path: str | None) -> str:
    """Run one group on its slice; when the slice fails where the whole config passed, run it on
    the whole config instead (and say so). Returns a note, or ""."""
    (path,) = write_groups(dest, [g], index, rule_paths)
    start = time.monotonic()
    passed = (
        run_tool(
            "promtool",
            ["test", "rules", str(path)],
            bin_path=bin_path,
            timeout_s=TIMEOUTS.rule_tests_unmeasured,
            merge_output=True,
        ).returncode
        == 0
    )
    g.seconds = time.monotonic() - start
    if passed or g.sees is None:
        return "" if passed else f"{g.label} fails on the unmutated config"
    g.sees = None
    note = f"{g.label}: its rule slice does not give promtool's verdict; judged on every rule"
    return note + (
        ""
        if _measure_one(g, dest.with_name(dest.name + "-all"), index, rule_paths, bin_path) == ""
        else " (and fails there too)"
    )


def measure_groups(
    groups: list[RuleTestGroup],
    work: Path,
    index: RuleIndex,
    rule_paths: list[Path],
    bin_path: str | None,
    workers: int,
) -> list[str]:
    """Every group once on the unmutated config, in parallel: its time, and whether its slice holds."""
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            notes = pool.map(
                lambda ig: _measure_one(ig[1], work / f"g{ig[0]:04d}", index, rule_paths, bin_path), enumerate(groups)
            )
            return [n for n in notes if n]
    except ToolTimeoutError as exc:
        raise ConfigError(f"a rule test group hangs on the unmutated config: {exc}") from None
