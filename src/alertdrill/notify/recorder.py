"""The notification recorder: the HTTP sink every redirected receiver posts to.

It runs inside the runner process so that a waiting drill is woken the moment a notification
arrives (push, not poll): the arrival time is the drill's measurement of "the page went out".
On Kubernetes the same recorder runs as a pod (`python -m alertdrill.notify.recorder`), keeps
the raw payloads with their arrival times, and serves them at `GET /notifications?after=N` for
the runner's mirror (alertdrill.notify.mirror).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from alertdrill.notify.webhook import Notification, from_webhook
from alertdrill.runtime.ports import LOOPBACK, claim_port

log = logging.getLogger(__name__)


class NotificationRecorder:
    """An HTTP server on 127.0.0.1 recording every webhook; a context manager."""

    def __init__(self, port: int | None = None, host: str = LOOPBACK) -> None:
        self._requested_port = port
        self._host = host
        self._lock = threading.Condition()
        self._items: list[Notification] = []
        self._raw: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> NotificationRecorder:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                arrived = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                parsed = urlparse(self.path)
                parts = parsed.path.strip("/").split("/")
                if len(parts) != 2 or parts[0] != "receiver":
                    self.send_error(404, "POST /receiver/<name>")
                    return
                integration = parse_qs(parsed.query).get("integration", [""])[0]
                try:
                    payload = json.loads(body)
                except ValueError:
                    self.send_error(400, "body is not JSON")
                    return
                recorder.ingest(unquote(parts[1]), integration, payload, arrived)
                self.send_response(200)
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parsed = urlparse(self.path)
                if parsed.path == "/-/healthy":
                    body = b"ok"
                elif parsed.path == "/notifications":
                    after = parse_qs(parsed.query).get("after", ["0"])[0]
                    body = json.dumps(recorder.raw_since(int(after) if after.isdigit() else 0)).encode()
                else:
                    self.send_error(404, "GET /notifications?after=N or /-/healthy")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("recorder: " + format, *args)

        port = claim_port("recorder", self._requested_port)
        self._server = ThreadingHTTPServer((self._host, port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="recorder", daemon=True)
        self._thread.start()
        log.debug("recorder listening on %s", self.url)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def raw_since(self, after: int) -> dict[str, Any]:
        """Raw payloads from index `after` on, and the index to ask from next time."""
        with self._lock:
            return {"next": len(self._raw), "items": self._raw[after:]}

    def ingest(self, receiver: str, integration: str, payload: dict[str, Any], arrived: float) -> None:
        """Record one webhook POST as it arrived (here, or at the in-cluster recorder)."""
        with self._lock:
            self._raw.append(
                {"receiver": receiver, "integration": integration, "payload": payload, "arrived_at": arrived}
            )
        new = from_webhook(receiver, integration, payload, arrived)
        with self._lock:
            self._items.extend(new)
            self._lock.notify_all()
        for n in new:
            log.debug("notification %s %s -> %s", n.status, n.alertname, receiver)

    def notifications(self, since: float = 0.0) -> list[Notification]:
        with self._lock:
            return [n for n in self._items if n.arrived_at >= since]

    def wait_for(
        self,
        predicate: Callable[[list[Notification]], bool],
        timeout: float,
        since: float = 0.0,
        tick: float = 1.0,
        on_tick: Callable[[float], None] | None = None,
    ) -> bool:
        """Block until `predicate(notifications since)` holds or `timeout` passes.

        Wakes on every arrival; `on_tick(elapsed)` runs about every `tick` seconds for progress.
        """
        start = time.monotonic()
        next_tick = start + tick
        with self._lock:
            while True:
                if predicate([n for n in self._items if n.arrived_at >= since]):
                    return True
                now = time.monotonic()
                if now - start >= timeout:
                    return False
                if on_tick is not None and now >= next_tick:
                    self._lock.release()
                    try:
                        on_tick(now - start)
                    finally:
                        self._lock.acquire()
                    next_tick = now + tick
                self._lock.wait(min(timeout - (now - start), max(next_tick - now, 0.01)))


def main() -> None:
    """Serve a recorder until SIGTERM/SIGINT: the in-cluster recorder pod's entry point."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description="alertdrill notification recorder")
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with NotificationRecorder(args.port, host=args.host) as recorder:
        log.info("recorder listening on %s:%d", args.host, recorder.port)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
