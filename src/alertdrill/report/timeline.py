"""A drill's timeline as an inline SVG: the moments it observed on one axis of seconds since the
fault, the bounds it was judged against as bands, a pipeline outage as a band, the messages people
got as ticks, and when someone was told that alerting broke. Labels close together get rows of
their own, so none covers another.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


EVENTS = (  # key in observed, label, colour
    ("fault_at", "fault", "#b00020"),
    ("pending_at", "pending", "#e6a700"),
    ("firing_at", "firing", "#e65100"),
    ("notified_at", "paged", "#1565c0"),
    ("rollback_at", "rollback", "#6a1b9a"),
    ("resolved_at", "resolved", "#2e7d32"),
    ("resolved_notified_at", "resolved page", "#00796b"),
)


def timeline_svg(drill: Mapping[str, Any], width: int = 760, height: int = 120) -> str:
    """An inline SVG: event markers on a seconds-since-fault axis, bounds as shaded bands."""
    o, e = drill["observed"], drill["expected"]
    t0 = o.get("fault_at")
    if t0 is None:
        return "<p>(no fault was injected)</p>"
    points = [(label, colour, o[key] - t0) for key, label, colour in EVENTS if o.get(key) is not None]
    fire_bound, rec_bound = e.get("fire_bound_s"), e.get("recovery_bound_s")
    rollback = o.get("rollback_at")
    ends = [p[2] for p in points] + [fire_bound or 0]
    if rollback is not None and rec_bound:
        ends.append(rollback - t0 + rec_bound)
    ends += [float(o["back_s"]) for o in drill.get("pipeline") or [] if o.get("back_s") is not None]
    ends += [float(m) for m, _ in _told_marks(drill)]
    span = max(ends + [1.0]) * 1.05
    left, right = 40, width - 20

    def x(sec: float) -> float:
        return float(left + (right - left) * max(sec, 0) / span)

    rows = label_rows([(x(sec), f"{label} +{sec:.2f}s") for label, _, sec in points])
    height = max(height, 88 + (max(rows, default=0) + 1) * 11)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="timeline of {_e(drill["scenario"])}">'
    ]
    parts += _bound_bands(fire_bound, rec_bound, None if rollback is None else rollback - t0, x)
    parts += [_outage_band(o, x, span) for o in drill.get("pipeline") or []]
    parts.append(f'<line x1="{left}" y1="60" x2="{right}" y2="60" stroke="#555"/>')
    step = max(1, round(span / 10))
    for tick in range(0, int(span) + 1, step):
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="60" x2="{x(tick):.1f}" y2="64" stroke="#555"/>'
            f'<text x="{x(tick):.1f}" y="76" font-size="10" text-anchor="middle">{tick}s</text>'
        )
    for (label, colour, sec), row in zip(points, rows, strict=True):
        y = 88 + row * 11
        parts.append(
            f'<line x1="{x(sec):.1f}" y1="24" x2="{x(sec):.1f}" y2="60" stroke="{colour}" '
            f'stroke-width="2"><title>{_e(label)} at +{sec:.3f}s</title></line>'
            f'<text x="{x(sec):.1f}" y="{y}" font-size="10" text-anchor="middle" fill="{colour}" '
            f'class="event">{_e(label)} +{sec:.2f}s</text>'
        )
    parts += [_message_tick(m, x) for m in drill.get("messages") or []]
    parts += [_told_mark(sec, what, x) for sec, what in _told_marks(drill)]
    parts.append("</svg>")
    return "".join(parts)


#: About how wide a 10 px label character is, in px (to keep labels from overlapping).
CHAR_PX = 5.6


def label_rows(labels: list[tuple[float, str]]) -> list[int]:
    """A row per label (centred at x) such that no two labels on one row overlap: events a
    second apart (fault, pending, firing) get rows of their own, distant ones share row 0."""
    ends: list[float] = []  # per row, where its last label ends
    out = [0] * len(labels)
    for i in sorted(range(len(labels)), key=lambda i: labels[i][0]):  # left to right
        x, text = labels[i]
        half = len(text) * CHAR_PX / 2
        row = next((r for r, end in enumerate(ends) if x - half > end + 4), len(ends))
        if row == len(ends):
            ends.append(x + half)
        else:
            ends[row] = x + half
        out[i] = row
    return out


def _bound_bands(
    fire_bound: float | None, rec_bound: float | None, rollback_s: float | None, x: Callable[[float], float]
) -> list[str]:
    """The fire bound from the fault and the recovery bound from the rollback, as shaded bands."""
    parts = []
    if fire_bound:
        parts.append(
            f'<rect x="{x(0):.1f}" y="20" width="{x(fire_bound) - x(0):.1f}" height="40" '
            f'fill="#1565c0" opacity="0.08"><title>fire bound {fire_bound:.2f}s</title></rect>'
        )
        parts.append(
            f'<text x="{x(fire_bound) - 2:.1f}" y="17" font-size="10" text-anchor="end" '
            f'fill="#1565c0">fire bound {fire_bound:.2f}s</text>'
        )
    if rollback_s is not None and rec_bound:
        r0 = rollback_s
        parts.append(
            f'<rect x="{x(r0):.1f}" y="20" width="{x(r0 + rec_bound) - x(r0):.1f}" height="40" '
            f'fill="#2e7d32" opacity="0.08"><title>recovery bound {rec_bound:.2f}s</title></rect>'
        )
        parts.append(
            f'<text x="{x(r0 + rec_bound) - 2:.1f}" y="17" font-size="10" text-anchor="end" '
            f'fill="#2e7d32">recovery bound {rec_bound:.2f}s</text>'
        )
    return parts


def _outage_band(o: Mapping[str, Any], x: Callable[[float], float], span: float) -> str:
    """A pipeline part the drill broke, down from `down_s` to `back_s` (to the edge: until rollback)."""
    down = float(o["down_s"])
    back = float(o["back_s"]) if o.get("back_s") is not None else span
    label = f"{o.get('component')} down" + ("" if o.get("back_s") is not None else " until rollback")
    return (
        f'<rect x="{x(down):.1f}" y="30" width="{max(1.0, x(back) - x(down)):.1f}" height="26" fill="#555" '
        f'opacity="0.12" class="outage"><title>{_e(label)}: +{down:.2f}s to +{back:.2f}s</title></rect>'
        f'<text x="{x(down) + 2:.1f}" y="40" font-size="10" fill="#444">{_e(label)}</text>'
    )


def _told_marks(drill: Mapping[str, Any]) -> list[tuple[float, str]]:
    """When someone was told that alerting broke, and told it recovered (seconds since the fault)."""
    outages = {str(o.get("scenario")): float(o["down_s"]) for o in drill.get("pipeline") or []}
    marks = []
    for t in drill.get("told") or []:
        if t.get("told_s") is None:  # nobody was told: nothing to mark
            continue
        down = outages.get(str(t.get("scenario")), 0.0)
        marks.append((down + float(t["told_s"]), "told"))
        if t.get("recovered_s") is not None:
            marks.append((down + float(t["recovered_s"]), "told back"))
    return marks


def _told_mark(sec: float, what: str, x: Callable[[float], float]) -> str:
    return (
        f'<path d="M{x(sec):.1f},22 l-5,-8 h10 z" fill="#6a1b9a" class="told">'
        f"<title>{_e(what)} at +{sec:.2f}s</title></path>"
        f'<text x="{x(sec) + 7:.1f}" y="14" font-size="10" fill="#6a1b9a">{_e(what)} +{sec:.2f}s</text>'
    )


def _message_tick(m: Mapping[str, Any], x: Callable[[float], float]) -> str:
    """A message people got, as a small mark under the axis (red: firing, green: resolved)."""
    colour = "#c62828" if m.get("status") == "firing" else "#2e7d32"
    who = ", ".join(m.get("recipients") or [])
    return (
        f'<rect x="{x(float(m["at_s"])) - 2:.1f}" y="62" width="4" height="8" fill="{colour}">'
        f"<title>{_e(m.get('status'))} to {_e(who)} +{float(m['at_s']):.2f}s: {_e(m.get('subject'))}</title></rect>"
    )
