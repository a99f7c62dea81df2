"""What a failed drill leaves for the reader: state captured before teardown rolls it away."""

from __future__ import annotations

import time

from alertdrill.drill.session import DrillSession
from alertdrill.errors import ObserveError


def render_diagnostics(drill: DrillSession) -> str:
    """Active alerts, targets, notifications and process log tails, as plain text."""
    stack = drill.stack
    out = [
        f"captured {time.strftime('%Y-%m-%d %H:%M:%S')}; run dir {stack.run_dir}",
        f"timeline: {drill.timeline.observed()}",
    ]
    try:
        out.append("Prometheus alerts:")
        out += [f"  {a.name} {a.state} active_at={a.active_at} {a.labels}" for a in drill.prometheus.alerts()]
        out.append("Prometheus targets: " + str(drill.prometheus.target_health()))
    except ObserveError as exc:
        out.append(f"  (Prometheus did not answer: {exc})")
    try:
        out.append("Alertmanager alerts:")
        out += [f"  {a.name} {a.state} receivers={list(a.receivers)} {a.labels}" for a in drill.alertmanager.alerts()]
    except ObserveError as exc:
        out.append(f"  (Alertmanager did not answer: {exc})")
    since = drill.timeline.fault_at or 0.0
    out.append("notifications since the fault:")
    out += [
        f"  +{n.arrived_at - since:.3f}s {n.status} {n.alertname} -> {n.receiver} ({n.integration}) {n.labels}"
        for n in stack.recorder.notifications(since)
    ]
    for name, tail in stack.diagnostics().items():
        out.append(f"--- {name} (log tail)\n{tail}")
    return "\n".join(out) + "\n"
