"""Scenarios: Chaos Toolkit experiments whose actions call alertdrill's fault functions."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alertdrill.errors import ConfigError
from alertdrill.faults import actions
from alertdrill.runtime.yamlfile import load_yaml

MODULE = actions.__name__


@dataclass(frozen=True)
class ProbeRegistry:
    """The steady-state probes a scenario may name: a module path and its functions.

    Passed in by the caller (the drill hands in alertdrill.slo.hypothesis), so faults/ knows
    nothing of SLOs; with no registry a scenario's hypothesis is an error, not ignored.
    """

    module: str = ""
    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One python-provider activity, resolved to its function and arguments."""

    name: str
    func: Callable[..., Any]
    arguments: dict[str, Any]
    pause_after_s: float = 0.0

    def run(self) -> Any:
        result = self.func(**self.arguments)
        if self.pause_after_s:
            time.sleep(self.pause_after_s)
        return result


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    title: str
    experiment: dict[str, Any]
    method: tuple[Step, ...]
    rollbacks: tuple[Step, ...]
    hypothesis: tuple[Step, ...] = ()  # steady-state probes: SOP-004's SLOs hold

    def inject(self) -> list[Any]:
        return [step.run() for step in self.method]

    def roll_back(self) -> list[Any]:
        return [step.run() for step in self.rollbacks]


def _steps(
    path: Path,
    section: str,
    items: Any,
    allowed: Mapping[str, Callable[..., Any]],
    problems: list[str],
    kind: str = "action",
    module: str = MODULE,
) -> tuple[Step, ...]:
    steps: list[Step] = []
    if not isinstance(items, list):
        problems.append(f"{path}: '{section}' must be a list of activities")
        return ()
    for i, activity in enumerate(items):
        where = f"{path}: {section}[{i}]"
        if not isinstance(activity, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        provider = activity.get("provider") or {}
        if activity.get("type") != kind or provider.get("type") != "python":
            problems.append(f"{where}: alertdrill runs python {kind}s only (type: {kind}, provider.type: python)")
            continue
        if provider.get("module") != module or provider.get("func") not in allowed:
            problems.append(
                f"{where}: provider must be module {module} with func one of "
                f"{', '.join(sorted(allowed))}; got {provider.get('module')}."
                f"{provider.get('func')}"
            )
            continue
        func = allowed[provider["func"]]
        arguments = provider.get("arguments") or {}
        try:
            inspect.signature(func).bind(**arguments)
        except TypeError as exc:
            problems.append(f"{where}: arguments {arguments} do not fit {provider['func']}: {exc}")
            continue
        pause = float((activity.get("pauses") or {}).get("after", 0) or 0)
        steps.append(Step(str(activity.get("name", provider["func"])), func, dict(arguments), pause))
    return tuple(steps)


def load_scenario(path: Path, probes: ProbeRegistry | None = None) -> Scenario:
    """Load and validate one scenario, collecting every problem with file and key."""
    probes = probes or ProbeRegistry()
    doc = load_yaml(path)
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: a scenario is a Chaos Toolkit experiment mapping")
    for key in ("title", "description", "method"):
        if key not in doc:
            problems.append(f"{path}: missing required key '{key}'")
    method = _steps(path, "method", doc.get("method", []), actions.FAULT_FUNCTIONS, problems)
    rollbacks = _steps(path, "rollbacks", doc.get("rollbacks", []), actions.ROLLBACK_FUNCTIONS, problems)
    hypothesis_doc = doc.get("steady-state-hypothesis") or {}
    if not isinstance(hypothesis_doc, dict):
        problems.append(f"{path}: 'steady-state-hypothesis' must be a mapping with 'title' and 'probes'")
        hypothesis_doc = {}
    hypothesis = _steps(
        path,
        "steady-state-hypothesis.probes",
        hypothesis_doc.get("probes", []),
        probes.functions,
        problems,
        kind="probe",
        module=probes.module,
    )
    if not method and "method" in doc:
        problems.append(f"{path}: 'method' has no fault action")
    if problems:
        raise ConfigError("\n".join(problems))
    return Scenario(
        name=path.stem,
        path=path,
        title=str(doc["title"]),
        experiment=doc,
        method=method,
        rollbacks=rollbacks,
        hypothesis=hypothesis,
    )


def find_scenario(scenarios_dir: Path, name: str, probes: ProbeRegistry | None = None) -> Scenario:
    for suffix in (".yaml", ".yml", ".json"):
        path = scenarios_dir / f"{name}{suffix}"
        if path.is_file():
            return load_scenario(path, probes)
    known = ", ".join(sorted(p.stem for p in scenarios_dir.glob("*.y*ml"))) or "none"
    raise ConfigError(f"unknown scenario {name!r}: no {scenarios_dir}/{name}.yaml (known: {known})")
