"""Small pieces the workload processes share: loopback checks and argument helpers."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def require_loopback(url: str) -> str:
    """Refuse any target that is not this machine: load and chaos stay on 127.0.0.1."""
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise SystemExit(f"refusing non-loopback target {url!r}: alertdrill traffic stays on 127.0.0.1")
    return url


def setup_logging(name: str) -> logging.Logger:
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")
    return logging.getLogger(name)
