"""Backend-neutral fault functions, the targets of Chaos Toolkit scenario actions.

Scenarios (`scenarios/*.yaml`) name these functions; whichever stack is active carries them out
and its ledger records the revert. `revert_faults` is what a scenario's rollbacks call.
The `configuration`/`secrets` parameters are Chaos Toolkit's calling convention.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from alertdrill.errors import FaultError
from alertdrill.faults.ledger import FaultLedger, Injection


class FaultBackend(Protocol):
    """What a stack must be able to do to a workload; each returns how to undo it."""

    def kill_workload(self, workload: str) -> Injection: ...
    def freeze_workload(self, workload: str) -> Injection: ...
    def inject_errors(self, workload: str, ratio: float) -> Injection: ...


@dataclass(frozen=True)
class FaultSession:
    backend: FaultBackend
    ledger: FaultLedger


_ACTIVE: ContextVar[FaultSession | None] = ContextVar("alertdrill_fault_session", default=None)


@contextlib.contextmanager
def active_session(session: FaultSession) -> Iterator[FaultSession]:
    token = _ACTIVE.set(session)
    try:
        yield session
    finally:
        _ACTIVE.reset(token)


def _session() -> FaultSession:
    session = _ACTIVE.get()
    if session is None:
        raise FaultError("no alertdrill stack is active: run scenarios through `alertdrill run`")
    return session


def kill_workload(workload: str, configuration: Any = None, secrets: Any = None) -> dict[str, float]:
    """SIGKILL every process of the workload (a pod killed, not restarted until rollback)."""
    s = _session()
    at = s.ledger.inject(f"kill_workload({workload})", lambda: s.backend.kill_workload(workload))
    return {"injected_at": at}


def freeze_workload(workload: str, configuration: Any = None, secrets: Any = None) -> dict[str, float]:
    """SIGSTOP every process of the workload: it hangs with its sockets open."""
    s = _session()
    at = s.ledger.inject(f"freeze_workload({workload})", lambda: s.backend.freeze_workload(workload))
    return {"injected_at": at}


def inject_errors(
    workload: str = "bff", ratio: float = 0.5, configuration: Any = None, secrets: Any = None
) -> dict[str, float]:
    """Make the workload answer this share of its API requests with HTTP 500."""
    if not 0 < ratio <= 1:
        raise FaultError(f"inject_errors ratio must be in (0, 1], got {ratio}")
    s = _session()
    at = s.ledger.inject(
        f"inject_errors({workload}, {ratio})", lambda: s.backend.inject_errors(workload, ratio)
    )
    return {"injected_at": at}


def revert_faults(configuration: Any = None, secrets: Any = None) -> dict[str, float | None]:
    """Undo every fault of the active run, last first (a scenario's rollback)."""
    return {"reverted_at": _session().ledger.revert_all()}


FAULT_FUNCTIONS = {f.__name__: f for f in (kill_workload, freeze_workload, inject_errors)}
ROLLBACK_FUNCTIONS = {"revert_faults": revert_faults}
