"""Where a team keeps its monitoring config: FLUO's layout, or what `<root>/alertdrill.yml` says.

Why a layout file rather than a required shape: a team points alertdrill at the repository it
already has (kubernetes-mixin keeps `prometheus_alerts.yaml` and a `tests.yaml` whose
`rule_files` are relative to it). Nothing is moved or rewritten in place; promtool reads each test
file's `rule_files` relative to that file, and so does alertdrill.

    # <root>/alertdrill.yml (every path relative to this file; rules and tests may be globs)
    rules: [prometheus_alerts.yaml, prometheus_rules.yaml]
    tests: [tests.yaml]
    alertmanager: alertmanager.yml
    routing_tests: routing.test.yml   # optional; or a script of amtool calls (config.amtool_cases)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml

LAYOUT_FILE = "alertdrill.yml"
AM_CANDIDATES = (
    "alertmanager/alertmanager.yml",
    "alertmanager/alertmanager.yaml",
    "alertmanager.yml",
    "alertmanager.yaml",
)
RULE_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class Layout:
    root: Path
    rules_base: Path  # rule files' copies keep their path below this
    rules: tuple[Path, ...]
    rule_tests: tuple[Path, ...]
    alertmanager: Path | None
    routing_tests: Path | None


def load_layout(root: Path) -> Layout:
    path = root / LAYOUT_FILE
    if not path.is_file():
        return _default(root)
    doc = load_yaml(path) or {}
    if not isinstance(doc, dict) or not doc.get("rules"):
        raise ConfigError(f"{path}: expected 'rules' (paths or globs), and 'tests', 'alertmanager', 'routing_tests'")
    rules = _paths(root, doc, "rules", path)
    if not rules:
        raise ConfigError(f"{path}: 'rules' {doc['rules']!r} matches no file below {root}")
    outside = [r for r in rules if not r.resolve().is_relative_to(root.resolve())]
    if outside:
        raise ConfigError(f"{path}: rule file {outside[0]} is outside {root}; keep rules below the layout file")
    am = root / str(doc["alertmanager"]) if doc.get("alertmanager") else None
    if am is not None and not am.is_file():
        raise ConfigError(f"{path}: alertmanager {doc['alertmanager']!r}: no such file below {root}")
    routing_tests = root / str(doc["routing_tests"]) if doc.get("routing_tests") else None
    return Layout(root, root, tuple(rules), tuple(_paths(root, doc, "tests", path)), am, routing_tests)


def _paths(root: Path, doc: dict[str, Any], key: str, where: Path) -> list[Path]:
    value = doc.get(key) or []
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ConfigError(f"{where}: '{key}' must be a path or a list of paths/globs; got {value!r}")
    out: list[Path] = []
    for entry in entries:
        found = sorted(p for p in root.glob(entry) if p.is_file()) if any(c in entry for c in "*?[") else [root / entry]
        missing = [p for p in found if not p.is_file()]
        if missing:
            raise ConfigError(f"{where}: {key} entry {entry!r}: no such file {missing[0]}")
        out += [p for p in found if p not in out]
    return out


def _default(root: Path) -> Layout:
    rules_dir = root / "rules"
    if not rules_dir.is_dir():
        raise ConfigError(
            f"{rules_dir}: no rules directory; put Prometheus rule files there, or describe your "
            f"layout in {root / LAYOUT_FILE}"
        )
    # read recursively: a team keeps rules in sub-directories (per service, per mixin)
    rules = sorted(p for p in rules_dir.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
    if not rules:
        raise ConfigError(f"{rules_dir}: no *.yml rule files found")
    tests_dir = root / "tests"
    tests = (
        sorted(p for p in tests_dir.glob("*.test.y*ml") if not p.name.startswith("routing."))
        if tests_dir.is_dir()
        else []
    )
    routing_tests = tests_dir / "routing.test.yml"
    am = next((root / c for c in AM_CANDIDATES if (root / c).is_file()), None)
    return Layout(root, rules_dir, tuple(rules), tuple(tests), am, routing_tests if routing_tests.is_file() else None)
