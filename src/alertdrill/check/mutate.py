"""`alertdrill mutate`: would the rule and routing tests notice a broken config?

Each mutant is written as a complete monitoring directory and judged by the same checks
`alertdrill check` runs: promtool rule tests for rule mutants, amtool routing cases plus the
timer and send_resolved checks for Alertmanager mutants. A mutant that fails its file's own
syntax check is stillborn and not counted. Score = killed / (killed + survived).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.check.accepted import accepting, load_accepted, stale
from alertdrill.check.baseline import Baseline, measure, without_failing_groups
from alertdrill.check.meta_lint import lint_meta
from alertdrill.check.mutants import Mutant, config_mutants, distinct, meta_mutants, mutant_diff, rule_mutants
from alertdrill.check.mutation_results import MutantResult, MutationReport
from alertdrill.check.routetests import (
    InhibitCase,
    load_inhibit_cases,
    run_case,
    run_inhibit_case,
    send_resolved_problems,
)
from alertdrill.check.rule_slice import RuleIndex
from alertdrill.check.rule_test_groups import RuleTestGroup, collect, measure_groups, write_groups
from alertdrill.check.suite import load_team_files, paging_receivers_of, people_problems
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.config.routing_cases import RouteCase, load_cases
from alertdrill.errors import ConfigError, ToolTimeoutError
from alertdrill.runtime.tools import run_tool
from alertdrill.runtime.yamlfile import dump_yaml, load_yaml

BATCH = 12
PROGRESS_S = 10.0


def _per_file(output: str, files: list[str]) -> dict[str, bool]:
    """promtool prints one verdict line per file, in the order given: `  SUCCESS` or `  FAILED:`.

    promtool 2.42 also heads each block with `Unit Testing:  <file>`; promtool 3 prints no file
    name at all, so the verdicts are matched to the files by their order (both print them in
    order on one merged pipe). Fewer verdicts than files: nothing is decided here.
    """
    verdicts = [line.strip() == "SUCCESS" for line in output.splitlines() if line in ("  SUCCESS", "  FAILED:")]
    return dict(zip(files, verdicts, strict=True)) if len(verdicts) == len(files) else {}


def _write_mutant(
    work: Path, n: int, config: MonitoringConfig, m: Mutant, groups: list[RuleTestGroup]
) -> tuple[Path, list[tuple[Path, RuleTestGroup]]]:
    """A minimal directory for one mutant, and the test groups that judge it, cheapest first.

    A rule mutant is judged only by the groups that can see the mutated rule (its alert, or an
    alert or expression whose recording-rule chain reads it), each on the slice of rules it reads
    (`rule_slice`): same verdict as the whole config, a fraction of the work. The tests'
    `rule_files` were re-pointed at these copies by `tests_for_mutants`.
    """
    dest = work / f"m{n:04d}"
    (dest / "tests").mkdir(parents=True)
    if m.kind != "rules":
        dump_yaml(m.document, dest / "alertmanager.yml")
        return dest, []
    documents = [m.document if i == m.file_index else rf.document for i, rf in enumerate(config.rule_files)]
    seeing = [g for g in groups if g.can_see(m.rule_id)]
    paths = [config.rule_path(rf) for rf in config.rule_files]
    files = write_groups(dest, seeing, RuleIndex.of(documents), paths, also=[m.rule_id])
    return dest, list(zip(files, seeing, strict=True))


def tests_for_mutants(config: MonitoringConfig, baseline_groups: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Every rule test file as a mutant directory holds it (`tests/<n>-<name>`): failing baseline
    groups left out, and each `rule_files` entry resolved as promtool does (relative to the test
    file, globs allowed) and pointed at the mutant's copy of that rule file."""
    copies = {rf.path.resolve(): f"../rules/{config.rule_path(rf)}" for rf in config.rule_files}
    out = {}
    for i, path in enumerate(config.rule_tests):
        doc = without_failing_groups(load_yaml(path), baseline_groups.get(path.name, []))
        entries = []
        for entry in doc.get("rule_files") or []:
            matched = (
                sorted(path.parent.glob(str(entry)))
                if any(c in str(entry) for c in "*?[")
                else [path.parent / str(entry)]
            )
            entries += [copies.get(m.resolve(), str(m.resolve())) for m in matched]
        out[f"{i:02d}-{path.name}"] = {**doc, "rule_files": entries}
    return out


