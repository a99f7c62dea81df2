"""The in-cluster recorder (its real entry point, as the pod runs it) mirrored into the runner's
recorder: what Alertmanager posts there is what a drill sees here, with the pod's arrival time."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from alertdrill.notify.mirror import RecorderMirror
from alertdrill.notify.recorder import NotificationRecorder
from alertdrill.runtime.ports import free_port
from alertdrill.runtime.wait import wait_for

PAYLOAD = {
    "version": "4",
    "status": "firing",
    "receiver": "critical-oncall",
    "groupKey": "g",
    "alerts": [
        {"status": "firing", "labels": {"alertname": "ServiceDown", "job": "bff"}, "startsAt": "2026-11-27T01:00:00Z"}
    ],
}


def wait_healthy(url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/-/healthy", timeout=0.5).is_success:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError(f"recorder at {url} never became healthy")


def test_pod_entry_point_records_and_the_mirror_copies_with_the_pod_arrival_time() -> None:
    port = free_port()
    pod = subprocess.Popen(
        [sys.executable, "-m", "alertdrill.workload", "recorder", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url)
        local = NotificationRecorder()  # never started: fed by the mirror only
        with RecorderMirror(url, local, interval_s=0.05):
            posted_at = time.time()
            httpx.post(
                f"{url}/receiver/critical-oncall?integration=webhook-0", json=PAYLOAD, timeout=2
            ).raise_for_status()
            assert local.wait_for(lambda ns: len(ns) == 1, timeout=5)
            httpx.post(f"{url}/receiver/high-oncall?integration=webhook-0", json=PAYLOAD, timeout=2).raise_for_status()
            assert local.wait_for(lambda ns: len(ns) == 2, timeout=5)
        first, second = local.notifications()
        assert (first.receiver, first.alertname, first.labels["job"]) == ("critical-oncall", "ServiceDown", "bff")
        assert second.receiver == "high-oncall"
        assert posted_at - 0.5 <= first.arrived_at <= posted_at + 1.0  # stamped by the pod on arrival
        # Nothing is copied twice: the mirror asks only for what came after its last poll.
        assert len(httpx.get(f"{url}/notifications", params={"after": 2}).json()["items"]) == 0
    finally:
        pod.terminate()
        assert pod.wait(timeout=10) == 0  # SIGTERM: a clean stop, as on pod deletion


def test_mirror_survives_an_unreachable_recorder() -> None:
    local = NotificationRecorder()
    mirror = RecorderMirror(f"http://127.0.0.1:{free_port()}", local, interval_s=0.05)
    with mirror:  # it keeps asking: a busy machine may fit few polls in a given time, so wait for two
        wait_for("two failed polls", lambda: mirror.errors >= 2, poll_s=0.01, timeout_s=10)
    assert local.notifications() == []
