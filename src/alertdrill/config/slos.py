"""Load and check `monitoring/slo.yml`: every objective parsed, every series recorded by a rule."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml

How = Literal["worst", "mean", "delta_ratio"]
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
OBJECTIVE = re.compile(r"^\s*(>=|<=|>|<)\s*([0-9.eE+-]+)\s*$")


@dataclass(frozen=True)
class Slo:
    name: str
    sop: str
    op: str
    target: float
    unit: str
    how: How
    steady_state: bool
    series: str | None = None
    numerator: str | None = None
    denominator: str | None = None

    @property
    def objective(self) -> str:
        return f"{self.op} {self.target:g}"

    @property
    def higher_is_better(self) -> bool:
        return self.op in (">", ">=")

    def met(self, value: float | None) -> bool:
        return value is not None and not math.isnan(value) and OPERATORS[self.op](value, self.target)

    def series_used(self) -> list[str]:
        return [s for s in (self.series, self.numerator, self.denominator) if s]


def load_slos(path: Path, recorded: set[str] | None = None) -> list[Slo]:
    """Every problem at once, each naming the file and the SLO: bad input is exit 2, located."""
    doc = load_yaml(path)
    items = doc.get("slos") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ConfigError(f"{path}: expected a top-level 'slos:' list")
    slos, problems = [], []
    for i, item in enumerate(items):
        where = f"{path}: slos[{i}] ({item.get('name', '?') if isinstance(item, dict) else '?'})"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        m = OBJECTIVE.match(str(item.get("objective", "")))
        how = item.get("how", "worst")
        if not m:
            problems.append(f"{where}: objective {item.get('objective')!r} must look like '>= 0.999' or '< 0.2'")
            continue
        if how not in ("worst", "mean", "delta_ratio"):
            problems.append(f"{where}: how {how!r} must be worst, mean or delta_ratio")
            continue
        keys = ("numerator", "denominator") if how == "delta_ratio" else ("series",)
        missing = [k for k in keys if not item.get(k)]
        if missing or not item.get("name"):
            problems.append(f"{where}: needs name and {', '.join(keys)}")
            continue
        slo = Slo(
            name=str(item["name"]),
            sop=str(item.get("sop", "")),
            op=m.group(1),
            target=float(m.group(2)),
            unit=str(item.get("unit", "")),
            how=how,
            steady_state=bool(item.get("steady_state", False)),
            series=item.get("series"),
            numerator=item.get("numerator"),
            denominator=item.get("denominator"),
        )
        unknown = [s for s in slo.series_used() if recorded is not None and s not in recorded]
        if unknown:
            problems.append(f"{where}: {', '.join(unknown)} is recorded by no rule; add it to a rules file")
            continue
        slos.append(slo)
    if problems:
        raise ConfigError("\n".join(problems))
    return slos


def find(slos: list[Slo], name: str) -> Slo:
    for slo in slos:
        if slo.name == name:
            return slo
    raise ConfigError(f"unknown SLO {name!r} (known: {', '.join(s.name for s in slos)})")


def recorded_series(documents: list[dict[str, Any]]) -> set[str]:
    return {
        str(rule["record"])
        for doc in documents
        for group in doc.get("groups") or []
        for rule in group.get("rules") or []
        if isinstance(rule, dict) and "record" in rule
    }


def slos_of(root: Path, documents: list[dict[str, Any]]) -> list[Slo]:
    """The SLOs of a monitoring config (`<root>/slo.yml`); none if it states none."""
    path = root / "slo.yml"
    return load_slos(path, recorded_series(documents)) if path.is_file() else []