def rejected_rule_files(files: list[Path], bin_path: str | None) -> dict[Path, str]:
    """Rule files promtool rejects, decided by its exit status: a lint warning (a duplicate rule,
    printed under "FAILED" by promtool 2.42 with exit 0) is not a rejection. One call for the
    batch; only when it fails, one call per file to tell which."""
    if run_tool("promtool", ["check", "rules", *map(str, files)], bin_path=bin_path).returncode == 0:
        return {}
    out = {}
    for f in files:
        proc = run_tool("promtool", ["check", "rules", str(f)], bin_path=bin_path, merge_output=True)
        if proc.returncode != 0:
            out[f] = (proc.stdout.strip().splitlines() or ["?"])[-1].strip()
    return out


@dataclass(frozen=True)
class _Judge:
    """The checks a mutant must survive: the same ones `alertdrill check` runs."""

    config: MonitoringConfig
    cases: list[RouteCase]
    bin_path: str | None
    inhibitions: list[InhibitCase]
    people_lint: bool = True
    meta_lint: bool = True

    def rules(self, batch: list[MutantResult]) -> None:
        """Round by round: each mutant's next group, one promtool call for the whole batch; a mutant
        leaves at its first failing group."""
        rule_file = self.config.rule_files
        files = {r: r.path / "rules" / self.config.rule_path(rule_file[r.mutant.file_index]) for r in batch if r.path}
        rejected = rejected_rule_files(list(files.values()), self.bin_path)
        pending = []
        for r, f in files.items():
            if f in rejected:
                r.verdict, r.killed_by = "stillborn", f"promtool check rules rejects it: {rejected[f]}"
            else:
                pending.append(r)
        position = 0
        while pending:
            this_round = {r: r.group_files[position] for r in pending if position < len(r.group_files)}
            for r, (verdict, why) in self._round(this_round).items():
                r.verdict, r.killed_by = verdict, why
            pending = [r for r in this_round if r.verdict == "survived"]
            position += 1

    def _round(self, files: dict[MutantResult, tuple[Path, RuleTestGroup]]) -> dict[MutantResult, tuple[str, str]]:
        """Verdicts of one round; a round that runs past its groups' timeouts is re-run group by
        group so the one that hangs is named (file, group, time) and the others are still judged."""
        if not files:
            return {}
        try:
            paths = {r: p for r, (p, _g) in files.items()}
            failing = self._failing_tests(paths, sum(g.timeout_s for _p, g in files.values()))
            return {r: ("killed", f"rule tests {files[r][1].label}") for r in failing}
        except ToolTimeoutError:
            out = {}
            for r, (path, group) in files.items():
                try:
                    if self._failing_tests({r: path}, group.timeout_s):
                        out[r] = ("killed", f"rule tests {group.label}")
                except ToolTimeoutError:
                    out[r] = ("timeout", f"{group.too_slow()}; this mutant is left out")
            return out

    def _failing_tests(self, paths: dict[MutantResult, Path], timeout_s: float) -> dict[MutantResult, Path]:
        """Which mutants' tests fail: by exit status for the batch, then per file from its output
        (re-run alone when the output does not say)."""
        proc = run_tool(
            "promtool",
            ["test", "rules", *map(str, paths.values())],
            bin_path=self.bin_path,
            timeout_s=timeout_s,
            merge_output=True,
        )
        if proc.returncode == 0:
            return {}
        verdicts = _per_file(proc.stdout, [str(p) for p in paths.values()])
        failing = {r: p for r, p in paths.items() if verdicts.get(str(p)) is False}
        if failing:
            return failing
        return {
            r: p
            for r, p in paths.items()
            if run_tool("promtool", ["test", "rules", str(p)], bin_path=self.bin_path, timeout_s=timeout_s).returncode
            != 0
        }

    def alertmanager(self, r: MutantResult) -> None:
        assert r.path is not None
        am_path = r.path / "alertmanager.yml"
        if run_tool("amtool", ["check-config", str(am_path)], bin_path=self.bin_path).returncode != 0:
            r.verdict, r.killed_by = "stillborn", "amtool check-config rejects it"
            return
        for case in self.cases:
            result = run_case(case, am_path, r.mutant.document, self.bin_path)
            if not result.ok:
                r.verdict, r.killed_by = "killed", f"routing case {case.name!r}: {'; '.join(result.problems)}"
                return
        for inhibit in self.inhibitions:
            result = run_inhibit_case(inhibit, r.mutant.document)
            if not result.ok:
                r.verdict, r.killed_by = "killed", f"inhibition case {inhibit.name!r}: {'; '.join(result.problems)}"
                return
        people = (
            people_problems(self.config, r.mutant.document, self.config.alertmanager_path, self.bin_path)
            if self.people_lint
            else []
        )
        if people:
            r.verdict, r.killed_by = "killed", f"people lint: {people[0]}"
            return
        meta = lint_meta(dataclasses.replace(self.config, alertmanager=r.mutant.document)) if self.meta_lint else []
        if meta:
            r.verdict, r.killed_by = "killed", f"meta-monitoring lint: {meta[0]}"
            return
        paging = paging_receivers_of(self.config, r.mutant.document, self.cases)
        problems = send_resolved_problems(r.mutant.document, paging)
        if problems:
            r.verdict, r.killed_by = "killed", problems[0]


