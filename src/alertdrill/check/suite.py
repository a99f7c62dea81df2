"""`alertdrill check`: the simulated-time tier. Every check is an item that passes or fails."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alertdrill.check.accepted import Accepted, accepting, load_accepted, stale
from alertdrill.check.coverage import CoverageRow, coverage, drilled_alerts
from alertdrill.check.dashboards import lint_queries
from alertdrill.check.lint import Catalog, Finding, Policy, lint
from alertdrill.check.meta_lint import lint_meta
from alertdrill.check.people import contact_findings, load_contacts, template_findings
from alertdrill.check.routetests import (
    load_inhibit_cases,
    run_case,
    run_inhibit_case,
    send_resolved_problems,
)
from alertdrill.check.runbook_lint import lint_runbooks
from alertdrill.check.unittests import find_rule_tests, run_rule_tests
from alertdrill.config import promql, routing
from alertdrill.config.dashboards import load_queries
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.config.routing_cases import RouteCase, load_cases
from alertdrill.config.runbooks import load_runbooks
from alertdrill.config.slos import recorded_series
from alertdrill.errors import ConfigError, ObserveError
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.runtime.yamlfile import load_yaml


@dataclass(frozen=True)
class CheckItem:
    """One verdict: a suite name (for JUnit), a test name, pass/fail, and why."""

    suite: str
    name: str
    ok: bool
    detail: str = ""


@dataclass
class CheckReport:
    items: list[CheckItem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    coverage: list[CoverageRow] = field(default_factory=list)
    seconds: float = 0.0
    #: Where the metric and job lint's names came from (declared exporters, a live Prometheus, or
    #: only the config's own), printed with the lint so a quiet lint is not mistaken for a closed one.
    universe: str = ""

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.items)


def paging_receivers_of(config: MonitoringConfig, am: dict[str, Any], cases: list[RouteCase]) -> set[str]:
    """Receivers that page somebody: reached by a rule, or a routing case, of a paging severity
    (the policy's `paging_severities` decide, not whether a routing test names the receiver)."""
    policy = Policy.load(config.root / "policy.yml")
    out = {
        m.receiver
        for c in cases
        if c.labels.get("severity") in policy.paging_severities
        for m in routing.match_routes(am, c.labels)
    }
    for rule in config.rules:
        if rule.labels.get("severity") in policy.paging_severities:
            out |= {m.receiver for m in routing.match_routes(am, {**rule.labels, "alertname": rule.name})}
    return out


def paging_receivers(config: MonitoringConfig) -> dict[tuple[str, str], tuple[str, ...]]:
    """Receivers per (alert, severity): one alert name at two severities routes twice."""
    out = {}
    for rule in config.rules:
        labels = {**rule.labels, "alertname": rule.name}
        key = (rule.name, rule.labels.get("severity", ""))
        out[key] = tuple(m.receiver for m in routing.match_routes(config.alertmanager, labels))
    return out


def _check_dashboards(report: CheckReport, root: Path, config: MonitoringConfig, catalog: Catalog) -> None:
    """The SOP dashboards' queries, offline: parse, and read only known or recorded metrics."""
    if not (root / "grafana").is_dir():
        return
    queries = load_queries(root / "grafana")
    problems = lint_queries(queries, catalog.metric_problem)  # the catalog knows the recorded series
    for where, problem in problems:
        report.items.append(CheckItem("dashboards", where, False, problem))
    if not problems:
        report.items.append(CheckItem("dashboards", f"{len(queries)} panel queries in {root / 'grafana'}", True))


def people_problems(config: MonitoringConfig, am: dict[str, Any], am_path: Path, bin_path: str | None) -> list[str]:
    """SOP contacts and timers, and every custom template rendered: what a person would get wrong."""
    policy_file = config.root / "policy.yml"
    raw = (load_yaml(policy_file) or {}) if policy_file.is_file() else {}
    contacts = load_contacts(raw if isinstance(raw, dict) else {}, str(policy_file))
    found = contact_findings(am, str(am_path), contacts) + template_findings(am, am_path, config.rules, bin_path)
    return [str(f) for f in found]


def _check_people(report: CheckReport, config: MonitoringConfig, cases_file: Path, bin_path: str | None) -> None:
    am, am_path = config.alertmanager, config.alertmanager_path
    for case in load_inhibit_cases(cases_file):
        result = run_inhibit_case(case, am)
        report.items.append(CheckItem("routing tests", case.name, result.ok, "; ".join(result.problems)))
    problems = people_problems(config, am, am_path, bin_path)
    for problem in problems:
        report.items.append(CheckItem("people lint", problem.split(": ", 2)[1], False, problem))
    if not problems:
        report.items.append(CheckItem("people lint", "contacts, escalation timers and templates", True))


def _known_from_config(config: MonitoringConfig) -> tuple[set[str], set[str]]:
    """Metric names and jobs the config shows exist: recording rule outputs, tests' input series."""
    metrics = recorded_series([rf.document for rf in config.rule_files])
    jobs: set[str] = set()
    for path in config.rule_tests:
        doc = load_yaml(path) or {}
        for group in doc.get("tests") or [] if isinstance(doc, dict) else []:
            for item in group.get("input_series") or []:
                for selector in _series_selectors(str(item.get("series", ""))):
                    metrics.add(selector.metric)
                    jobs |= {v for label, op, v in selector.matchers if label == "job" and op == "="}
    return metrics, jobs


def _series_selectors(series: str) -> list[promql.Selector]:
    """An input series read as PromQL reads it: `name{...}` and Prometheus 3's `{"dotted.name", ...}`
    alike. promtool itself rejects a series it cannot parse, so one that fails here adds nothing."""
    try:
        return promql.selectors(series)
    except (ValueError, TypeError):
        return []


def load_team_files(root: Path) -> tuple[Policy, Catalog]:
    """policy.yml (with its contacts) and metrics.yml, checked before any promtool work: a typo in
    them is a located error (exit 2) in a second, not a traceback after the slow part."""
    policy = Policy.load(root / "policy.yml")
    raw = load_yaml(root / "policy.yml") if (root / "policy.yml").is_file() else {}
    load_contacts(raw if isinstance(raw, dict) else {}, str(root / "policy.yml"))
    return policy, Catalog.load(root / "metrics.yml", policy.exporters)


def live_catalog(url: str) -> Catalog:
    """The metric names and jobs a running Prometheus holds: the lint's universe, closed."""
    try:
        with PrometheusClient(url) as prom:
            return Catalog.from_prometheus(url, set(prom.label_values("__name__")), set(prom.label_values("job")))
    except ObserveError as exc:
        raise ConfigError(
            f"--prometheus-url {url}: cannot list its series ({exc}); give a reachable Prometheus"
        ) from None


def _lint_rules(report: CheckReport, config: MonitoringConfig, policy: Policy, catalog: Catalog) -> Catalog:
    """The policy lint, on the catalog grown by the config's own names (returned: the dashboards use it)."""
    metrics, jobs = _known_from_config(config)
    catalog = catalog.with_known(metrics, jobs, promql.ratio_records([rf.document for rf in config.rule_files]))
    report.universe = catalog.source
    report.findings = lint(config.rules, policy, catalog)
    for f in report.findings:
        report.items.append(CheckItem("policy lint", f"{f.rule}: {f.check}", False, str(f)))
    if not report.findings:
        report.items.append(CheckItem("policy lint", f"{len(config.rules)} rules against the SOP", True))
    return catalog


def _lint_meta(report: CheckReport, config: MonitoringConfig) -> None:
    """Told when alerting breaks (only for a config whose policy.yml opts in with meta_monitoring:)."""
    if config.meta is None:
        return
    findings = lint_meta(config)
    for f in findings:
        report.items.append(CheckItem("meta-monitoring", f"{f.what}: {f.check}", False, str(f)))
    if not findings:
        report.items.append(CheckItem("meta-monitoring", "heartbeat and alerts about the pipeline", True))


def _check_runbooks(report: CheckReport, root: Path, alerts: set[str]) -> None:
    """The team's runbooks (<root>/runbooks.yml, when it keeps them): each command that cannot
    work as written is a failed item naming its line, why and the fix; so is a runbook for an
    alert no rule defines (a renamed alert leaves its runbook behind)."""
    runbooks = load_runbooks(root)
    if runbooks is None:
        return
    findings = lint_runbooks(runbooks)
    for f in findings:
        report.items.append(CheckItem("runbooks", f"{f.runbook} / {f.step}", False, str(f)))
    for rb in runbooks.runbooks:
        for alert in sorted(set(rb.alerts) - alerts):
            report.items.append(
                CheckItem(
                    "runbooks",
                    f"{rb.name} / alerts",
                    False,
                    f"{runbooks.path}:{rb.line}: runbook {rb.name!r} is for alert {alert!r}, which no rule defines; "
                    "fix: name the alert as its rule does, or remove it from `alerts:`",
                )
            )
    if not findings:
        steps = sum(len(rb.steps) for rb in runbooks.runbooks)
        report.items.append(CheckItem("runbooks", f"{steps} commands in {runbooks.path}", True))


def run_check(
    root: Path, features_dir: Path, bin_path: str | None = None, prometheus_url: str | None = None
) -> CheckReport:
    """Load (ConfigError on bad input), then run every check and collect the verdicts.

    `prometheus_url`: lint metric names and jobs against what that Prometheus holds instead of
    the exporters policy.yml declares."""
    start = time.monotonic()
    report = CheckReport()
    policy, catalog = load_team_files(root)
    if prometheus_url:
        catalog = live_catalog(prometheus_url)
    load_accepted(root)  # its typos too, before the slow part
    load_runbooks(root)
    config = MonitoringConfig.load(root, bin_path)  # promtool check rules + amtool check-config
    report.items.append(CheckItem("syntax", "promtool check rules", True, f"{len(config.rule_files)} file(s)"))
    report.items.append(CheckItem("syntax", "amtool check-config", True, str(config.alertmanager_path)))
    known = {r.name for r in config.rules}
    tested: set[tuple[str, str | None]] = set()
    for tf in find_rule_tests(config.rule_tests, known):
        ok, output = run_rule_tests(tf.path, bin_path)
        report.items.append(CheckItem("rule tests", tf.path.name, ok, "" if ok else output))
        if ok:
            tested |= tf.severities_tested
    cases = load_cases(config.routing_tests)
    for case in cases:
        result = run_case(case, config.alertmanager_path, config.alertmanager, bin_path)
        report.items.append(CheckItem("routing tests", case.name, result.ok, "; ".join(result.problems)))
    receivers = paging_receivers(config)
    problems = send_resolved_problems(config.alertmanager, paging_receivers_of(config, config.alertmanager, cases))
    report.items.append(
        CheckItem("routing tests", "send_resolved on every paging receiver", not problems, "; ".join(problems))
    )
    catalog = _lint_rules(report, config, policy, catalog)
    _lint_meta(report, config)
    _check_people(report, config, cases_file=config.routing_tests, bin_path=bin_path)
    _check_dashboards(report, root, config, catalog)
    _check_runbooks(report, root, {r.name for r in config.rules})
    report.coverage = coverage(
        config.rules,
        tested,
        cases,
        drilled_alerts(features_dir, config.meta.heartbeat.alert if config.meta and config.meta.heartbeat else None),
        receivers,
    )
    for row in report.coverage:
        report.items.append(
            CheckItem(
                "coverage",
                f"{row.alert} ({row.severity or 'no severity'})",
                row.has_any_test,
                ""
                if row.has_any_test
                else "no rule test, live drill or routing case naming it"
                + (" (a routing case only shares its severity)" if row.routing_test == "severity only" else ""),
            )
        )
    _apply_accepted(report, load_accepted(root))
    report.seconds = time.monotonic() - start
    return report


def _apply_accepted(report: CheckReport, entries: list[Accepted]) -> None:
    """A failure accepted.yml keeps passes, still shown with its reason; a stale entry fails."""
    for i, item in enumerate(report.items):
        entry = None if item.ok else accepting(entries, "finding", f"{item.name}: {item.detail}")
        if entry is not None:
            report.items[i] = CheckItem(item.suite, item.name, True, f"accepted ({entry.reason}): {item.detail}")
    report.items += [CheckItem("accepted", "stale entry", False, line) for line in stale(entries, "finding")]
