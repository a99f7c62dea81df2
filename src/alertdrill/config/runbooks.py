"""A team's incident runbooks as data (`<monitoring>/runbooks.yml`): the commands people run
mid-incident, each with the line it is written on.

Why data next to the config and not prose in a wiki: a runbook is only worth its commands if they
work when the page arrives. Kept as data, `alertdrill check` can read every command offline (what
cannot work as written, with the file and line to fix) and the cluster drills can run them
against the broken stack, with the placeholders a person would fill in filled from the drill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from alertdrill.errors import ConfigError

RUNBOOKS_FILE = "runbooks.yml"

#: What a drill fills in for a placeholder: the broken pod, its namespace, its Deployment, its node.
PLACEHOLDERS = ("pod-name", "namespace", "deployment-name", "node-name")
PLACEHOLDER = re.compile(r"\[([a-z][a-z0-9-]*)\]")


@dataclass(frozen=True)
class RunbookStep:
    """One command as written, where it is written, and what the drill expects of it."""

    say: str
    run: str
    line: int
    #: its output must name the broken component (pod, Deployment or node)
    names_broken: bool = False
    #: the SOP's own remedy: the drill's rollback, after which the service must recover in 5 minutes
    remedy: bool = False
    #: the SOP's check that the remedy worked (must succeed after it)
    health_check: bool = False

    @property
    def placeholders(self) -> list[str]:
        return PLACEHOLDER.findall(self.run)

    def filled(self, values: dict[str, str]) -> str:
        """The command with each known placeholder replaced (unknown ones stay, and fail as written)."""
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.run)


@dataclass(frozen=True)
class Runbook:
    name: str
    alerts: tuple[str, ...]
    steps: tuple[RunbookStep, ...]
    line: int


@dataclass(frozen=True)
class Runbooks:
    path: Path
    runbooks: tuple[Runbook, ...] = ()
    #: the cluster the commands run against has the Metrics API (metrics-server): `kubectl top` works
    metrics_api: bool = False
    namespaces: tuple[str, ...] = field(default_factory=tuple)

    def named(self, name: str) -> Runbook:
        for rb in self.runbooks:
            if rb.name == name:
                return rb
        known = ", ".join(repr(rb.name) for rb in self.runbooks) or "none"
        raise ConfigError(f"{self.path}: no runbook named {name!r} (known: {known})")


STEP_KEYS = ("say", "run", "names_broken", "remedy", "health_check")
RUNBOOK_KEYS = ("name", "alerts", "steps")
FILE_KEYS = ("cluster", "runbooks")
CLUSTER_KEYS = ("metrics_api", "namespaces")


def _known_keys(path: Path, node: yaml.Node | None, keys: tuple[str, ...], where: str) -> None:
    """A misspelt key (`names_broke:`) is a located error, never silently ignored."""
    if not isinstance(node, yaml.MappingNode):
        return
    for k, _ in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value not in keys:
            raise ConfigError(
                f"{path}:{k.start_mark.line + 1}: {where} has no key {k.value!r}; the keys are {', '.join(keys)}"
            )


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _text(node: yaml.Node | None) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def _flag(path: Path, node: yaml.Node, key: str) -> bool:
    value = _value(node, key)
    if value is None:
        return False
    text = _text(value).lower()
    if text not in ("true", "false"):
        raise ConfigError(f"{path}:{value.start_mark.line + 1}: {key} must be true or false, not {_text(value)!r}")
    return text == "true"


def _step(path: Path, node: yaml.Node, where: str) -> RunbookStep:
    run = _value(node, "run")
    if not isinstance(run, yaml.ScalarNode) or not str(run.value).strip():
        line = node.start_mark.line + 1
        raise ConfigError(f"{path}:{line}: {where} needs 'run:' (the command as the runbook writes it)")
    _known_keys(path, node, STEP_KEYS, where)
    return RunbookStep(
        say=_text(_value(node, "say")),
        run=str(run.value).strip(),
        line=run.start_mark.line + 1,
        names_broken=_flag(path, node, "names_broken"),
        remedy=_flag(path, node, "remedy"),
        health_check=_flag(path, node, "health_check"),
    )


def _runbook(path: Path, node: yaml.Node, i: int) -> Runbook:
    line = node.start_mark.line + 1
    name = _text(_value(node, "name"))
    steps = _value(node, "steps")
    if not name or not isinstance(steps, yaml.SequenceNode) or not steps.value:
        raise ConfigError(f"{path}:{line}: runbooks[{i}] needs 'name:' and a non-empty 'steps:' list")
    _known_keys(path, node, RUNBOOK_KEYS, f"runbook {name!r}")
    alerts = _value(node, "alerts")
    names = tuple(_text(a) for a in alerts.value) if isinstance(alerts, yaml.SequenceNode) else ()
    return Runbook(
        name, names, tuple(_step(path, s, f"{name!r} step {j + 1}") for j, s in enumerate(steps.value)), line
    )


def load_runbooks(root: Path) -> Runbooks | None:
    """`<root>/runbooks.yml`, or None when the team keeps none (nothing to check, nothing to run)."""
    path = root / RUNBOOKS_FILE
    if not path.is_file():
        return None
    try:
        doc = yaml.compose(path.read_text())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(
            f"{where}: YAML error: {exc.problem or exc.context}; fix the indentation or quoting"
        ) from None
    items = _value(doc, "runbooks")
    if not isinstance(items, yaml.SequenceNode):
        raise ConfigError(f"{path}:1: needs 'runbooks:', a list of {{name, alerts, steps: [{{say, run}}]}}")
    _known_keys(path, doc, FILE_KEYS, path.name)
    cluster = _value(doc, "cluster")
    _known_keys(path, cluster, CLUSTER_KEYS, "cluster")
    namespaces = _value(cluster, "namespaces") if cluster is not None else None
    return Runbooks(
        path=path,
        runbooks=tuple(_runbook(path, n, i) for i, n in enumerate(items.value)),
        metrics_api=cluster is not None and _flag(path, cluster, "metrics_api"),
        namespaces=tuple(_text(n) for n in namespaces.value) if isinstance(namespaces, yaml.SequenceNode) else (),
    )
