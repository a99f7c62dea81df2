"""Routing test cases (`routing.test.yml`, or a script of amtool calls: config.amtool_cases): an
alert's labels and the receivers SOP-004 says it reaches. Read by `check` (amtool offline), by
`replay` (who must be paged), and by the cluster stack, which asks amtool the same cases on the
config the operator would render (stack/kube/cluster_alerting.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alertdrill.config.amtool_cases import is_amtool_script, load_amtool_cases
from alertdrill.config.durations import parse_duration
from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml


@dataclass(frozen=True)
class RouteCase:
    name: str
    labels: dict[str, str]
    receivers: tuple[str, ...]
    max_group_wait_s: float | None = None
    min_group_wait_s: float | None = None
    #: Exact group_wait per receiver: an escalation timeline (SOP-004's 5/15/30 minutes).
    group_waits: dict[str, float] = field(default_factory=dict)


def load_cases(path: Path) -> list[RouteCase]:
    if not path.is_file():
        return []
    if is_amtool_script(path):
        return [RouteCase(c.name, c.labels, c.receivers) for c in load_amtool_cases(path)]
    doc = load_yaml(path) or {}
    cases = []
    for i, raw in enumerate(doc.get("cases") or []):
        if not isinstance(raw, dict) or "labels" not in raw or "receivers" not in raw:
            raise ConfigError(f"{path}: cases[{i}] needs 'labels' and 'receivers'")
        where = f"{path}: cases[{i}]"
        cases.append(
            RouteCase(
                name=str(raw.get("name", f"case {i}")),
                labels={str(k): str(v) for k, v in raw["labels"].items()},
                receivers=tuple(raw["receivers"]),
                max_group_wait_s=parse_duration(raw["max_group_wait"], where) if "max_group_wait" in raw else None,
                min_group_wait_s=parse_duration(raw["min_group_wait"], where) if "min_group_wait" in raw else None,
                group_waits={
                    str(r): parse_duration(v, f"{where}.group_waits.{r}")
                    for r, v in (raw.get("group_waits") or {}).items()
                },
            )
        )
    return cases
