"""Alertmanager config as data: loaded and checked, timers scaled, routes matched as Alertmanager's
tree walk does, `send_resolved` as each integration defaults it. Where notifications go during a
drill is alertdrill.notify's business (redirect.py)."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.config.durations import format_duration, parse_duration
from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml

#: Alertmanager's own default of `send_resolved` per integration (docs/configuration.md).
SEND_RESOLVED_DEFAULT = {
    "email_configs": False,
    "slack_configs": False,
    "wechat_configs": False,
    "pagerduty_configs": True,
    "opsgenie_configs": True,
    "victorops_configs": True,
    "pushover_configs": True,
    "webhook_configs": True,
    "sns_configs": True,
    "telegram_configs": True,
    "webex_configs": True,
    "discord_configs": True,
    "msteams_configs": True,
}
ROOT_TIMER_DEFAULTS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}
TIMERS = tuple(ROOT_TIMER_DEFAULTS)


@dataclass(frozen=True)
class RouteMatch:
    """A route an alert lands on, with its effective (inherited) timers in seconds."""

    receiver: str
    group_wait_s: float
    group_interval_s: float
    repeat_interval_s: float
    group_by: tuple[str, ...]


def load_alertmanager_config(path: Path) -> dict[str, Any]:
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("route"), dict):
        raise ConfigError(f"{path}: an Alertmanager config needs a top-level 'route:' mapping")
    names = [r.get("name") for r in doc.get("receivers") or [] if isinstance(r, dict)]
    problems = []

    def check(route: dict[str, Any], where: str) -> None:
        recv = route.get("receiver")
        if recv is not None and recv not in names:
            problems.append(
                f"{path}: {where} uses undefined receiver {recv!r} (defined: {', '.join(map(str, names)) or 'none'})"
            )
        for i, child in enumerate(route.get("routes") or []):
            check(child, f"{where}.routes[{i}]")

    check(doc["route"], "route")
    if problems:
        raise ConfigError("\n".join(problems))
    return doc


def receiver_names(doc: dict[str, Any]) -> list[str]:
    return [str(r["name"]) for r in doc.get("receivers") or []]


def scale_timers(doc: dict[str, Any], factor: float) -> dict[str, Any]:
    """Divide group_wait/group_interval/repeat_interval on every route (root defaults made explicit)."""
    out = copy.deepcopy(doc)
    root = out["route"]
    for key, default in ROOT_TIMER_DEFAULTS.items():
        root.setdefault(key, default)

    def scale(route: dict[str, Any], where: str) -> None:
        for key in TIMERS:
            if key in route:
                seconds = parse_duration(route[key], f"alertmanager {where}.{key}") / factor
                floor = 0.0 if key == "group_wait" else 0.1  # group_interval may not be zero
                route[key] = format_duration(max(seconds, floor))
        for i, child in enumerate(route.get("routes") or []):
            scale(child, f"{where}.routes[{i}]")

    scale(root, "route")
    glob = out.get("global")
    if isinstance(glob, dict) and "resolve_timeout" in glob:
        glob["resolve_timeout"] = format_duration(
            max(parse_duration(glob["resolve_timeout"], "global.resolve_timeout") / factor, 1.0)
        )
    return out


_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def _matches(route: dict[str, Any], labels: dict[str, str]) -> bool:
    for name, value in (route.get("match") or {}).items():
        if labels.get(name, "") != str(value):
            return False
    for name, value in (route.get("match_re") or {}).items():
        if not re.fullmatch(str(value), labels.get(name, "")):
            return False
    for text in route.get("matchers") or []:
        for part in _split_matchers(str(text)):
            m = _MATCHER.match(part)
            if not m:
                raise ConfigError(f'alertmanager matcher {part!r} is not NAME="value"')
            name, op, value = m.groups()
            have = labels.get(name, "")
            ok = {
                "=": have == value,
                "!=": have != value,
                "=~": re.fullmatch(value, have) is not None,
                "!~": re.fullmatch(value, have) is None,
            }[op]
            if not ok:
                return False
    return True


def _split_matchers(text: str) -> list[str]:
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    return [p for p in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', text) if p.strip()]


def match_routes(doc: dict[str, Any], labels: dict[str, str]) -> list[RouteMatch]:
    """The routes an alert with `labels` is delivered through, as Alertmanager's tree walk does."""
    root = doc["route"]
    inherited = {k: root.get(k, ROOT_TIMER_DEFAULTS[k]) for k in TIMERS}
    inherited["group_by"] = root.get("group_by") or []
    inherited["receiver"] = root.get("receiver")

    def walk(route: dict[str, Any], ctx: dict[str, Any]) -> list[RouteMatch]:
        here = {**ctx, **{k: route[k] for k in (*TIMERS, "group_by", "receiver") if k in route}}
        found: list[RouteMatch] = []
        for child in route.get("routes") or []:
            if _matches(child, labels):
                found.extend(walk(child, here))
                if not child.get("continue", False):
                    break
        if found:
            return found
        return [
            RouteMatch(
                receiver=str(here["receiver"]),
                group_wait_s=parse_duration(here["group_wait"]),
                group_interval_s=parse_duration(here["group_interval"]),
                repeat_interval_s=parse_duration(here["repeat_interval"]),
                group_by=tuple(str(g) for g in here["group_by"]),
            )
        ]

    return walk(root, inherited)


def sends_resolved(doc: dict[str, Any], receiver: str) -> bool:
    """Whether any integration of `receiver` sends resolved notifications (per its own default)."""
    for item in doc.get("receivers") or []:
        if item.get("name") != receiver:
            continue
        return any(
            integration.get("send_resolved", SEND_RESOLVED_DEFAULT.get(key, True))
            for key, integrations in item.items()
            if key.endswith("_configs")
            for integration in integrations or []
        )
    return False


def inhibits(doc: dict[str, Any], source: dict[str, str], target: dict[str, str]) -> list[int]:
    """Indexes of the inhibit rules under which a firing `source` mutes `target`, as Alertmanager
    decides it: both sides match and every `equal` label has one value on both (absent = empty)."""
    out = []
    for i, rule in enumerate(doc.get("inhibit_rules") or []):
        src = {
            "match": rule.get("source_match"),
            "match_re": rule.get("source_match_re"),
            "matchers": rule.get("source_matchers"),
        }
        tgt = {
            "match": rule.get("target_match"),
            "match_re": rule.get("target_match_re"),
            "matchers": rule.get("target_matchers"),
        }
        if source == target or not (_matches(src, source) and _matches(tgt, target)):
            continue
        if all(source.get(str(label), "") == target.get(str(label), "") for label in rule.get("equal") or []):
            out.append(i)
    return out


def receiver_emails(doc: dict[str, Any], receiver: str) -> list[str]:
    """The addresses a receiver's email integrations send to (each `to:`, comma-separated,
    lower-cased, in order, each once)."""
    item: dict[str, Any] = next((r for r in doc.get("receivers") or [] if r.get("name") == receiver), {})
    tos = [str(c.get("to", "")) for c in item.get("email_configs") or []]
    return list(dict.fromkeys(a.strip().lower() for to in tos for a in to.split(",") if a.strip()))
