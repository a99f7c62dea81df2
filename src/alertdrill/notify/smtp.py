"""The SMTP sink: Alertmanager's real email integration delivers here, over STARTTLS.

Why one listener per receiver: the config under test keeps everything but its smarthost, so
nothing in a message says which receiver sent it; the port it arrived on does. All listeners
share one asyncio loop on one thread (aiosmtpd's protocol; no hand-written SMTP).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from alertdrill.runtime.loop_thread import LoopThread
from alertdrill.runtime.ports import LOOPBACK
from alertdrill.runtime.tlsca import RunCertificates

log = logging.getLogger(__name__)
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


@dataclass(frozen=True)
class Delivery:
    """One SMTP transaction as the sink accepted it."""

    receiver: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    arrived_at: float
    tls: bool


#: What a failing relay answers: a transient error (RFC 5321 4yz), which the sender must retry.
RELAY_FAILURE_REPLY = "451 4.3.0 relay unavailable (alertdrill fault: the mail relay fails)"


class _Handler:
    """aiosmtpd handler bound to one receiver."""

    def __init__(self, receiver: str, deliver: Callable[[Delivery], None], failing: Callable[[], bool]) -> None:
        self.receiver = receiver
        self.deliver = deliver
        self.failing = failing

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd
        if self.failing():
            return RELAY_FAILURE_REPLY
        raw = envelope.original_content or envelope.content or b""
        content = raw if isinstance(raw, bytes) else str(raw).encode()
        self.deliver(
            Delivery(
                receiver=self.receiver,
                mail_from=str(envelope.mail_from or ""),
                rcpt_tos=tuple(str(r) for r in envelope.rcpt_tos),
                content=content,
                arrived_at=time.time(),
                tls=session.ssl is not None,
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """SMTP listeners on `host`, one per receiver, opened on demand; a context manager."""

    def __init__(
        self, deliver: Callable[[Delivery], None], certs: RunCertificates | None, host: str = LOOPBACK
    ) -> None:
        self._deliver = deliver
        self._certs = certs
        self._host = host
        self._loop = LoopThread("smtp-sink")
        self._servers: dict[str, asyncio.Server] = {}
        self._held: list[socket.socket] = []
        self._refused: dict[str, int] = {}  # the listeners a "refuse" closed, reopened by heal()
        self.ports: dict[str, int] = {}
        #: The relay fault in force: None (healthy), "4xx" (answers 451) or "refuse" (not listening).
        self.failure: str | None = None

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._loop.start()

    def endpoint(self, receiver: str, port: int = 0) -> int:
        """The port `receiver`'s mail arrives on (a listener opened the first time it is asked for)."""
        if receiver in self.ports:
            return self.ports[receiver]
        server = self._loop.run(self._open(receiver, port))
        self._servers[receiver] = server
        self.ports[receiver] = int(server.sockets[0].getsockname()[1])
        log.debug("SMTP sink for %s on %s:%d", receiver, self._host, self.ports[receiver])
        return self.ports[receiver]

    async def _open(self, receiver: str, port: int) -> asyncio.Server:
        handler = _Handler(receiver, self._deliver, lambda: self.failure == "4xx")
        kwargs: dict[str, Any] = {"hostname": "alertdrill-sink", "ident": "alertdrill SMTP sink"}
        if self._certs is not None:
            kwargs |= {"tls_context": self._certs.server_context(), "require_starttls": False}
        loop = asyncio.get_running_loop()
        # reuse_port: a refused relay's port is held by a bound socket that shares it (see fail)
        return await loop.create_server(lambda: SMTP(handler, **kwargs), self._host, port, reuse_port=True)

    def fail(self, mode: str) -> None:
        """The relay fails until `heal()`: "4xx" answers every message with a transient error;
        "refuse" stops listening, so every connection is refused (the ports are kept)."""
        if mode not in ("4xx", "refuse"):
            raise ValueError(f"unknown relay failure {mode!r}: 4xx or refuse")
        if mode == "refuse" and self.failure != "refuse":  # refusing already: nothing more to close
            try:
                self._refused = dict(self.ports)  # a receiver opened meanwhile listens already
                for port in self._refused.values():
                    self._held.append(self._hold(port))
                self._loop.run(self._close_listeners())
            except BaseException:
                self._release_held()  # not in force: nothing stays held
                raise
        self.failure = mode  # only once in force: a close that failed leaves the relay healthy

    def _hold(self, port: int) -> socket.socket:
        """A socket bound to `port` and never listening: a connection to it is refused, as to a
        closed port, but no one else can bind the port meanwhile. Why: a port merely closed was
        taken during the fault as the source port of some outgoing connection (it lies in the
        kernel's ephemeral range), so the heal could not reopen it (seen in CI: EADDRINUSE).
        SO_REUSEPORT without SO_REUSEADDR lets only a socket of the same user with SO_REUSEPORT
        share it: our own listener at the heal (Prometheus and Alertmanager never set it)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((self._host, port))
        except OSError:
            sock.close()
            raise
        return sock

    def heal(self) -> None:
        """Accept mail again, on the same ports the senders were configured with."""
        was, self.failure = self.failure, None
        if was == "refuse":
            for receiver, port in self._refused.items():
                self._servers[receiver] = self._loop.run(self._open(receiver, port))
            self._release_held()

    def _release_held(self) -> None:
        for sock in self._held:
            sock.close()
        self._held = []

    async def _close_listeners(self) -> None:
        for server in self._servers.values():
            server.close()
            await server.wait_closed()

    def stop(self) -> None:
        try:
            self._loop.stop(last=self._close_listeners() if self._loop.running else None)
        finally:
            self._servers.clear()
            self._release_held()
