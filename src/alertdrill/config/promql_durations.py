"""Durations written into a PromQL tree to the millisecond.

Why: promql-parser prints durations to the second only (`x[1s500ms]` prints as `x{}[1s]`), so a
window or offset scaled to 1.5 s would silently become 1 s. Each scaled duration is put into the
tree as a placeholder (whole weeks, far beyond any real window) and written out exactly once the
tree is printed. Both scalers use it: the drills' (config.timescale) and the replay's
(replay.rules).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import promql_parser as pp

from alertdrill.config.durations import format_duration

#: The first placeholder, in seconds; placeholder i is i weeks later.
_PLACEHOLDER_S = 7_000 * 7 * 86400
_WEEK_S = 7 * 86400


class ExactDurations:
    """Placeholders handed out while a tree is rewritten, and the exact text each one stands for."""

    def __init__(self) -> None:
        self._exact: list[str] = []

    def put(self, seconds: float) -> timedelta:
        """A placeholder for `seconds` (to the millisecond; a negative offset keeps its sign)."""
        ms = round(abs(seconds) * 1000)
        text = format_duration(ms / 1000) if ms else "0s"
        self._exact.append(f"-{text}" if seconds < 0 and ms else text)
        return timedelta(seconds=_PLACEHOLDER_S + (len(self._exact) - 1) * _WEEK_S)

    def scale_times(self, node: Any, factor: float, window: Callable[[float], float]) -> bool:
        """Put `node`'s offset (÷ factor), range (`window(seconds)`, the scaler's own rule) and
        subquery step (÷ factor, at most the range) as placeholders; False: it has none of them.
        The one walk both scalers share; what differs (a floor under windows, rates) stays theirs."""
        if isinstance(node, pp.VectorSelector) and node.offset:
            node.offset = self.put(node.offset.total_seconds() / factor)
            return True
        if not isinstance(node, pp.MatrixSelector | pp.SubqueryExpr) or node.range is None:
            return False
        scaled = round(window(node.range.total_seconds()) * 1000) / 1000
        node.range = self.put(scaled)
        if isinstance(node, pp.SubqueryExpr):
            if node.step is not None:
                node.step = self.put(max(min(node.step.total_seconds() / factor, scaled), 0.001))
            if node.offset:  # a subquery's own offset
                node.offset = self.put(node.offset.total_seconds() / factor)
        return True

    def write_out(self, printed: str) -> str:
        """`printed` (the rewritten tree's text) with every placeholder replaced by its duration."""
        for i, duration in reversed(list(enumerate(self._exact))):
            placeholder = str(pp.parse(f"x[{_PLACEHOLDER_S + i * _WEEK_S}s]")).removeprefix("x{}[").removesuffix("]")
            printed = printed.replace(placeholder, duration)
        return printed
