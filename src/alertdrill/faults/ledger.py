"""The revert ledger: every injected fault's undo, run last-in-first-out, also after a crash.

Why a ledger: a fault that is not rolled back outlives the drill (a frozen server, an error
burst that never ends). Each injection returns its revert; the ledger runs them LIFO, attempts
every one even if one fails, then raises them together. Each injection is also written to the
run directory so `alertdrill revert` can undo what a killed runner left behind.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alertdrill.errors import RevertError
from alertdrill.faults.injection import (
    AppliedFault,
    Injection,
    Revert,
    apply_offline,
    undo_from_json,
    undo_to_json,
)

log = logging.getLogger(__name__)
__all__ = ["FaultLedger", "Injection", "revert_offline"]


@dataclass
class _Entry:
    name: str
    revert: Revert
    record: Path
    applied: AppliedFault


class FaultLedger:
    """Injections of one run, with their reverts; records live in `<run_dir>/faults/`."""

    def __init__(self, records_dir: Path) -> None:
        self.records_dir = records_dir
        self._entries: list[_Entry] = []
        self._seq = 0
        #: Every fault applied so far, reverted or not (the drill's timeline reads it).
        self.applied: list[AppliedFault] = []

    def inject(self, name: str, apply: Callable[[], Injection]) -> AppliedFault:
        """Apply a fault and record it; return when applying started and when it was done.

        Both matter: a fault that ramps up (jobs submitted over seconds) starts counting toward
        the alert when it starts, and its ramp belongs in the bound.
        """
        started_at = time.time()
        injection = apply()
        injected_at = injection.in_place_at or time.time()
        started_at = injection.began_at or started_at
        self._seq += 1
        self.records_dir.mkdir(parents=True, exist_ok=True)
        record = self.records_dir / f"{self._seq:03d}.json"
        offline = undo_to_json(injection.offline)
        record.write_text(json.dumps({"name": name, "injected_at": injected_at, "offline": offline}))
        applied = AppliedFault(
            name,
            started_at,
            injected_at,
            injection.hangs_target,
            injection.pipeline,
            leaves_discovery=injection.leaves_discovery,
            adds_target=injection.adds_target,
        )
        self._entries.append(_Entry(name, injection.revert, record, applied))
        self.applied.append(applied)
        log.info("fault injected: %s", name)
        return applied

    def revert(self, applied: AppliedFault) -> float:
        """Revert this one fault now (a timed outage healing); return when the revert finished."""
        for i, entry in enumerate(self._entries):
            if entry.applied is applied:
                try:
                    entry.revert()
                except Exception as exc:  # kept in the ledger: the rollback tries it again
                    raise RevertError([(entry.name, exc)]) from exc
                del self._entries[i]
                entry.record.unlink(missing_ok=True)
                log.info("fault healed: %s", entry.name)
                return time.time()
        raise KeyError(f"{applied.name} is not outstanding")

    @property
    def outstanding(self) -> list[str]:
        return [e.name for e in self._entries]

    def revert_all(self) -> float | None:
        """Revert everything LIFO; return when the last revert finished, or None if none ran."""
        if not self._entries:
            return None
        failures: list[tuple[str, BaseException]] = []
        while self._entries:
            entry = self._entries.pop()
            try:
                entry.revert()
                entry.record.unlink(missing_ok=True)
                log.info("fault reverted: %s", entry.name)
            except Exception as exc:  # cleanup boundary: attempt every revert, report all
                log.error("revert of %s failed: %s", entry.name, exc)
                failures.append((entry.name, exc))
        if failures:
            raise RevertError(failures)
        return time.time()


def revert_offline(run_dir: Path) -> list[str]:
    """Undo what a dead run's fault records describe, last first; return a line per record."""
    done: list[str] = []
    for record in sorted((run_dir / "faults").glob("*.json"), reverse=True):
        try:
            data = json.loads(record.read_text())
        except (OSError, ValueError):
            continue
        undo = undo_from_json(data.get("offline", {}))
        if not apply_offline(undo) and data.get("must_succeed"):  # the team's config: never dropped unreverted
            done.append(f"{data.get('name')}: {undo.kind} FAILED; kept for the next `alertdrill revert` ({record})")
            continue
        done.append(f"{data.get('name')}: {undo.kind}")
        record.unlink()
    return done