def _wait_with_progress(futures: list[Future[None]], results: list[MutantResult], start: float) -> None:
    """Wait for every judgement, saying on stderr every ~10 s how far it got (a big config takes minutes)."""
    last = time.monotonic()
    for f in as_completed(futures):
        f.result()
        if time.monotonic() - last >= PROGRESS_S:
            last = time.monotonic()
            judged = sum(r.verdict != "survived" for r in results)
            print(
                f"mutate: {sum(x.done() for x in futures)}/{len(futures)} batches judged, {judged} mutants "
                f"killed or stillborn so far, {last - start:.0f}s",
                file=sys.stderr,
                flush=True,
            )


def sample(mutants: list[Mutant], n: int | None) -> list[Mutant]:
    """At most `n` mutants, spread evenly over the list (every alert and the config keep a share);
    the same `n` gives the same sample, so a quick gate is repeatable."""
    if n is None or n >= len(mutants):
        return mutants
    step = len(mutants) / n
    return [mutants[int(i * step)] for i in range(n)]


def _baseline_and_judge(
    config: MonitoringConfig, bin_path: str | None, drop_failing_baseline: bool
) -> tuple[Baseline, dict[str, dict[str, Any]], _Judge]:
    """The tests on the unmutated config first; the judge then runs only what passed there."""
    rule_tests = config.rule_tests
    cases, inhibitions = load_cases(config.routing_tests), load_inhibit_cases(config.routing_tests)
    people = people_problems(config, config.alertmanager, config.alertmanager_path, bin_path)
    am = (config.alertmanager_path, config.alertmanager)
    baseline = measure(rule_tests, cases, inhibitions, am, people, bin_path)
    # a finding on the unmutated config would "kill" every Alertmanager mutant: it is no judge then
    baseline.meta = [str(f) for f in lint_meta(config)]
    if not baseline.ok and not drop_failing_baseline:
        raise ConfigError(
            "the tests fail on the unmutated config, so no mutant could be judged: "
            + "; ".join(baseline.describe())
            + ". Fix them (alertdrill check shows why), or pass --drop-failing-baseline to leave them out"
        )
    test_docs = {
        name: doc
        for (name, doc), t in zip(tests_for_mutants(config, baseline.groups).items(), rule_tests, strict=True)
        if t.name not in baseline.files
    }
    judge = _Judge(
        config,
        [c for c in cases if c.name not in baseline.cases],
        bin_path,
        [c for c in inhibitions if c.name not in baseline.cases],
        people_lint=not baseline.people,
        meta_lint=not baseline.meta,
    )
    return baseline, test_docs, judge


