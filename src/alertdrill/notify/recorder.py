"""The notification recorder: the sinks every redirected integration delivers to.

Email arrives over SMTP (alertdrill.notify.smtp), HTTP integrations POST to
`/receiver/<name>/<integration>` and get the answer their real API gives. It runs inside the
runner process so that a waiting drill is woken the moment a message arrives (push, not poll):
the arrival time is the drill's measurement of "the page went out". On Kubernetes the same
recorder runs as a pod (`python -m alertdrill.notify.recorder`), keeps the messages with their
arrival times, and serves them at `GET /notifications?after=N` for the runner's mirror.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from alertdrill.notify.heartbeat import HeartbeatService, HeartbeatSpec
from alertdrill.notify.integrations import KINDS, from_http, reply_for
from alertdrill.notify.message import Message, from_email, message_to_json
from alertdrill.notify.smtp import Delivery, SmtpSink
from alertdrill.notify.webhook import Notification, notifications_of
from alertdrill.runtime.ports import LOOPBACK, claim_port
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.tlsca import RunCertificates

log = logging.getLogger(__name__)


class NotificationRecorder:
    """An HTTP server and an SMTP sink on `host`, recording every message; a context manager."""

    def __init__(self, port: int | None = None, host: str = LOOPBACK, certs: RunCertificates | None = None) -> None:
        self._requested_port = port
        self._host = host
        self.certs = certs
        self._lock = threading.Condition()
        self._items: list[Notification] = []
        self._messages: list[Message] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._smtp: SmtpSink | None = None
        self._heartbeats: dict[str, HeartbeatService] = {}
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

    def smtp_port(self, receiver: str, port: int = 0) -> int:
        """The port `receiver`'s email arrives on (its listener opened on first use)."""
        if self._smtp is None:
            raise RuntimeError("recorder not started")
        return self._smtp.endpoint(receiver, port)

    @property
    def relay(self) -> SmtpSink:
        """The SMTP sink, as the mail relay the pipeline faults act on."""
        if self._smtp is None:
            raise RuntimeError("recorder not started")
        return self._smtp

    def start(self) -> None:
        port = claim_port("recorder", self._requested_port)
        self._server = ThreadingHTTPServer((self._host, port), _handler_for(self))
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="recorder", daemon=True)
        self._thread.start()
        self._smtp = SmtpSink(self._deliver_email, self.certs, self._host)
        self._smtp.start()
        log.debug("recorder listening on %s", self.url)

    def serve_heartbeat(self, spec: HeartbeatSpec) -> None:
        """Play the external heartbeat service for `spec.receiver`: its messages are pings."""
        if spec.receiver in self._heartbeats:
            raise ValueError(f"a heartbeat service already watches receiver {spec.receiver!r}")
        service = HeartbeatService(spec, self.ingest)
        self._heartbeats[spec.receiver] = service
        service.start()

    def stop(self) -> None:
        for service in self._heartbeats.values():
            service.stop()
        self._heartbeats.clear()
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.stop()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUTS.thread_join)
            self._thread = None

    def _deliver_email(self, d: Delivery) -> None:
        try:
            message = from_email(d.receiver, "email", d.content, (d.mail_from, d.rcpt_tos), d.arrived_at, d.tls)
        except (ValueError, LookupError) as exc:  # a message Python cannot parse is still a delivery
            log.warning("email to %s could not be parsed: %s", d.rcpt_tos, exc)
            message = Message(d.receiver, "email", "email", d.arrived_at, "", d.rcpt_tos, d.mail_from, tls=d.tls)
        self.ingest(message)

    def raw_since(self, after: int) -> dict[str, Any]:
        """Messages from index `after` on (as JSON-able dicts), and the index to ask from next time."""
        with self._lock:
            return {"next": len(self._messages), "items": [message_to_json(m) for m in self._messages[after:]]}

    def ingest(self, message: Message) -> None:
        """Record one delivered message (here, or at the in-cluster recorder) and wake waiters."""
        new = notifications_of(message)
        with self._lock:
            self._messages.append(message)
            self._items.extend(new)
            self._lock.notify_all()
        service = self._heartbeats.get(message.receiver)
        if service is not None:
            service.ping(message.arrived_at)
        log.debug("%s %s message -> %s %s", message.status, message.kind, message.receiver, list(message.recipients))

    def messages(self, since: float = 0.0) -> list[Message]:
        with self._lock:
            return [m for m in self._messages if m.arrived_at >= since]

    def notifications(self, since: float = 0.0) -> list[Notification]:
        with self._lock:
            return [n for n in self._items if n.arrived_at >= since]

    def _settled(self, predicate: Callable[[list[Notification]], bool], since: float, deadline: float) -> bool:
        """With the lock held: wait up to the settle time for a message stamped by `deadline`."""
        end = time.monotonic() + TIMEOUTS.ingest_settle
        while True:
            if predicate([n for n in self._items if since <= n.arrived_at <= deadline]):
                return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            self._lock.wait(left)

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
        A message is stamped when it arrived but handed over a moment later (an SMTP session ends,
        a busy machine schedules the handler late): after the timeout, for `TIMEOUTS.ingest_settle`,
        a message stamped by the deadline still counts, and one stamped after it never does.
        """
        start = time.monotonic()
        deadline_wall = time.time() + timeout
        next_tick = start + tick
        with self._lock:
            while True:
                if predicate([n for n in self._items if n.arrived_at >= since]):
                    return True
                now = time.monotonic()
                if now - start >= timeout:
                    return self._settled(predicate, since, deadline_wall)
                if on_tick is not None and now >= next_tick:
                    self._lock.release()
                    try:
                        on_tick(now - start)
                    finally:
                        self._lock.acquire()
                    next_tick = now + tick
                self._lock.wait(min(timeout - (now - start), max(next_tick - now, 0.01)))


def _route(path: str) -> tuple[str, str, str] | None:
    """`/receiver/<name>/<integration>[/rest]` (or the older `?integration=`) → (name, integration, rest)."""
    parsed = urlparse(path)
    parts = parsed.path.strip("/").split("/")
    if len(parts) < 2 or parts[0] != "receiver":
        return None
    integration = parts[2] if len(parts) > 2 else parse_qs(parsed.query).get("integration", ["webhook-0"])[0]
    return unquote(parts[1]), integration, "/".join(parts[3:])


def _kind(integration: str) -> str:
    if integration.startswith("stand-in-"):
        return "stand-in"
    kind = integration.rsplit("-", 1)[0]
    return kind if kind in KINDS else "webhook"


#: Where a cluster run switches the in-cluster recorder's SMTP listeners into a failing relay.
RELAY_ADMIN_PATH = "/admin/relay"


def _handler_for(recorder: NotificationRecorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            arrived = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            if self.path == RELAY_ADMIN_PATH:
                self._relay(body)
                return
            route = _route(self.path)
            if route is None:
                self.send_error(404, "POST /receiver/<name>/<integration>")
                return
            try:
                payload = json.loads(body)
            except ValueError:
                self.send_error(400, "body is not JSON")
                return
            receiver, integration, rest = route
            kind = _kind(integration)
            recorder.ingest(from_http(receiver, integration, kind, rest, payload, arrived))
            reply = reply_for(kind, payload)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def _relay(self, body: bytes) -> None:
            """The mail relay fault of a cluster run: {"mode": "4xx" | "refuse" | null (heal)}."""
            try:
                mode = json.loads(body or b"{}").get("mode")
                if mode:
                    recorder.relay.fail(mode)
                else:
                    recorder.relay.heal()
            except (ValueError, AttributeError) as exc:
                self.send_error(400, f'{{"mode": "4xx" | "refuse" | null}}: {exc}')
                return
            self.send_response(204)
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

    return Handler


def main() -> None:
    """Serve a recorder until SIGTERM/SIGINT: the in-cluster recorder pod's entry point."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description="alertdrill notification recorder")
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tls-dir", type=Path, help="directory with sink.pem and sink.key (STARTTLS)")
    parser.add_argument(
        "--heartbeat", action="append", default=[], metavar="JSON", help="play a heartbeat service (HeartbeatSpec)"
    )
    parser.add_argument(
        "--smtp", action="append", default=[], metavar="RECEIVER=PORT", help="an SMTP listener per receiver"
    )
    args = parser.parse_args()
    certs = None
    if args.tls_dir:
        certs = RunCertificates(args.tls_dir / "ca.pem", args.tls_dir / "sink.pem", args.tls_dir / "sink.key")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with NotificationRecorder(args.port, host=args.host, certs=certs) as recorder:
        for spec in args.smtp:
            receiver, _, port = spec.rpartition("=")
            recorder.smtp_port(receiver, int(port))
        for spec in args.heartbeat:
            recorder.serve_heartbeat(HeartbeatSpec.from_arg(spec))
        log.info("recorder listening on %s:%d, SMTP %s", args.host, recorder.port, args.smtp)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
