"""The SOP-004 dashboards (`monitoring/grafana/*.json`) as data: every panel query, located."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.errors import ConfigError

GRAFANA_VARIABLE = re.compile(r"\$\{?(__rate_interval|__interval|__range)\}?")


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref: str
    expr: str


def _panels(items: list[Any]) -> Iterator[dict[str, Any]]:
    for panel in items:
        if isinstance(panel, dict):
            yield panel
            yield from _panels(panel.get("panels") or [])  # collapsed rows keep theirs inside


def load_queries(grafana_dir: Path) -> list[PanelQuery]:
    """Every Prometheus target of every panel; a file that is not a dashboard is a located error."""
    files = sorted(grafana_dir.glob("*.json"))
    if not files:
        raise ConfigError(f"{grafana_dir}: no dashboards (*.json)")
    out = []
    for path in files:
        try:
            board = json.loads(path.read_text())
        except ValueError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(board, dict) or "panels" not in board:
            raise ConfigError(f"{path}: not a Grafana dashboard (no 'panels')")
        title = str(board.get("title", path.stem))
        for panel in _panels(board["panels"]):
            for target in panel.get("targets") or []:
                if isinstance(target, dict) and target.get("expr"):
                    ref = str(target.get("refId", "?"))
                    out.append(PanelQuery(title, str(panel.get("title", panel.get("id"))), ref, str(target["expr"])))
    return out


def resolve_variables(expr: str, scrape_s: float) -> str:
    """Grafana's interval variables as Grafana would set them for a 5-minute view."""
    rate = f"{max(4 * scrape_s, 15):g}s"
    values = {"__rate_interval": rate, "__interval": f"{max(scrape_s, 1):g}s", "__range": "5m"}
    return GRAFANA_VARIABLE.sub(lambda m: values[m.group(1)], expr)
