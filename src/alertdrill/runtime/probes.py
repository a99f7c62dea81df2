"""HTTP readiness probes and command lines for Python entry points: what a started process is
judged by, shared by the local servers, the local pods and the kube port-forwards."""

from __future__ import annotations

import sys
from collections.abc import Callable

import httpx

PROBE_TIMEOUT_S = 0.5


def http_ok(url: str) -> Callable[[], bool]:
    """A readiness check: GET `url` answers 2xx (False while it cannot be reached)."""

    def check() -> bool:
        try:
            return httpx.get(url, timeout=PROBE_TIMEOUT_S).is_success
        except httpx.HTTPError:
            return False

    return check


def python_module(module: str, *args: str) -> list[str]:
    """`python -m module args...` with this interpreter (the venv's, so our packages import)."""
    return [sys.executable, "-m", module, *args]