def _judged_groups(
    config: MonitoringConfig,
    index: RuleIndex,
    test_docs: dict[str, dict[str, Any]],
    work: Path,
    bin_path: str | None,
    workers: int,
) -> tuple[list[RuleTestGroup], list[str]]:
    """Every test group measured once on the unmutated config (time, and its slice's verdict),
    cheapest first."""
    groups = collect(test_docs, index)
    notes = measure_groups(groups, work, index, [config.rule_path(rf) for rf in config.rule_files], bin_path, workers)
    every = sum(map(len, [*index.alerts.values(), *index.records.values()]))
    # by evaluations x rules, not measured time: the same order (and the same "killed by") every run
    return sorted(groups, key=lambda g: g.steps * (len(g.sees) if g.sees is not None else every)), notes


def run_mutation(
    root: Path,
    bin_path: str | None = None,
    workers: int | None = None,
    drop_failing_baseline: bool = False,
    max_mutants: int | None = None,
) -> MutationReport:
    start = time.monotonic()
    workers = workers or max(2, os.cpu_count() or 2)
    load_team_files(root)  # a typo in policy.yml or metrics.yml: located, before any promtool work
    accepted = load_accepted(root)
    config = MonitoringConfig.load(root, bin_path)
    originals: dict[tuple[str, int], Any] = {("rules", i): rf.document for i, rf in enumerate(config.rule_files)}
    originals[("alertmanager", 0)] = config.alertmanager
    candidates = [
        *rule_mutants([rf.document for rf in config.rule_files]),
        *config_mutants(config.alertmanager),
        *meta_mutants(config),
    ]
    unique = distinct(candidates, originals)
    mutants = sample(unique, max_mutants)
    baseline, test_docs, judge = _baseline_and_judge(config, bin_path, drop_failing_baseline)
    named = {
        c.get("alertname")
        for d in test_docs.values()
        for g in d.get("tests") or []
        for c in g.get("alert_rule_test") or []
    }
    untested = list(dict.fromkeys(r.name for r in config.rules if r.name not in named))
    failing = [f"{what} (failing on the unmutated config)" for what in baseline.describe()]
    report = MutationReport(left_out=failing, candidates=len(candidates), untested=untested)
    report.not_sampled = len(unique) - len(mutants)
    with tempfile.TemporaryDirectory(prefix="alertdrill-mutants-") as tmp:
        index = RuleIndex.of(rf.document for rf in config.rule_files)
        groups, report.notes = _judged_groups(config, index, test_docs, Path(tmp) / "groups", bin_path, workers)
        report.unread_records = [
            name for name, ids in index.records.items() if not any(g.can_see(rid) for g in groups for rid in ids)
        ]
        results = []
        for n, m in enumerate(mutants):
            path, group_files = _write_mutant(Path(tmp), n, config, m, groups)
            results.append(MutantResult(m, "survived", path=path, group_files=group_files))
        rules = [r for r in results if r.mutant.kind == "rules"]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(judge.rules, rules[i : i + BATCH]) for i in range(0, len(rules), BATCH)]
            futures += [pool.submit(judge.alertmanager, r) for r in results if r.mutant.kind == "alertmanager"]
            _wait_with_progress(futures, results, start)
        for r in results:
            r.path, r.group_files = None, []
            r.diff = mutant_diff(config, r.mutant) if r.verdict == "survived" else ""  # only survivors show one
            entry = accepting(accepted, "mutant", r.name) if r.verdict == "survived" else None
            if entry is not None:
                r.verdict, r.killed_by = "accepted", f"accepted: {entry.reason}"
        report.results = results
        if len(mutants) == len(unique):  # in a sample, an unused entry may just not have been drawn
            report.left_out += stale(accepted, "mutant")
    report.seconds = time.monotonic() - start
    return report
