"""A promtool test group as a replay will run it: its series, its expectations, its rule files,
and the time scale it can be replayed at — or why it cannot be, said before anything starts.

Why one scale per group: a scaled clock is only exact when every duration the group depends on
(`evaluation_interval`, the series `interval`, `for`, windows, offsets) is a whole number of
milliseconds once divided, because Prometheus stamps samples and evaluations in milliseconds. The
fastest scale puts one evaluation every `MIN_EVAL_S`; a group whose durations do not divide evenly
there runs at the next slower scale that they do.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alertdrill.check.rule_slice import RuleIndex
from alertdrill.config.durations import parse_duration
from alertdrill.config.promtool_series import InputSeries, cannot_replay, input_series, parse_series
from alertdrill.config.ruleset import RuleFile, load_rule_file
from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml
from alertdrill.settings import DEFAULT_SLACK_S

#: The shortest scaled evaluation interval: every evaluation must be observed between two others
#: (the rules API is read after each one) on a busy 2-core machine with stacks side by side.
MIN_EVAL_S = 0.25
#: Scales tried, fastest first, below the one MIN_EVAL_S allows: divisors that keep durations whole.
SCALES = (240, 120, 60, 30, 20, 15, 12, 10, 6, 5, 4, 3, 2, 1)
_DURATION = re.compile(
    r"\[\s*(\d+(?:ms|s|m|h|d|w|y)(?:\d+(?:ms|s|m|h|d|w|y))*)\s*(?::\s*(\d+(?:ms|s|m|h|d|w|y))*)?\s*\]"
)
_OFFSET = re.compile(r"\boffset\s+(-?\d+(?:ms|s|m|h|d|w|y)(?:\d+(?:ms|s|m|h|d|w|y))*)")
_SUBQUERY = re.compile(r"\[[^\]]*:[^\]]*\]")


@dataclass(frozen=True)
class AlertCase:
    eval_time_s: float
    alertname: str
    expected: list[dict[str, dict[str, str]]]  # [{"labels": {...}, "annotations": {...}}]


@dataclass(frozen=True)
class ExprCase:
    eval_time_s: float
    expr: str
    expected: list[tuple[dict[str, str], float]]


@dataclass
class ReplayGroup:
    """One test group of one test file, as promtool reads it."""

    source: Path
    number: int
    name: str
    eval_interval_s: float  # the test file's evaluation_interval: promtool evaluates every group at it
    series_interval_s: float  # the group's `interval` (default: evaluation_interval)
    series: list[InputSeries]
    alerts: list[AlertCase]
    exprs: list[ExprCase]
    rule_files: list[RuleFile]
    group_order: list[str] = field(default_factory=list)
    external_labels: dict[str, str] = field(default_factory=dict)
    external_url: str = ""
    time_scale: float = 1.0
    skipped: list[str] = field(default_factory=list)  # why it cannot be replayed (empty: it can)
    raw: dict[str, Any] = field(default_factory=dict)  # the group as the test file has it
    #: (alertname or expression, test time) of the checks promtool itself fails (promtool_verdict)
    promtool_failed: set[tuple[str, float]] = field(default_factory=set)
    promtool_version: str = ""
    #: The run's allowance for delivery on this machine (Settings.slack_s, as the drills' "slack").
    slack_s: float = DEFAULT_SLACK_S

    @property
    def label(self) -> str:
        return f"{self.source.name} group {self.number} ({self.name})"

    @property
    def horizon_s(self) -> float:
        """The last time the group looks at, in its own (unscaled) time."""
        return max([c.eval_time_s for c in self.alerts] + [c.eval_time_s for c in self.exprs] + [0.0])

    @property
    def wall_s(self) -> float:
        return self.horizon_s / self.time_scale

    def rule_exprs(self) -> list[str]:
        return [str(r["expr"]) for rf in self.rule_files for g in rf.document["groups"] for r in g.get("rules") or []]

    def read_exprs(self) -> list[str]:
        """The expressions the group's verdicts depend on: the rules its alerts and expressions
        read, directly or through recording rules (check.rule_slice); every rule if that cannot be told."""
        index = RuleIndex.of(rf.document for rf in self.rule_files)
        keep = index.closure([c.alertname for c in self.alerts], [c.expr for c in self.exprs])
        if keep is None:
            return self.rule_exprs()
        return [str(index.rule(rid)["expr"]) for rid in sorted(keep)]


def load_groups(test_files: list[Path]) -> list[ReplayGroup]:
    """Every group of every test file, in file order; ConfigError naming the file for what promtool refuses."""
    out = []
    for path in test_files:
        doc = load_yaml(path) or {}
        if not isinstance(doc, dict):
            raise ConfigError(f"{path}: not a promtool test file (expected rule_files, tests)")
        rule_files = _rule_files(path, doc.get("rule_files") or [])
        evaluation = parse_duration(doc.get("evaluation_interval") or "1m", f"{path}: evaluation_interval")
        # Labels and annotations as the file spells them (`condition: true` is "true", as promtool
        # reads it into a string, not Python's "True"): the same document with every scalar a string.
        texts = yaml.load(path.read_text(), Loader=yaml.BaseLoader) or {}
        for n, raw in enumerate(doc.get("tests") or [], start=1):
            out.append(_group(path, n, raw, doc, rule_files, evaluation))
            _labels_as_written(out[-1], texts["tests"][n - 1])
    return out


def _labels_as_written(group: ReplayGroup, text: dict[str, Any]) -> None:
    cases = [c for c in text.get("alert_rule_test") or []]
    for case, written in zip(group.alerts, cases, strict=True):
        for exp, w in zip(case.expected, written.get("exp_alerts") or [], strict=True):
            exp["labels"] = dict(w.get("exp_labels") or {})
            exp["annotations"] = dict(w.get("exp_annotations") or {})
    group.external_labels = dict(text.get("external_labels") or {})


def _rule_files(test_file: Path, entries: list[str]) -> list[RuleFile]:
    """`rule_files` resolved as promtool does: relative to the test file, globs allowed."""
    found: list[Path] = []
    for entry in entries:
        pattern = str(test_file.parent / entry)
        matches = sorted(Path(p) for p in glob.glob(pattern)) if any(c in entry for c in "*?[") else [Path(pattern)]
        for p in matches:
            if not p.is_file():
                raise ConfigError(f"{test_file}: rule_files entry {entry!r}: no such file {p}")
            found.append(p)
    return [load_rule_file(p) for p in found]


def _group(
    path: Path, n: int, raw: dict[str, Any], doc: dict[str, Any], rule_files: list[RuleFile], evaluation: float
) -> ReplayGroup:
    where = f"{path}: tests[{n - 1}]"
    interval = parse_duration(raw.get("interval") or doc.get("evaluation_interval") or "1m", f"{where}.interval")
    alerts = [
        AlertCase(
            parse_duration(c.get("eval_time") or 0, f"{where}.alert_rule_test"),
            str(c.get("alertname", "")),
            [
                {"labels": _strs(a.get("exp_labels")), "annotations": _strs(a.get("exp_annotations"))}
                for a in c.get("exp_alerts") or []
            ],
        )
        for c in raw.get("alert_rule_test") or []
    ]
    exprs = [
        ExprCase(
            parse_duration(c.get("eval_time") or 0, f"{where}.promql_expr_test"),
            str(c.get("expr", "")),
            [
                (_labels_of(str(s.get("labels", "")), where), float(s.get("value", 0)))
                for s in c.get("exp_samples") or []
            ],
        )
        for c in raw.get("promql_expr_test") or []
    ]
    group = ReplayGroup(
        source=path,
        number=n,
        name=str(
            raw.get("name") or ", ".join(dict.fromkeys(a.alertname for a in alerts)) or f"{len(exprs)} expr test(s)"
        ),
        eval_interval_s=evaluation,
        series_interval_s=interval,
        series=input_series(raw.get("input_series") or [], where),
        alerts=alerts,
        exprs=exprs,
        rule_files=rule_files,
        group_order=[str(g) for g in doc.get("group_eval_order") or []],
        external_labels=_strs(raw.get("external_labels")),
        external_url=str(raw.get("external_url") or ""),
        raw=raw,
    )
    group.time_scale, group.skipped = choose_scale(group)
    return group


def _strs(d: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (d or {}).items()}


def _labels_of(text: str, where: str) -> dict[str, str]:
    return parse_series(text, where, need_name=False) if text.strip() else {}


def durations_ms(group: ReplayGroup) -> list[int]:
    """Every duration the group's timing depends on, in milliseconds (unscaled)."""
    exprs = group.read_exprs() + [c.expr for c in group.exprs]
    found = [group.eval_interval_s, group.series_interval_s]
    for expr in exprs:
        for window, step in _DURATION.findall(expr):
            found.append(parse_duration(window, expr))
            if step:
                found.append(parse_duration(step, expr))
        found += [abs(parse_duration(o.lstrip("-"), expr)) for o in _OFFSET.findall(expr)]
    for rf in group.rule_files:
        for g in rf.document["groups"]:
            if g.get("interval"):
                found.append(parse_duration(g["interval"], str(rf.path)))
            for r in g.get("rules") or []:
                found += [parse_duration(r[k], str(rf.path)) for k in ("for", "keep_firing_for") if r.get(k)]
    return sorted({round(d * 1000) for d in found if d > 0})


