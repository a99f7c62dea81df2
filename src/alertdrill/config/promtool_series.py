"""A promtool test group's `input_series`, read exactly as promtool reads them, and what in a
group cannot be replayed live at a time scale (issue 28: `alertdrill replay`).

Why promtool's own reading: a replay feeds these series to a real Prometheus on a scaled clock
and compares the live alerts with `exp_alerts`; a value read differently from promtool would be a
disagreement alertdrill made up. The notation is promtool's series description grammar
(`promql/parser/generated_parser.y` at Prometheus v3.14, `series_item`):
- `_` one omitted sample, `_xN` N omitted samples;
- `v` one sample, `vxN` N+1 samples of v (the extra one is at time 0);
- `v+dxN` / `v-dxN` N+1 samples from v in steps of d;
- `stale` a staleness marker.
Native-histogram samples (`{{...}}`) are refused by name: replay does not feed them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from alertdrill.config.durations import parse_duration
from alertdrill.errors import ConfigError

Stale = Literal["stale"]
STALE: Stale = "stale"
#: One sample of an input series: a value, None (omitted: no sample at that step) or STALE.
Point = float | None | Stale

_UNSIGNED = r"(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|Inf|inf|NaN|nan)"
_ITEM = re.compile(
    rf"^(?:(?P<blank>_)(?:x(?P<blank_times>\d+))?"
    rf"|(?P<stale>stale)(?:x(?P<stale_times>\d+))?"
    rf"|(?P<value>[-+]?{_UNSIGNED})(?:(?P<step>[-+]{_UNSIGNED})?x(?P<times>\d+))?)$"
)
_SERIES = re.compile(r"^\s*(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(?P<labels>.*)\})?\s*$", re.S)
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


@dataclass(frozen=True)
class InputSeries:
    """One `input_series` entry: its exact labels (`__name__` included) and its samples, one per
    the group's `interval` from time 0."""

    labels: dict[str, str]
    points: tuple[Point, ...]


def parse_values(text: str, where: str) -> tuple[Point, ...]:
    """`values:` as promtool expands it; a ConfigError naming `where` for what it would refuse."""
    points: list[Point] = []
    for item in str(text).split():
        m = _ITEM.match(item)
        if m is None:
            hint = " (native histograms are not replayed)" if item.startswith("{{") else ""
            raise ConfigError(f"{where}: values item {item!r} is not promtool's series notation{hint}")
        if m.group("blank"):
            points += [None] * int(m.group("blank_times") or 1)
        elif m.group("stale"):
            points += [STALE] * (int(m.group("stale_times")) + 1 if m.group("stale_times") else 1)
        else:
            start = float(m.group("value"))
            if m.group("times") is None:
                points.append(start)
                continue
            step = float(m.group("step") or 0.0)
            points += [start + i * step for i in range(int(m.group("times")) + 1)]
    return tuple(points)


def parse_series(text: str, where: str, need_name: bool = True) -> dict[str, str]:
    """`series:` — a metric name and/or `{label="value", ...}` — as exact labels (an expression
    test's `exp_samples` labels may have no name: `need_name=False`)."""
    m = _SERIES.match(str(text))
    if m is None:
        raise ConfigError(f'{where}: series {text!r} is not `name{{label="value", ...}}`')
    labels = {"__name__": m.group("name")} if m.group("name") else {}
    body = (m.group("labels") or "").strip().rstrip(",")
    pos = 0
    while pos < len(body):
        lm = _LABEL.match(body, pos)
        if lm is None:
            raise ConfigError(f"{where}: series {text!r}: cannot read the labels from {body[pos:]!r}")
        labels[lm.group(1)] = bytes(lm.group(2), "utf-8").decode("unicode_escape")
        pos = lm.end()
    if need_name and "__name__" not in labels:
        raise ConfigError(f"{where}: series {text!r} has no metric name")
    return labels


def input_series(raw: list[dict[str, object]], where: str) -> list[InputSeries]:
    out = []
    for i, item in enumerate(raw):
        at = f"{where}.input_series[{i}]"
        labels = parse_series(str(item.get("series", "")), at)
        out.append(InputSeries(labels, parse_values(str(item.get("values", "")), at)))
    return out


#: PromQL that reads the wall clock or sample timestamps: a scaled clock changes its answer.
_CLOCK = re.compile(
    r"\b(time|timestamp|day_of_month|day_of_week|day_of_year|days_in_month|hour|minute|month|year)\s*\("
)
_AT = re.compile(r"@\s*(?:[-+]?\d|start\s*\(|end\s*\()")
_RANGE = re.compile(r"\[\s*(\d+(?:ms|s|m|h|d|w|y)(?:\d+(?:ms|s|m|h|d|w|y))*)\s*(?::[^\]]*)?\]")
#: Metric names whose values are Unix timestamps (the exporters' convention): scaling time moves them.
_TIMESTAMP_NAME = re.compile(r"_(timestamp|time)_seconds$|_last_seen|_created$")


def cannot_replay(exprs: list[str], series: list[InputSeries], time_scale: float, scrape_s: float) -> list[str]:
    """Why a group cannot be replayed at `time_scale` (empty: it can): a sentence each, said up
    front rather than a disagreement later. Scrape `scrape_s` is the replay stack's, as run."""
    reasons = []
    for expr in exprs:
        if _CLOCK.search(expr):
            reasons.append(f"{expr!r} reads the clock (time() and friends): a scaled clock changes its answer")
        if _AT.search(expr):
            reasons.append(f"{expr!r} pins an evaluation time with @: replayed samples carry scaled times")
        for window in _RANGE.findall(expr):
            scaled = parse_duration(window, expr) / time_scale
            if scaled < scrape_s:
                reasons.append(
                    f"{expr!r}: its [{window}] window is {scaled:g}s at time scale {time_scale:g}, shorter than "
                    f"the {scrape_s:g}s the replayed samples are apart"
                )
    for s in series:
        if _TIMESTAMP_NAME.search(s.labels["__name__"]):
            reasons.append(f"{s.labels['__name__']}'s values are timestamps: a scaled clock does not move them")
    return reasons
