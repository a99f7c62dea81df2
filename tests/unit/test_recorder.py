import threading
import time

import httpx

from alertdrill.notify.recorder import NotificationRecorder

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
        start = time.monotonic()
        assert recorder.wait_for(lambda ns: len(ns) == 1, timeout=5)
        assert time.monotonic() - start < 1.0  # woken by the arrival, not by a poll interval
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