def slower_scale(group: ReplayGroup) -> float | None:
    """The next slower scale that keeps every duration whole milliseconds (None: none is left)."""
    durations = durations_ms(group)
    return next((float(s) for s in SCALES if s < group.time_scale and all(d % s == 0 for d in durations)), None)


def choose_scale(group: ReplayGroup) -> tuple[float, list[str]]:
    """The fastest scale at which every duration stays whole milliseconds, and what cannot be replayed."""
    fastest = group.eval_interval_s / MIN_EVAL_S
    durations = durations_ms(group)
    scale = next((s for s in SCALES if s <= fastest and all(d % s == 0 for d in durations)), 1.0)
    read = group.read_exprs()
    reasons = cannot_replay(read + [c.expr for c in group.exprs], group.series, scale, 0.001)
    reasons += [
        f"{e!r} has a subquery: its steps align to the Unix epoch, a replay's time 0 does not"
        for e in read
        if _SUBQUERY.search(e)
    ]
    for rf in group.rule_files:
        for g in rf.document["groups"]:
            for key in ("query_offset", "limit"):
                if g.get(key):
                    reasons.append(f"{rf.path}: group {g.get('name')!r} sets {key}, which a replay does not reproduce")
    if group.series and any(s.labels.get("__name__", "").startswith("alertdrill_replay") for s in group.series):
        reasons.append("an input series is named alertdrill_replay_*, the names a replay uses for its own clock")
    return float(scale), list(dict.fromkeys(reasons))
