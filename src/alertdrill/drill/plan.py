"""The bounds every drill would be judged by at a stack's timing, computed without running it.

Read from the feature files through the step grammar and from the config under test, as the
drills derive them; a fault's ramp and a hanging target are only known when it runs, so they are
left out (said in the heading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from alertdrill import grammar
from alertdrill.backends import foreign_tags
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.drill.bounds import SOP_RECOVERY_S
from alertdrill.drill.expectations import Expectations, FaultWindow
from alertdrill.observe.alerts import selector
from alertdrill.stack.base import Timing

KEYWORDS = re.compile(r"^\s*(Given|When|Then|And|But)\s+(?P<text>.+)$")
NO_FAULT = FaultWindow(scenario="", fault_at=0.0, ramp_s=0.0, hangs_target=False)


@dataclass
class ScenarioSteps:
    feature: str
    name: str
    tags: set[str] = field(default_factory=set)
    steps: list[str] = field(default_factory=list)


def read_scenarios(features_dir: Path) -> list[ScenarioSteps]:
    """Every scenario of every feature file with its tags (feature's and its own) and step texts."""
    out: list[ScenarioSteps] = []
    for path in sorted(features_dir.rglob("*.feature")):
        feature_tags: set[str] = set()
        pending: set[str] = set()
        in_feature = False
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith("@"):
                pending |= {t.lstrip("@") for t in stripped.split()}
            elif stripped.startswith("Feature:"):
                feature_tags, pending, in_feature = pending, set(), True
            elif stripped.startswith("Scenario") and in_feature:
                name = stripped.split(":", 1)[1].strip()
                out.append(ScenarioSteps(path.name, name, feature_tags | pending))
                pending = set()
            elif out and (m := KEYWORDS.match(line)):
                out[-1].steps.append(m["text"].strip())
    return out


def bound_lines(
    features_dir: Path, monitoring: MonitoringConfig, timing: Timing, slack_s: float, stack: str
) -> list[str]:
    """One line per expected alert of every scenario this stack would run (not @slow, not another
    stack's tag): its fire bound and recovery bound, each with its terms."""
    foreign = foreign_tags(stack)
    lines = []
    for sc in read_scenarios(features_dir):
        if "slow" in sc.tags or foreign & set(sc.tags):
            continue
        expect = Expectations(
            monitoring, timing, slack_s, grammar.expected_alerts(sc.steps), grammar.strikes_pipeline(sc.steps)
        )
        for e in expect.planned:
            routes = expect.routes(e.alert, e.match)
            wait = 0.0 if e.also else min(r.group_wait_s for r in routes)
            fire = expect.fire_bound(e.alert, e.for_s or 0.0, wait, NO_FAULT)
            recovery = expect.recovery_bound(SOP_RECOVERY_S, max(r.group_interval_s for r in routes))
            lines.append(
                f"{sc.feature} / {sc.name}: {selector(e.alert, e.match)}"
                f"{' (also)' if e.also else ''}: fire ≤ {fire.explain()}; recovery ≤ {recovery.explain()}"
            )
    return lines
