"""An asyncio event loop on its own daemon thread, for the listeners the runner serves while the
drill's own thread waits (the SMTP sink, the link relay): asyncio's servers, no hand-written
socket loops, and one shutdown path for all of them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from alertdrill.runtime.timeouts import TIMEOUTS

log = logging.getLogger(__name__)
T = TypeVar("T")


class LoopThread:
    """start() → run(coro) from any thread → stop(last=coro) (idempotent)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._loop is not None

    def start(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=self.name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = TIMEOUTS.listener_open) -> T:
        """Run `coro` on the loop and wait for its result."""
        if self._loop is None:
            coro.close()
            raise RuntimeError(f"{self.name} not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=timeout)

    def stop(self, last: Coroutine[Any, Any, None] | None = None) -> None:
        """Run `last` (closing the listeners), then stop the loop and its thread."""
        loop, self._loop = self._loop, None
        if loop is None:
            if last is not None:
                last.close()
            return
        for coro in (last, _cancel_the_rest()):
            if coro is None:
                continue
            try:
                asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=TIMEOUTS.listener_close)
            except (TimeoutError, RuntimeError) as exc:
                log.debug("%s close: %s", self.name, exc)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUTS.thread_join)
        with contextlib.suppress(RuntimeError):
            loop.close()


async def _cancel_the_rest() -> None:
    """Every task still on the loop (a connection's pumps, a session) cancelled and awaited."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
