"""The network link from Prometheus to an Alertmanager, as a TCP relay the drills can cut.

Why a relay and not a refused port: a real partition drops packets, so the sender waits out its
timeout (Prometheus: 10 s per Alertmanager) instead of failing fast; a stopped Alertmanager or a
closed port refuses at once, which is a different, kinder failure. While the link is cut the
relay moves no byte either way and answers nothing, so every send hangs until Prometheus gives
up. One difference from dropped packets, stated: the kernel still completes the TCP handshake
(connect succeeds, the request then hangs); Prometheus' HTTP send has one timeout for both.
When the link heals, the connections held across the cut are closed (as the timed-out sender
has done) and new ones flow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from alertdrill.runtime.loop_thread import LoopThread
from alertdrill.runtime.ports import LOOPBACK

log = logging.getLogger(__name__)
CHUNK = 65536


class LinkRelay:
    """127.0.0.1:`port` → 127.0.0.1:`target_port`; `cut()` and `heal()`; a context manager."""

    def __init__(self, name: str, target_port: int, port: int = 0) -> None:
        self.name = name
        self.target_port = target_port
        self.port = port
        self._loop = LoopThread(f"link-{name}")
        self._server: asyncio.Server | None = None
        self._flowing: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> LinkRelay:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._loop.start()
        try:
            self._loop.run(self._listen())
        except BaseException:
            self._loop.stop()  # `with` never reaches __exit__ when __enter__ raises
            raise

    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._serve, LOOPBACK, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(LOOPBACK, self.target_port)
        except OSError:
            writer.close()  # the Alertmanager itself is down: refuse, as it would
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._writers.discard(w)
                w.close()

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        assert self._flowing is not None
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            while data := await src.read(CHUNK):
                await self._flowing.wait()  # a cut holds every byte: the sender waits out its timeout
                dst.write(data)
                await dst.drain()
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            dst.close()

    def cut(self) -> None:
        """From now on nothing passes either way, and nothing is refused."""
        self._loop.run(self._set_flowing(False))
        log.info("link %s cut", self.name)

    def heal(self) -> None:
        """Connections held across the cut are closed; new ones flow."""
        self._loop.run(self._set_flowing(True))
        log.info("link %s healed", self.name)

    async def _set_flowing(self, flowing: bool) -> None:
        assert self._flowing is not None
        if flowing:
            for w in list(self._writers):
                w.close()
            self._writers.clear()
            self._flowing.set()
        else:
            self._flowing.clear()

    def stop(self) -> None:
        self._loop.stop(last=self._close() if self._loop.running else None)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for w in list(self._writers):
            w.close()
        if self._flowing is not None:
            self._flowing.set()  # release held pumps so their tasks end
