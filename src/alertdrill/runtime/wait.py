"""The one way alertdrill waits for something to become true: ask, judge, sleep, ask again.

Why one primitive: a wait that runs out must say what it waited for, how long, and what it last
saw (testcontainers' waiting utilities do the same), and it must be fair to the verdicts built on
it — a drill's deadline is a wall-clock time derived from the config, and an answer from a probe
that *began* after the deadline must not count (a slow reply or an overslept poll would otherwise
let an alert past its bound). Sixteen hand-written loops each got some of that right.

Built on tenacity, the retry library the design names: `retry` decides on the probe's answer
(or a tolerated exception), `stop` on the deadline, `wait` never sleeps past the deadline.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import tenacity

from alertdrill.errors import WaitTimeout

T = TypeVar("T")


@dataclass
class Waited(Generic[T]):
    """How a wait ended: the last answer, whether it was the awaited one, and how long it took."""

    what: str
    value: T | None = None
    met: bool = False
    waited_s: float = 0.0
    attempts: int = 0
    error: BaseException | None = None  # the last tolerated exception, when the last ask raised

    def last_seen(self) -> str:
        if self.error is not None:
            return f"{type(self.error).__name__}: {self.error}"
        return self.value if isinstance(self.value, str) else repr(self.value)

    def timeout(self, hint: str = "") -> WaitTimeout:
        """The error for a wait that ran out, naming what, how long and the last state."""
        text = f"{self.what}: not reached after {self.waited_s:.1f}s; last seen: {self.last_seen()}{hint}"
        return WaitTimeout(text, what=self.what, waited_s=self.waited_s, last_seen=self.last_seen())


_GAVE_UP = object()  # what the retrying returns when the deadline passed first


class _TooLate(Exception):
    """The next ask would begin after the deadline: it is not made."""


def poll(
    what: str,
    probe: Callable[[], T],
    *,
    poll_s: float,
    timeout_s: float | None = None,
    until: float | None = None,
    done: Callable[[T], bool] = bool,
    tolerate: tuple[type[BaseException], ...] = (),
    on_progress: Callable[[Waited[T]], None] | None = None,
    progress_every_s: float = 1.0,
) -> Waited[T]:
    """Ask `probe` every `poll_s` until `done(answer)`, or the deadline passes; never raises for time.

    The deadline is `until` (wall clock, `time.time()`) or `timeout_s` from now. Exceptions of a
    `tolerate` type are observation gaps (asked again); any other exception ends the wait and
    propagates — a probe that knows the wait is hopeless (a process that exited) says so by raising.
    `on_progress` is called about every `progress_every_s` while waiting, for a heartbeat line.
    """
    if (until is None) == (timeout_s is None):
        raise ValueError("poll() takes exactly one of until= and timeout_s=")
    deadline = until if until is not None else time.time() + (timeout_s or 0.0)
    started = time.monotonic()
    waited: Waited[T] = Waited(what)
    next_progress = started + progress_every_s

    def ask() -> T:
        if time.time() > deadline:
            raise _TooLate  # an answer to a question asked after the deadline must not count
        waited.attempts += 1
        try:
            value = probe()
        except tolerate as exc:
            waited.error = exc
            raise
        waited.value, waited.error = value, None
        return value

    def progress(_: tenacity.RetryCallState) -> None:
        nonlocal next_progress
        now = time.monotonic()
        if on_progress is not None and now >= next_progress:
            waited.waited_s = now - started
            on_progress(waited)
            next_progress = now + progress_every_s

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type((_TooLate, *tolerate)) | tenacity.retry_if_result(lambda v: not done(v)),
        stop=lambda _: time.time() >= deadline,
        wait=lambda _: max(0.0, min(poll_s, deadline - time.time())),
        before_sleep=progress,
        retry_error_callback=lambda _: _GAVE_UP,
        sleep=time.sleep,
    )
    value = retrying(ask)
    waited.waited_s = time.monotonic() - started
    waited.met = value is not _GAVE_UP  # tenacity returned the probe's own, awaited answer
    return waited


def wait_for(
    what: str,
    probe: Callable[[], T],
    *,
    poll_s: float,
    timeout_s: float | None = None,
    until: float | None = None,
    done: Callable[[T], bool] = bool,
    tolerate: tuple[type[BaseException], ...] = (),
    on_progress: Callable[[Waited[T]], None] | None = None,
    progress_every_s: float = 1.0,
    hint: str = "",
) -> T:
    """`poll`, returning the awaited answer or raising `WaitTimeout` (what, how long, last seen, hint)."""
    waited = poll(
        what,
        probe,
        poll_s=poll_s,
        timeout_s=timeout_s,
        until=until,
        done=done,
        tolerate=tolerate,
        on_progress=on_progress,
        progress_every_s=progress_every_s,
    )
    if not waited.met:
        raise waited.timeout(hint)
    return waited.value  # type: ignore[return-value]  # met: the probe's own answer


def sleep_until(wall_time: float) -> None:
    """A deliberate pause to a wall-clock moment (a quiet window's end), not a wait on a condition."""
    time.sleep(max(0.0, wall_time - time.time()))


def hold_until_interrupted() -> None:
    """Block until Ctrl-C (a kept stack, `alertdrill stack`): KeyboardInterrupt propagates."""
    while True:
        signal.pause()  # returns after any handled signal; only SIGINT ends the hold
