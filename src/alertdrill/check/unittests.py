"""Rule unit tests: every `<monitoring>/tests/*.test.yml` run with `promtool test rules`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from alertdrill.errors import ConfigError
from alertdrill.runtime.tools import output_of, run_tool
from alertdrill.runtime.yamlfile import load_yaml


@dataclass(frozen=True)
class RuleTestFile:
    path: Path
    alerts_tested: frozenset[str]  # alerts some alert_rule_test expects to fire
    #: (alert, severity) pairs an expectation names; severity None: expected without a severity label
    severities_tested: frozenset[tuple[str, str | None]] = frozenset()


def find_rule_tests(paths: list[Path], known_alerts: set[str]) -> list[RuleTestFile]:
    """Load every rule test file; a test naming an alert no rule defines is a located error."""
    out = []
    for path in paths:
        doc = load_yaml(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("tests"), list):
            raise ConfigError(f"{path}: a promtool test file needs 'rule_files' and a 'tests:' list")
        tested: set[str] = set()
        by_severity: set[tuple[str, str | None]] = set()
        text = path.read_text().splitlines()
        for group in doc["tests"]:
            for case in group.get("alert_rule_test") or []:
                name = str(case.get("alertname", ""))
                if name not in known_alerts:
                    line = next(
                        (i + 1 for i, t in enumerate(text) if re.search(rf"alertname:\s*{re.escape(name)}\b", t)),
                        0,
                    )
                    raise ConfigError(
                        f"{path}:{line}: alert_rule_test names unknown alert {name!r} "
                        f"(rules define: {', '.join(sorted(known_alerts))})"
                    )
                if case.get("exp_alerts"):
                    tested.add(name)
                for exp in case.get("exp_alerts") or []:
                    severity = (exp.get("exp_labels") or {}).get("severity")
                    by_severity.add((name, None if severity is None else str(severity)))
        out.append(RuleTestFile(path, frozenset(tested), frozenset(by_severity)))
    return out


def run_rule_tests(path: Path, bin_path: str | None = None) -> tuple[bool, str]:
    """(passed, promtool's output)."""
    proc = run_tool("promtool", ["test", "rules", str(path)], bin_path=bin_path)
    return proc.returncode == 0, output_of(proc)
