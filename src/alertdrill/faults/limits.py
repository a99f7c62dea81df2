"""Limits every backend applies the same way before it touches anything."""

from __future__ import annotations

from alertdrill.errors import FaultError

#: The only workload that serves HTTP requests, and so the only one with error and latency faults.
HTTP_WORKLOAD = "bff"


def bounded_bytes(what: str, nbytes: int, limit: int, hint: str = "") -> int:
    """`nbytes` if within `limit` (ALERTDRILL_MAX_FAULT_BYTES), else a FaultError saying so."""
    if nbytes > limit:
        raise FaultError(
            f"{what} needs {nbytes / 2**20:.0f} MiB, above the bound of {limit / 2**20:.0f} MiB "
            f"(raise ALERTDRILL_MAX_FAULT_BYTES or aim lower){hint}"
        )
    return nbytes


def require_http_workload(workload: str) -> None:
    if workload != HTTP_WORKLOAD:
        raise FaultError(f"only the {HTTP_WORKLOAD} serves HTTP requests, not {workload!r}")
