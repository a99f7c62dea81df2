"""What the live Prometheus did at each evaluation of a replay: the grid's phase before time 0,
then the alerts (labels, annotations, state) after every evaluation up to the group's horizon.

Why the rules API after each evaluation rather than the ALERTS series: promtool compares
annotations too, and only the rule evaluator holds them. Each read is placed mid-interval and
names the evaluation it saw (the group's `lastEvaluation`), so a read that came late on a busy
machine is known as such and never compared as if it were another evaluation.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from alertdrill.errors import DrillError
from alertdrill.observe.prometheus import PrometheusClient
from alertdrill.replay.feed import Clock
from alertdrill.replay.rules import CLOCK, GROUP_LABEL
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll, sleep_until, wait_for

#: A read sits this far into the interval after the evaluation it wants.
READ_AT = 0.4
#: Set on Ctrl-C: every group's watch stops at its next evaluation, so its stack is stopped at once.
STOP = threading.Event()


@dataclass(frozen=True)
class LiveAlert:
    name: str
    labels: dict[str, str]
    annotations: dict[str, str]
    state: str  # pending | firing
    group: str


@dataclass
class Evaluations:
    """Alerts after each evaluation k of the primary group (k = 0 at time 0)."""

    interval_ms: int
    by_k: dict[int, list[LiveAlert]] = field(default_factory=dict)
    late_reads: int = 0

    def firing(self, k: int, alertname: str) -> list[LiveAlert] | None:
        """Firing alerts named so after evaluation k; None: that evaluation was not seen."""
        alerts = self.by_k.get(k)
        if alerts is None:
            return None
        return [a for a in alerts if a.name == alertname and a.state == "firing"]


def grid_phase(url: str, group: str) -> int:
    """The millisecond of the primary group's latest evaluation (its clock rule's sample)."""
    expr = f'timestamp({CLOCK}{{{GROUP_LABEL}="{group}"}})'
    with PrometheusClient(url) as prom:
        found = wait_for(
            f"the first evaluation of the replay's rules on {url}",
            lambda: prom.query(expr),
            poll_s=0.05,
            timeout_s=TIMEOUTS.server_ready,
        )
    return round(found[0].value * 1000)


def time_zero(phase_ms: int, interval_ms: int, lead_s: float) -> int:
    """The first evaluation of the grid at least `lead_s` from now: the replay's time 0."""
    earliest = int((time.time() + lead_s) * 1000)
    steps = max(0, -(-(earliest - phase_ms) // interval_ms))
    return phase_ms + steps * interval_ms


_ZONE = re.compile(r"(Z|[+-]\d\d:\d\d)$")


def _parse_rfc3339_ms(text: str) -> int:
    """Milliseconds since the epoch of Prometheus' RFC 3339 time: nanoseconds, in the zone of the
    machine it runs on (`Z` or an offset)."""
    zone = _ZONE.search(text)
    offset = "+00:00" if zone is None or zone.group(1) == "Z" else zone.group(1)
    body = text[: zone.start()] if zone else text
    head, _, frac = body.partition(".")
    return round(datetime.fromisoformat(head + offset).timestamp() * 1000) + int(frac[:3].ljust(3, "0"))


def read_evaluation(
    prom: PrometheusClient, clock: Clock, primary: str, interval_ms: int
) -> tuple[int, list[LiveAlert]]:
    """(the primary group's evaluation number, every alert of every group) as of now."""
    k = -1
    alerts = []
    for g in prom.rule_groups():
        if g.get("name") == primary and g.get("lastEvaluation"):
            # an evaluation starts at its slot or later, never before: floor, not round
            k = (_parse_rfc3339_ms(g["lastEvaluation"]) - clock.t0_ms) // interval_ms
        for rule in g.get("rules", []):
            for a in rule.get("alerts") or []:
                alerts.append(
                    LiveAlert(
                        rule.get("name", ""),
                        dict(a.get("labels", {})),
                        dict(a.get("annotations", {})),
                        str(a.get("state")),
                        str(g.get("name")),
                    )
                )
    return k, alerts


def _reached(k: int) -> Callable[[tuple[int, list[LiveAlert]]], bool]:
    return lambda answer: answer[0] >= k


def watch(
    url: str, clock: Clock, primary: str, interval_ms: int, last_k: int, seen: Evaluations | None = None
) -> Evaluations:
    """Read the alerts after every evaluation up to `last_k` (from where `seen` ends), each once it has happened."""
    seen = seen or Evaluations(interval_ms)
    first = max(seen.by_k, default=-1) + 1
    with PrometheusClient(url) as prom:
        for k in range(first, last_k + 1):
            if STOP.is_set():
                raise DrillError("replay interrupted")
            if k in seen.by_k:
                continue
            sleep_until((clock.t0_ms + k * interval_ms + READ_AT * interval_ms) / 1000)
            # the evaluation itself may come late on a busy machine: read again until it has run
            waited = poll(
                f"evaluation {k} of {url}",
                lambda: read_evaluation(prom, clock, primary, interval_ms),
                poll_s=0.02,
                until=(clock.t0_ms + (k + 0.95) * interval_ms) / 1000,
                done=_reached(k),
            )
            if not waited.met or waited.value is None:
                seen.late_reads += 1
                continue
            got, alerts = waited.value
            # The group says which evaluation it finished last only after the rules ran: a read
            # that ended once the next evaluation may have begun can mix the two, and is dropped.
            settled = time.time() * 1000 < clock.t0_ms + (got + 1) * interval_ms
            if got != k or not settled:
                seen.late_reads += 1
            if settled and 0 <= got <= last_k and got not in seen.by_k:
                seen.by_k[got] = alerts
    return seen
