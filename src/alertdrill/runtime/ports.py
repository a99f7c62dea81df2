"""Free and requested ports on 127.0.0.1."""

from __future__ import annotations

import fcntl
import logging
import socket
import tempfile
import zlib
from pathlib import Path
from typing import IO

from alertdrill.errors import PortInUseError

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Ask the kernel for a free loopback port; the caller binds it soon after."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class PortAllocator:
    """Hands out distinct loopback ports for one stack.

    Why: a port from `free_port()` is released before its server binds it, so two quick calls can
    return the same port (seen: both workers given one port, one crash-looping). Remembering
    what was handed out makes every port of the stack distinct.
    """

    def __init__(self, block: range | None = None) -> None:
        self._given: set[int] = set()
        self.block = block

    def reserve(self, port: int) -> None:
        """A port already bound elsewhere in the stack: never hand it out."""
        self._given.add(port)

    def claim(self, name: str, requested: int | None = None) -> int:
        if requested is not None:
            port = claim_port(name, requested)
        elif self.block is not None:
            port = next((p for p in self.block if p not in self._given and is_port_free(p)), 0)
            if not port:
                raise PortInUseError(f"no free port left in {self.block.start}-{self.block.stop - 1} for {name}")
        else:
            port = free_port()
            while port in self._given:
                port = free_port()
        self._given.add(port)
        return port


#: Parallel workers take their ports from blocks below Linux's ephemeral range (32768-60999 by
#: default), where the kernel never picks a port for bind(0) or an outgoing connection. Why: six
#: stacks starting at once, each handing `free_port()` answers to servers that bind a moment
#: later, collide (two workers given one port, or a port taken by another stack's scrape as its
#: source port): seen as a server that cannot bind. A block per worker, offset per run, cannot.
#: A serial run is worker 0: a server it restarts mid-drill rebinds its port after an outage.
PORT_BLOCKS_START, PORT_BLOCK_SIZE, PORT_BLOCKS = 20000, 50, 240
#: One lock file per block, machine-wide: a stack holds its block's lock (flock) while it runs,
#: and the kernel drops it when the process dies, so a SIGKILLed run holds nothing.
LEASE_DIR = Path(tempfile.gettempdir()) / "alertdrill-port-blocks"


def worker_port_block(run_id: str, worker: str) -> range:
    """The ports of worker `gwN` of run `run_id`: distinct from every other worker of the run,
    and (by the run's hash) most likely from another run's on the same machine."""
    return _block(_block_index(run_id, worker))


def _block_index(run_id: str, worker: str) -> int:
    n = int("".join(c for c in worker if c.isdigit()) or 0)
    return ((zlib.crc32(run_id.encode()) % PORT_BLOCKS) + n) % PORT_BLOCKS


def _block(index: int) -> range:
    start = PORT_BLOCKS_START + index * PORT_BLOCK_SIZE
    return range(start, start + PORT_BLOCK_SIZE)


class PortBlockLease:
    """A port block this process holds until `release()` (or its death): no other alertdrill
    stack on the machine is handed it meanwhile."""

    def __init__(self, block: range, lock: IO[str] | None) -> None:
        self.block = block
        self._lock = lock

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file drops its flock
            self._lock = None


def lease_port_block(run_id: str, worker: str) -> PortBlockLease:
    """Worker `worker`'s block of run `run_id`, or the next one no live stack holds. Why a lease:
    hashed blocks of two runs started at once can coincide (seen: one run's gw0 block was the
    other's gw1, and NATS could not bind its monitor port)."""
    first = _block_index(run_id, worker)
    try:
        LEASE_DIR.mkdir(mode=0o777, exist_ok=True)
        for k in range(PORT_BLOCKS):
            index = (first + k) % PORT_BLOCKS
            lock = open(LEASE_DIR / f"{index}.lock", "a")  # noqa: SIM115 - held open: the lease
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            return PortBlockLease(_block(index), lock)
    except OSError as exc:  # no shared lock directory: the hashed block, as before
        log.warning("port blocks cannot be leased (%s): %s's block is taken unleased", exc, worker)
        return PortBlockLease(_block(first), None)
    raise PortInUseError(
        f"every one of the {PORT_BLOCKS} port blocks ({PORT_BLOCKS_START}-"
        f"{PORT_BLOCKS_START + PORT_BLOCKS * PORT_BLOCK_SIZE - 1}) is held by a running alertdrill stack; "
        "stop some, or run with fewer --parallel stacks"
    )


def is_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def claim_port(name: str, requested: int | None) -> int:
    """Return the requested port if free (else PortInUseError naming the fix), or a free one."""
    if requested is None:
        return free_port()
    if not is_port_free(requested):
        raise PortInUseError(
            f"port {requested} for {name} on {LOOPBACK} is already in use; stop whatever "
            f"listens there (`ss -ltnp 'sport = :{requested}'`) or drop --port {name}={requested} "
            "to let alertdrill pick a free port"
        )
    return requested
