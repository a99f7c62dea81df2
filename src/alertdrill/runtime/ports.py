"""Free and requested ports on 127.0.0.1."""

from __future__ import annotations

import socket

from alertdrill.errors import PortInUseError

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

    def __init__(self) -> None:
        self._given: set[int] = set()

    def reserve(self, port: int) -> None:
        """A port already bound elsewhere in the stack: never hand it out."""
        self._given.add(port)

    def claim(self, name: str, requested: int | None = None) -> int:
        if requested is not None:
            port = claim_port(name, requested)
        else:
            port = free_port()
            while port in self._given:
                port = free_port()
        self._given.add(port)
        return port


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
