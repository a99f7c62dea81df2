"""A team's monitoring directory (rules + Alertmanager config) and its scaled copy for a stack."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alertdrill.config import routing
from alertdrill.config.layout import AM_CANDIDATES, LAYOUT_FILE, Layout, load_layout
from alertdrill.config.meta import MetaMonitoring, load_meta_monitoring
from alertdrill.config.pipeline import PipelinePolicy
from alertdrill.config.ruleset import AlertRule, RuleFile, alert_rules, load_rule_file
from alertdrill.config.runbooks import Runbooks, load_runbooks
from alertdrill.config.slos import Slo, slos_of
from alertdrill.config.timescale import ScaleNote, scale_rule_file
from alertdrill.config.validate import check_alertmanager_config, check_rules
from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import dump_yaml


@dataclass(frozen=True)
class MonitoringConfig:
    """The config under test: what the drills measure, never what they expect."""

    root: Path
    rule_files: list[RuleFile]
    alertmanager_path: Path
    alertmanager: dict[str, Any]
    rules: list[AlertRule] = field(default_factory=list)
    bin_path: str | None = None
    slos: list[Slo] = field(default_factory=list)  # <root>/slo.yml: SOP-004's objectives
    layout: Layout | None = None  # where the files are (FLUO's default, or <root>/alertdrill.yml)
    #: policy.yml's `pipeline:` promises and the Alertmanagers the team runs (read once, here)
    pipeline: PipelinePolicy = field(default_factory=PipelinePolicy)
    #: policy.yml's `meta_monitoring:`: the heartbeat and the alerts about the pipeline (None: not opted in)
    meta: MetaMonitoring | None = None
    #: <root>/runbooks.yml: the commands people run mid-incident (None: the team keeps none here)
    runbooks: Runbooks | None = None

    @classmethod
    def load(cls, root: Path, bin_path: str | None = None) -> MonitoringConfig:
        """Load and validate; every problem is a ConfigError naming the file."""
        if not root.is_dir():
            raise ConfigError(f"{root}: monitoring directory not found (--monitoring DIR)")
        layout = load_layout(root)
        files = [load_rule_file(p) for p in layout.rules]
        check_rules([rf.path for rf in files], bin_path)
        am_path = layout.alertmanager
        if am_path is None:
            raise ConfigError(
                f"{root}: no Alertmanager config (looked for {', '.join(AM_CANDIDATES)}; or name it as "
                f"'alertmanager:' in {root / LAYOUT_FILE})"
            )
        am = routing.load_alertmanager_config(am_path)
        check_alertmanager_config(am_path, bin_path)
        return cls(
            root=root,
            rule_files=files,
            alertmanager_path=am_path,
            alertmanager=am,
            rules=alert_rules(files),
            bin_path=bin_path,
            slos=slos_of(root, [rf.document for rf in files]),
            layout=layout,
            pipeline=PipelinePolicy.load(root),
            meta=load_meta_monitoring(root),
            runbooks=load_runbooks(root),
        )

    @property
    def always_firing(self) -> frozenset[str]:
        """Alerts that fire on a healthy system by design: the team's heartbeat (policy.yml)."""
        if self.meta is None or self.meta.heartbeat is None:
            return frozenset()
        return frozenset({self.meta.heartbeat.alert})

    def rule_path(self, rf: RuleFile) -> Path:
        """A rule file's path below the layout's rules base (sub-directories kept in every copy)."""
        base = self.layout.rules_base if self.layout else self.root / "rules"
        return rf.path.relative_to(base)

    @property
    def rule_tests(self) -> list[Path]:
        return list(self.layout.rule_tests) if self.layout else []

    @property
    def routing_tests(self) -> Path:
        """The routing test file (it may not exist: no routing tests)."""
        found = self.layout.routing_tests if self.layout else None
        return found or self.root / "tests" / "routing.test.yml"

    def rule(self, name: str) -> AlertRule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(sorted({r.name for r in self.rules}))
        raise ConfigError(f"unknown alert {name!r}: no rule in {self.root}/rules defines it (known: {known})")

    def write_scaled(
        self,
        out_dir: Path,
        factor: float,
        min_range_s: float,
        redirect: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> tuple[list[Path], Path, list[ScaleNote]]:
        """Write scaled rules and a scaled Alertmanager config whose integrations `redirect` pointed
        at the stack's sinks (alertdrill.notify decides how); check both with the real tools."""
        notes: list[ScaleNote] = []
        rule_paths = []
        for rf in self.rule_files:
            path = out_dir / "rules" / self.rule_path(rf)
            dump_yaml(scale_rule_file(rf, factor, min_range_s, notes), path)
            rule_paths.append(path)
        check_rules(rule_paths, self.bin_path)
        am = routing.scale_timers(redirect(self.alertmanager), factor)
        am_path = out_dir / "alertmanager.yml"
        dump_yaml(am, am_path)
        check_alertmanager_config(am_path, self.bin_path)
        return rule_paths, am_path, notes

    def routes_for(self, labels: dict[str, str], factor: float) -> list[routing.RouteMatch]:
        """The routes these labels take, with timers as the scaled stack runs them."""
        return routing.match_routes(routing.scale_timers(self.alertmanager, factor), labels)
