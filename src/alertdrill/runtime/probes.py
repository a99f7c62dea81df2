"""HTTP readiness probes and command lines for Python entry points: what a started process is
judged by, shared by the local servers, the local pods and the kube port-forwards."""

from __future__ import annotations

import sys
from collections.abc import Callable

import httpx

from alertdrill.runtime.timeouts import TIMEOUTS


def http_ok(url: str) -> Callable[[], bool]:
    """A readiness check: GET `url` answers 2xx (False while it cannot be reached)."""

    def check() -> bool:
        try:
            return httpx.get(url, timeout=TIMEOUTS.readiness_probe).is_success
        except httpx.HTTPError:
            return False

    return check


def python_module(module: str, *args: str) -> list[str]:
    """`python -m module args...` with this interpreter (the venv's, so our packages import)."""
    return [sys.executable, "-m", module, *args]
