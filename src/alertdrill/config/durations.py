"""Prometheus-style durations (`1h30m`, `500ms`) to seconds and back."""

from __future__ import annotations

import re

from alertdrill.errors import ConfigError

_UNITS = {"y": 365 * 86400.0, "w": 7 * 86400.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")


def parse_duration(text: str | int | float, where: str = "") -> float:
    """Seconds in a Prometheus duration string; bare numbers are seconds."""
    if isinstance(text, int | float):
        return float(text)
    raw = text.strip()
    if raw == "0":
        return 0.0
    parts = _PART.findall(raw)
    if not parts or "".join(n + u for n, u in parts) != raw:
        raise ConfigError(f"{where}: {text!r} is not a duration (expected e.g. 30s, 5m, 1h30m)")
    return sum(int(n) * _UNITS[u] for n, u in parts)


def format_duration(seconds: float) -> str:
    """Shortest exact Prometheus duration, to the millisecond (`0.5` -> `500ms`, `90` -> `1m30s`)."""
    ms = round(seconds * 1000)
    if ms <= 0:
        return "0s"
    out = []
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, ms = divmod(ms, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
