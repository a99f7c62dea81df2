"""Policy lint: a team's rules against its SOP (policy.yml) and the exporters in play (catalog)."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from alertdrill.config import promql
from alertdrill.config.durations import format_duration, parse_duration
from alertdrill.config.ruleset import AlertRule
from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml


@dataclass(frozen=True)
class Finding:
    """One problem: where (file, rule), what, and how to fix it."""

    file: str
    rule: str
    check: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: rule {self.rule!r}: {self.message}; fix: {self.fix}"


def _names(doc: dict[str, Any], key: str, path: Path) -> list[str]:
    """A list of strings under `key` (absent: empty); anything else is a located error."""
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: '{key}' must be a list of names, e.g. {key}: [my_metric_total]; got {value!r}")
    return value


#: Series Prometheus itself writes for every config (per target, and for its alerts): known always.
PROMETHEUS_OWN = "prometheus"
#: How close an unknown name must be to a known one to be called a typo when nothing is declared.
TYPO_CUTOFF = 0.85


@dataclass(frozen=True)
class Catalog:
    """The metric and job universe the lint judges names against, and how much it may say.

    `closed`: the team declared what exists (the exporters its policy.yml names, a metrics.yml,
    or a live Prometheus): a name outside the universe is a finding. Open (nothing declared): the
    universe is only what the config itself shows, unknown is not wrong, and a name is a finding
    only when it is a near miss of one the config knows (a typo). Suggestions come only from
    this universe, never from another team's names.
    """

    exact: frozenset[str]
    prefixes: tuple[str, ...]
    jobs: frozenset[str]
    aliases: dict[str, str]
    #: Recorded series whose recording rule computes a ratio (so `$value` of them is one).
    ratios: frozenset[str] = frozenset()
    closed: bool = False
    #: Where the universe came from, for the output ("the exporters policy.yml names: ...").
    source: str = "this config's own recording rules and rule tests' series (nothing declared)"
    #: How a name outside a closed universe is described.
    missing: str = "is produced by no exporter in play"

    @staticmethod
    @functools.cache
    def _data() -> dict[str, Any]:
        """catalog.yml, parsed once per process (package data: it does not change under us)."""
        return dict(yaml.safe_load(resources.files("alertdrill.check").joinpath("catalog.yml").read_text()))

    @classmethod
    def exporter_names(cls) -> list[str]:
        data = cls._data()
        return sorted({name for key in ("exact", "prefixes", "jobs") for name in data[key]})

    @classmethod
    def load(cls, extra: Path | None = None, exporters: tuple[str, ...] = ()) -> Catalog:
        """Prometheus' own series, the named exporters' names and jobs, and `extra` (metrics.yml)."""
        data = cls._data()
        exact = {n for group, names in data["exact"].items() if group in (*exporters, PROMETHEUS_OWN) for n in names}
        prefixes = [p for group, ps in data["prefixes"].items() if group in exporters for p in ps]
        jobs = {j for group, js in data["jobs"].items() if group in exporters for j in js}
        declared = [f"the exporters policy.yml names ({', '.join(exporters)})"] if exporters else []
        if extra is not None and extra.is_file():
            more = load_yaml(extra) or {}
            if not isinstance(more, dict):
                raise ConfigError(f"{extra}: expected a mapping with 'metrics', 'prefixes', 'jobs' (lists of names)")
            exact |= set(_names(more, "metrics", extra))
            prefixes += _names(more, "prefixes", extra)
            jobs |= set(_names(more, "jobs", extra))
            declared.append(str(extra))
        known = cls(frozenset(exact), tuple(prefixes), frozenset(jobs), {}, closed=bool(declared))
        aliases = {k: v for k, v in data.get("aliases", {}).items() if known.knows(v)}  # only to a name in play
        source = " and ".join(declared) + ", plus the config's own" if declared else cls.source
        return replace(known, aliases=aliases, source=source)

    @classmethod
    def from_prometheus(cls, url: str, metrics: set[str], jobs: set[str]) -> Catalog:
        """What a live Prometheus has (as pint's series check asks it): closed, and said so."""
        return cls(
            frozenset(metrics),
            (),
            frozenset(jobs),
            {},
            closed=True,
            source=f"the series and jobs Prometheus at {url} has, plus the config's own",
            missing=f"is not in Prometheus at {url}",
        )

    def with_known(self, metrics: set[str], jobs: set[str], ratios: set[str] | None = None) -> Catalog:
        """This catalog plus what the config itself shows to exist: its recording rules' outputs
        (and which of them are ratios) and the series (and jobs) its own tests feed in."""
        return replace(
            self,
            exact=self.exact | frozenset(metrics),
            jobs=self.jobs | frozenset(jobs),
            ratios=self.ratios | frozenset(ratios or ()),
        )

    def is_ratio(self, node: Any) -> bool:
        return promql.is_ratio(node) or promql.selector_name(node) in self.ratios

    def knows(self, metric: str) -> bool:
        return metric in self.exact or metric.startswith(self.prefixes)

    def metric_problem(self, metric: str) -> tuple[str, str] | None:
        """(what, fix) when `metric` is wrong by this universe; None when known or merely unknown."""
        if self.knows(metric):
            return None
        if metric in self.aliases:
            return f"metric {metric} {self.missing}", f"use {self.aliases[metric]} (what the exporter really exports)"
        close = difflib.get_close_matches(metric, sorted(self.exact), n=1, cutoff=0.6 if self.closed else TYPO_CUTOFF)
        if self.closed:
            return f"metric {metric} {self.missing}", (
                f"did you mean {close[0]}?" if close else "use a metric an exporter in play produces"
            )
        if close:
            return f"metric {metric} is unknown to this config, but {close[0]} is known", f"did you mean {close[0]}?"
        return None

    def job_problem(self, job: str) -> tuple[str, str] | None:
        """(what, fix) for a job matcher, by the same rules as metric_problem."""
        if job in self.jobs:
            return None
        if self.closed:
            return (
                f"no scrape job {job!r} in play (jobs: {', '.join(sorted(self.jobs))})",
                "match the job label your scrape config really produces",
            )
        close = difflib.get_close_matches(job, sorted(self.jobs), n=1, cutoff=TYPO_CUTOFF)
        if close:
            return f"job {job!r} is unknown to this config, but {close[0]!r} is known", f"did you mean {close[0]!r}?"
        return None


@dataclass(frozen=True)
class Policy:
    priorities: dict[str, str]
    required_annotations: tuple[str, ...]
    paging_severities: tuple[str, ...]
    alerts: dict[str, dict[str, Any]]
    #: No policy file: lint only what is true of every config, never one team's SOP.
    neutral: bool = False
    #: The exporters the team runs (names in catalog.yml): their metrics and jobs are in play.
    exporters: tuple[str, ...] = ()
    #: The team's heartbeat (policy.yml meta_monitoring.heartbeat.alert): it pages nobody, so it
    #: carries no priority.
    heartbeat: str | None = None

    @classmethod
    def load(cls, path: Path) -> Policy:
        if not path.is_file():
            return cls({}, (), (), {}, neutral=True)
        data = load_yaml(path) or {}
        if not isinstance(data, dict) or not isinstance(data.get("priorities", {}), dict):
            raise ConfigError(f"{path}: expected a mapping with 'priorities', 'required_annotations', 'alerts'")
        alerts = data.get("alerts", {}) or {}
        if not isinstance(alerts, dict):
            raise ConfigError(f"{path}: 'alerts' must map alert names to {{threshold, for}}; got {alerts!r}")
        for name, target in alerts.items():
            _check_target(path, str(name), target)
        exporters = tuple(_names(data, "exporters", path))
        known = Catalog.exporter_names()
        unknown = [e for e in exporters if e not in known]
        if unknown:
            raise ConfigError(
                f"{path}: exporters: {', '.join(unknown)} not known; choose from {', '.join(known)} "
                "or list your metrics in metrics.yml"
            )
        return cls(
            dict(data.get("priorities", {})),
            tuple(_names(data, "required_annotations", path)),
            tuple(_names(data, "paging_severities", path)),
            dict(alerts),
            exporters=exporters,
            heartbeat=_heartbeat_name(data),
        )


def _heartbeat_name(data: dict[str, Any]) -> str | None:
    hb = (data.get("meta_monitoring") or {}).get("heartbeat") if isinstance(data.get("meta_monitoring"), dict) else None
    return str(hb["alert"]) if isinstance(hb, dict) and hb.get("alert") else None


def _check_target(path: Path, name: str, target: object) -> None:
    where = f"{path}: alerts.{name}"
    if not isinstance(target, dict):
        raise ConfigError(f"{where} must be a mapping like {{threshold: 0.8, for: 15m}}; got {target!r}")
    unknown = set(target) - {"threshold", "for"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; use 'threshold' and 'for'")
    if "threshold" in target and (
        isinstance(target["threshold"], bool) or not isinstance(target["threshold"], int | float)
    ):
        raise ConfigError(f"{where}.threshold must be a number; got {target['threshold']!r}")
    if "for" in target:
        parse_duration(target["for"], f"{where}.for")


Problem = tuple[str, str, str]  # (check, message, fix)


def _label_problems(rule: AlertRule, policy: Policy) -> list[Problem]:
    """Severity and priority as the SOP maps them (or only a severity, for teams without priorities)."""
    priority, severity = rule.labels.get("priority"), rule.labels.get("severity")
    if policy.neutral or rule.name == policy.heartbeat:
        return []
    if not policy.priorities:
        return (
            [] if severity is not None else [("labels", "missing label: severity", "set a severity label for routing")]
        )
    if priority is None or severity is None:
        missing = ", ".join(k for k in ("severity", "priority") if k not in rule.labels)
        fix = "set both severity and priority as the SOP maps them (P0 critical, P1 high, P2 medium)"
        return [("labels", f"missing label(s): {missing}", fix)]
    want = policy.priorities.get(priority)
    if want == severity:
        return []
    if want:
        return [
            (
                "labels",
                f"priority {priority} with severity {severity!r}; the SOP maps {priority} to {want!r}",
                f"use severity {want!r}",
            )
        ]
    return [
        (
            "labels",
            f"priority {priority!r} is not one the SOP defines ({', '.join(policy.priorities)})",
            "use P0, P1 or P2",
        )
    ]


def _job_problems(sel: promql.Selector, catalog: Catalog) -> list[Problem]:
    out: list[Problem] = []
    for label, op, value in sel.matchers:
        if label != "job" or op not in ("=", "=~"):
            continue
        plain = op == "=" or re.fullmatch(r"[\w|-]+", value) is not None
        for job in (value.split("|") if op == "=~" else [value]) if plain else []:
            problem = catalog.job_problem(job)
            if problem is not None:
                out.append(("job", *problem))
    return out


def _expr_problems(rule: AlertRule, catalog: Catalog) -> list[Problem]:
    """The expression parses, reads known metrics and jobs, and prints percentages of ratios."""
    try:
        sels = promql.selectors(rule.expr)
    except ValueError as exc:
        return [("promql", f"expression does not parse: {exc}", "fix the expression")]
    out: list[Problem] = []
    for sel in sels:
        problem = catalog.metric_problem(sel.metric) if sel.metric else None
        if problem is not None:
            out.append(("metric", *problem))
        out += _job_problems(sel, catalog)
    if any("humanizePercentage" in v for v in rule.annotations.values()) and not all(
        catalog.is_ratio(node) for node in promql.value_sources(rule.expr)
    ):
        out.append(
            (
                "percentage",
                "an annotation prints $value with humanizePercentage, but the value is not a ratio",
                "divide by the total (e.g. errors / requests) or print the value as a rate",
            )
        )
    return out


def _target_problems(rule: AlertRule, policy: Policy) -> list[Problem]:
    """The SOP's own threshold and `for` for this alert, where the policy states them."""
    target = policy.alerts.get(rule.name, {})
    out: list[Problem] = []
    comparison = promql.top_comparison(rule.expr) if "threshold" in target else None
    if comparison is not None and comparison[2] != float(target["threshold"]):
        want = float(target["threshold"])
        out.append(
            (
                "threshold",
                f"threshold {comparison[2]:g} differs from the SOP's target {want:g}",
                f"compare against {want:g}",
            )
        )
    if "for" in target and abs(rule.for_s - parse_duration(target["for"])) > 1e-9:
        out.append(
            (
                "for",
                f"for {format_duration(rule.for_s)} differs from the SOP's {target['for']}",
                f"use for: {target['for']}",
            )
        )
    return out


def lint_rule(rule: AlertRule, policy: Policy, catalog: Catalog) -> list[Finding]:
    problems = _label_problems(rule, policy)
    problems += [
        ("annotations", f"no {name} annotation", f"add annotations.{name}")
        for name in policy.required_annotations
        if not rule.annotations.get(name, "").strip()
    ]
    expr = _expr_problems(rule, catalog)
    problems += expr
    if not any(check == "promql" for check, _, _ in expr):
        problems += _target_problems(rule, policy)
    return [Finding(str(rule.file), rule.name, check, message, fix) for check, message, fix in problems]


def lint(rules: list[AlertRule], policy: Policy, catalog: Catalog) -> list[Finding]:
    findings = [f for rule in rules for f in lint_rule(rule, policy, catalog)]
    for name in sorted(set(policy.alerts) - {r.name for r in rules}):
        findings.append(
            Finding(
                "policy.yml",
                name,
                "missing",
                "the SOP requires this alert but no rule defines it",
                "add the rule",
            )
        )
    return findings
