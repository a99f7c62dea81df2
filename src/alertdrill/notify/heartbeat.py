"""alertdrill playing the external heartbeat service (healthchecks.io, Dead Man's Snitch, PagerDuty
and Opsgenie heartbeats): a ping URL that pages when the pings stop.

Why play it rather than trust it: the heartbeat is only worth something end to end — Prometheus
evaluating the always-firing alert, Alertmanager routing it to the ping URL on its timers, and a
service that notices the silence. The ping URL of the team's heartbeat receiver is redirected to
the recorder like every other integration; each message that arrives for that receiver is a ping.
The service is armed by its first ping (a check that never pinged is "new", as in healthchecks),
pages once when no ping came for period + grace, and says so again ("up") at the next ping. Its
pages are recorded as messages like any other, to the people the team's service pages.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from alertdrill.config.meta import SERVICE_PAGES_RECEIVER, MetaMonitoring
from alertdrill.notify.message import AlertRef, Message
from alertdrill.runtime.timeouts import TIMEOUTS

#: The receiver name the service's own pages are recorded under (a team's receiver may not take it).
SERVICE_RECEIVER = SERVICE_PAGES_RECEIVER
#: How often the service looks for a late ping, as a share of its period (and never less often than this).
TICK_SHARE = 0.02


@dataclass(frozen=True)
class HeartbeatSpec:
    """One heartbeat check as the service is set up (seconds as run: scaled on a scaled stack)."""

    receiver: str  # the Alertmanager receiver whose messages are the pings
    alert: str  # the always-firing alert (named in the service's pages)
    period_s: float
    grace_s: float
    notify: tuple[str, ...]

    @property
    def tick_s(self) -> float:
        return max(0.01, TICK_SHARE * self.period_s)

    def to_arg(self) -> str:
        """The in-cluster recorder's `--heartbeat` argument."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_arg(cls, text: str) -> HeartbeatSpec:
        data = json.loads(text)
        return cls(
            str(data["receiver"]),
            str(data["alert"]),
            float(data["period_s"]),
            float(data["grace_s"]),
            tuple(data.get("notify") or ()),
        )


class HeartbeatService:
    """Pings in, one page out per silence, one "up" when pings resume."""

    def __init__(self, spec: HeartbeatSpec, page: Callable[[Message], None]) -> None:
        self.spec = spec
        self._page = page
        self._lock = threading.Lock()
        self._last_ping: float | None = None
        self._down = False
        self._down_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name=f"heartbeat-{self.spec.receiver}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUTS.thread_join)
            self._thread = None

    def ping(self, at: float) -> None:
        """A ping that arrived at `at` (HTTP handlers run concurrently: the latest one counts, and an
        "up" is never stamped before the "down" it answers)."""
        with self._lock:
            self._last_ping = max(at, self._last_ping or at)
            was_down, self._down = self._down, False
            up_at = max(at, self._down_at)
        if was_down:
            self._page(self._message("resolved", up_at, "[UP]", "pings are arriving again"))

    def _watch(self) -> None:
        while not self._stop.wait(self.spec.tick_s):
            now = time.time()
            with self._lock:
                late = self._last_ping is not None and not self._down
                late = late and now > (self._last_ping or 0.0) + self.spec.period_s + self.spec.grace_s
                if late:
                    self._down, self._down_at = True, now
                silent_s = now - (self._last_ping or now)
            if late:
                self._page(self._message("firing", now, "[DOWN]", f"no ping for {silent_s:.2f}s"))

    def _message(self, status: str, at: float, tag: str, what: str) -> Message:
        s = self.spec
        subject = (
            f"{tag} heartbeat {s.alert} (receiver {s.receiver}): {what} (period {s.period_s:g}s + grace {s.grace_s:g}s)"
        )
        return Message(
            receiver=SERVICE_RECEIVER,
            integration=f"{SERVICE_RECEIVER}-0",
            kind="heartbeat",
            arrived_at=at,
            status=status,
            recipients=s.notify,
            subject=subject,
            text=subject,
            alerts=(AlertRef(s.alert, {"heartbeat": s.receiver}, status),),
        )


def heartbeat_spec(meta: MetaMonitoring | None, time_scale: float) -> HeartbeatSpec | None:
    """The team's heartbeat service as a stack at `time_scale` plays it (None: it has none)."""
    if meta is None or meta.heartbeat is None:
        return None
    hb = meta.heartbeat
    return HeartbeatSpec(hb.receiver, hb.alert, hb.period_s / time_scale, hb.grace_s / time_scale, hb.notify)
