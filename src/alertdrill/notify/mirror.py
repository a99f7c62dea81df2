"""Mirror the in-cluster recorder into the runner's recorder.

On Kubernetes, Alertmanager posts to a recorder pod (it cannot reach the runner). The runner
polls that pod's `GET /notifications?after=N` every quarter second and ingests each message with
the arrival time the pod stamped on it, so a drill's timing is the pod's, not the poll's.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

import httpx

from alertdrill.notify.message import message_from_json
from alertdrill.notify.recorder import NotificationRecorder
from alertdrill.runtime.timeouts import TIMEOUTS

log = logging.getLogger(__name__)


class RecorderMirror:
    """A daemon thread copying remote notifications into `local`; a context manager."""

    def __init__(self, remote_url: str, local: NotificationRecorder, interval_s: float = 0.25) -> None:
        self.remote_url = remote_url.rstrip("/")
        self.local = local
        self.interval_s = interval_s
        self.next_index = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RecorderMirror:
        self._thread = threading.Thread(target=self._loop, name="recorder-mirror", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUTS.thread_join)

    def poll_once(self, client: httpx.Client) -> int:
        """Fetch and ingest what arrived since the last poll; returns how many payloads."""
        resp = client.get(f"{self.remote_url}/notifications", params={"after": self.next_index})
        resp.raise_for_status()
        data = resp.json()
        for item in data["items"]:
            self.local.ingest(message_from_json(item))
        self.next_index = int(data["next"])
        return len(data["items"])

    def _loop(self) -> None:
        with httpx.Client(timeout=TIMEOUTS.webhook_mirror_request) as client:
            while not self._stop.is_set():
                try:
                    self.poll_once(client)
                except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                    self.errors += 1
                    if self.errors in (1, 10, 100):
                        log.warning("recorder mirror: %s unreachable (%s); retrying", self.remote_url, exc)
                self._stop.wait(self.interval_s)
