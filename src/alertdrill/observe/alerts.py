"""Alert identities: how a drill names an alert (`Alert{label="value"}`) and matches one."""

from __future__ import annotations

Selector = tuple[str, dict[str, str]]


def selector(alert: str, match: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(match.items()))
    return f"{alert}{{{inner}}}"


def matches(name: str, labels: dict[str, str], alert: str, match: dict[str, str]) -> bool:
    """`name`/`labels` is the alert `alert` with at least the labels in `match` ("*" matches any)."""
    return (name == alert or name == "*") and all(labels.get(k) == v for k, v in match.items())


def describe(name: str, labels: dict[str, str]) -> str:
    keep = {k: v for k, v in labels.items() if k in ("job", "instance", "node", "pod", "severity")}
    return selector(name, keep)
