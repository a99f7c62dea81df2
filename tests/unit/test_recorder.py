import threading
import time

import httpx

from alertdrill.notify.recorder import NotificationRecorder
from alertdrill.notify.webhook import Notification

PAYLOAD = {
    "version": "4",
    "status": "firing",
    "receiver": "critical-oncall",
    "groupKey": "g",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "ServiceDown", "job": "bff"},
            "startsAt": "2026-11-26T22:40:23Z",
            "endsAt": "0001-01-01T00:00:00Z",
        }
    ],
}


def test_records_a_real_webhook_post_and_wakes_the_waiter() -> None:
    with NotificationRecorder() as recorder:

        def post() -> None:
            time.sleep(0.3)
            httpx.post(
                f"{recorder.url}/receiver/critical-oncall?integration=email-0", json=PAYLOAD, timeout=2
            ).raise_for_status()

        threading.Thread(target=post).start()
        checks: list[int] = []

        def one_arrived(ns: list[Notification]) -> bool:
            checks.append(len(ns))
            return len(ns) == 1

        # Woken by the arrival, not by polling: with no progress tick due, the predicate is asked
        # once before and once per arrival (a poll would ask it again and again). No timed assert:
        # the POST's own latency on a busy machine does not matter.
        assert recorder.wait_for(one_arrived, timeout=30, tick=60)
        assert checks == [0, 1]
        (n,) = recorder.notifications()
        assert (n.receiver, n.integration, n.status) == ("critical-oncall", "email-0", "firing")
        assert n.matches("ServiceDown", {"job": "bff"}) and not n.matches("ServiceDown", {"job": "x"})
        assert n.ends_at is None


def test_wait_for_times_out_and_calls_progress() -> None:
    ticks: list[float] = []
    with NotificationRecorder() as recorder:
        assert not recorder.wait_for(lambda ns: bool(ns), timeout=0.35, tick=0.1, on_tick=ticks.append)
    assert len(ticks) >= 2


def test_unknown_path_is_rejected() -> None:
    with NotificationRecorder() as recorder:
        assert httpx.post(f"{recorder.url}/nope", json={}, timeout=2).status_code == 404
        assert recorder.notifications() == []
