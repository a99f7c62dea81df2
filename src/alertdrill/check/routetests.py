"""Routing tests: `amtool config routes test --verify.receivers` per case, timers from the YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alertdrill.config import routing
from alertdrill.config.amtool_cases import is_amtool_script
from alertdrill.config.routing_cases import RouteCase
from alertdrill.errors import ConfigError
from alertdrill.runtime.tools import run_tool
from alertdrill.runtime.yamlfile import load_yaml


@dataclass(frozen=True)
class RouteResult:
    case: str
    ok: bool
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InhibitCase:
    """While `source` fires, is `target` muted? (inhibition is not testable with amtool offline)"""

    name: str
    source: dict[str, str]
    target: dict[str, str]
    inhibited: bool


def load_inhibit_cases(path: Path) -> list[InhibitCase]:
    if not path.is_file() or is_amtool_script(path):  # amtool has no inhibition test
        return []
    out = []
    for i, raw in enumerate((load_yaml(path) or {}).get("inhibitions") or []):
        if not isinstance(raw, dict) or not {"source", "target", "inhibited"} <= set(raw):
            raise ConfigError(
                f"{path}: inhibitions[{i}] needs 'source', 'target' (labels) and 'inhibited' (true/false)"
            )
        out.append(
            InhibitCase(
                str(raw.get("name", f"inhibition {i}")),
                {str(k): str(v) for k, v in raw["source"].items()},
                {str(k): str(v) for k, v in raw["target"].items()},
                bool(raw["inhibited"]),
            )
        )
    return out


def run_inhibit_case(case: InhibitCase, am: dict[str, Any]) -> RouteResult:
    rules = routing.inhibits(am, case.source, case.target)
    if bool(rules) == case.inhibited:
        return RouteResult(case.name, True)
    said = f"inhibit_rules[{rules[0]}] mutes it" if rules else "no inhibit rule mutes it"
    want = "muted" if case.inhibited else "paged"
    return RouteResult(case.name, False, [f"{case.target} while {case.source} fires: {said}, expected {want}"])


def run_case(case: RouteCase, am_path: Path, am: dict[str, Any], bin_path: str | None = None) -> RouteResult:
    problems = []
    args = [
        "config",
        "routes",
        "test",
        f"--config.file={am_path}",
        f"--verify.receivers={','.join(case.receivers)}",
        *(f"{k}={v}" for k, v in case.labels.items()),
    ]
    proc = run_tool("amtool", args, bin_path=bin_path)
    if proc.returncode != 0:
        problems.append(
            f"amtool routes {case.labels} to {proc.stdout.strip() or '?'}, expected {','.join(case.receivers)}"
        )
    matches = routing.match_routes(am, case.labels)
    waits = [m.group_wait_s for m in matches]
    actual = {m.receiver: m.group_wait_s for m in matches}
    for receiver, want in case.group_waits.items():
        if actual.get(receiver) != want:
            got = f"{actual[receiver]:g}s" if receiver in actual else "no route"
            problems.append(f"receiver {receiver} waits {got}, the timeline says {want:g}s (its route's group_wait)")
    if case.max_group_wait_s is not None and max(waits) > case.max_group_wait_s:
        problems.append(f"group_wait {max(waits):g}s exceeds {case.max_group_wait_s:g}s")
    if case.min_group_wait_s is not None and min(waits) < case.min_group_wait_s:
        problems.append(f"group_wait {min(waits):g}s is shorter than the {case.min_group_wait_s:g}s deferral")
    return RouteResult(case.name, not problems, problems)


def send_resolved_problems(am: dict[str, Any], receivers: set[str]) -> list[str]:
    """Every integration of every paging receiver must say when it is over."""
    out = []
    for item in am.get("receivers") or []:
        if item.get("name") not in receivers:
            continue
        for key, integrations in item.items():
            if not key.endswith("_configs"):
                continue
            for i, integ in enumerate(integrations or []):
                if not integ.get("send_resolved", routing.SEND_RESOLVED_DEFAULT.get(key, True)):
                    out.append(
                        f"receiver {item['name']!r} {key}[{i}] has send_resolved off (the default for "
                        f"{key.removesuffix('_configs')} is {routing.SEND_RESOLVED_DEFAULT.get(key, True)})"
                    )
    return out
