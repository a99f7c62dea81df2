"""The one wait: what it returns, what it says when it runs out, and that late answers never count."""

from __future__ import annotations

import itertools
import time

import pytest

from alertdrill.errors import ObserveError, WaitTimeout
from alertdrill.runtime.wait import poll, wait_for


def test_returns_the_first_answer_that_is_done() -> None:
    answers = iter([0, 0, 3, 4])
    assert wait_for("a count above zero", lambda: next(answers), poll_s=0.001, timeout_s=5) == 3


def test_a_wait_that_runs_out_says_what_how_long_and_the_last_answer() -> None:
    counter = itertools.count()
    with pytest.raises(WaitTimeout) as caught:
        wait_for("the queue drained", lambda: next(counter), done=lambda n: n < 0, poll_s=0.01, timeout_s=0.1)
    err = caught.value
    assert err.what == "the queue drained"
    assert err.waited_s is not None and err.waited_s >= 0.1
    assert "the queue drained: not reached after" in str(err)
    assert err.last_seen.isdigit()  # the counter's last value (how many asks fit depends on the machine)


def test_tolerated_errors_are_asked_again_and_shown_as_the_last_state() -> None:
    calls = itertools.count()

    def flaky() -> bool:
        if next(calls) < 2:
            raise ObserveError("connection refused")
        return True

    assert wait_for("Prometheus answers", flaky, poll_s=0.001, timeout_s=5, tolerate=(ObserveError,))

    def down() -> bool:
        raise ObserveError("connection refused")

    with pytest.raises(WaitTimeout, match="last seen: ObserveError: connection refused"):
        wait_for("Prometheus answers", down, poll_s=0.01, timeout_s=0.05, tolerate=(ObserveError,))


def test_other_errors_end_the_wait_at_once() -> None:
    def exited() -> bool:
        raise RuntimeError("the server exited with code 1")

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="exited"):
        wait_for("server ready", exited, poll_s=0.01, timeout_s=10)
    assert time.monotonic() - started < 5


def test_an_answer_asked_for_after_the_deadline_does_not_count() -> None:
    """The first ask is slow and ends past the deadline; a second ask (which would say yes) must
    not be made: a drill's bound would otherwise stretch by the probe's own lateness."""
    asked: list[float] = []

    def slow_then_yes() -> bool:
        asked.append(time.time())
        if len(asked) == 1:
            time.sleep(0.15)
            return False
        return True

    waited = poll("alert firing", slow_then_yes, poll_s=0.01, until=time.time() + 0.05)
    assert not waited.met
    assert len(asked) == 1


def test_an_oversleeping_machine_cannot_sneak_an_answer_past_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy machine wakes the waiter late: the next ask would begin after the deadline, so it is
    not made, even though it would have said yes."""
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda s: real_sleep(s + 0.2))
    answers = iter([False, True, True])
    waited = poll("alert firing", lambda: next(answers), poll_s=0.01, until=time.time() + 0.1)
    assert not waited.met and waited.attempts == 1


def test_a_deadline_already_past_asks_nothing() -> None:
    asked: list[float] = []
    waited = poll("alert inactive", lambda: asked.append(1) or True, poll_s=0.01, until=time.time() - 1)
    assert not waited.met and asked == []


def test_a_probe_whose_awaited_answer_is_none_is_met() -> None:
    """The health wait's probe answers None when healthy: None can be the awaited answer."""
    assert poll("healthy", lambda: None, done=lambda state: state is None, poll_s=0.01, timeout_s=1).met


def test_progress_is_reported_while_waiting() -> None:
    seen: list[float] = []
    poll(
        "never",
        lambda: False,
        poll_s=0.01,
        timeout_s=0.2,
        on_progress=lambda w: seen.append(w.waited_s),
        progress_every_s=0.05,
    )
    assert len(seen) >= 2 and seen == sorted(seen)


def test_exactly_one_deadline_is_required() -> None:
    with pytest.raises(ValueError):
        poll("x", lambda: True, poll_s=0.1)
