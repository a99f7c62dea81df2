"""Typed injection records: what a backend did, how to undo it live, and how to undo it from its
record alone (after the runner died).

Why typed: the offline undo is written to disk and read back by `alertdrill revert` in another
process, possibly days later; each kind of undo is a frozen dataclass with one JSON shape, so a
backend cannot write a record that the reverter does not understand.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from alertdrill.runtime.rundir import process_run_id
from alertdrill.runtime.timeouts import TIMEOUTS

Revert = Callable[[], None]

#: The parts of the alerting pipeline a fault can break (`Injection.pipeline`). A config change
#: the operator refuses before any Alertmanager sees it (kind, clusters) is its own part: there
#: only "kept routing" can be observed, not Alertmanager's own refusal.
ALERTMANAGER, PROMETHEUS, MAIL_RELAY, LINK = "alertmanager", "prometheus", "mail relay", "link"
AM_CONFIG, AM_CONFIG_VIA_OPERATOR = "alertmanager config", "alertmanager config (operator)"


@dataclass(frozen=True)
class SignalUndo:
    """Send `signal` to these pids, if they still carry the run's id (never to a stranger)."""

    signal: str
    pids: tuple[int, ...]
    run_id: str
    kind: Literal["signal"] = "signal"


@dataclass(frozen=True)
class HttpPostUndo:
    """POST `json` to `url` (a fault switched on over HTTP is switched off the same way)."""

    url: str
    json: dict[str, float]
    kind: Literal["http_post"] = "http_post"


@dataclass(frozen=True)
class DeleteFileUndo:
    path: str
    kind: Literal["delete_file"] = "delete_file"


@dataclass(frozen=True)
class CommandsUndo:
    """kubectl/docker lines that undo a Kubernetes fault, run in order."""

    argv: tuple[tuple[str, ...], ...]
    kind: Literal["commands"] = "commands"


@dataclass(frozen=True)
class NoUndo:
    """Nothing is left to undo offline (a killed process is gone with its runner)."""

    note: str = ""
    kind: Literal["none"] = "none"


OfflineUndo = SignalUndo | HttpPostUndo | DeleteFileUndo | CommandsUndo | NoUndo


@dataclass(frozen=True)
class Injection:
    """A backend's answer to one fault.

    `hangs_target`: the fault leaves a scrape target hanging rather than refusing (a frozen
    process), so Prometheus notices only after its scrape timeout; the fire bound adds it.
    `leaves_discovery`: the fault takes its targets out of service discovery (a deleted pod), so
    Prometheus notices only once it has dropped them and marked their series stale.
    """

    revert: Revert
    offline: OfflineUndo
    hangs_target: bool = False
    leaves_discovery: bool = False
    #: The fault brings a new pod whose target must be discovered and scraped before it can fail
    #: (a crash-looping surge pod on Kubernetes): the hand-off, reload and first-scrape offset.
    adds_target: bool = False
    #: When the fault itself began (Unix seconds), if it first waited for the system to be ready
    #: for it (a quiet discovery): that wait is not the fault's ramp. None: when it was called.
    began_at: float | None = None
    #: When the fault was in place as far as the alert's bound is concerned, if earlier than its
    #: return (targets withdrawn from discovery: the bound's own term covers what follows).
    in_place_at: float | None = None
    #: The part of the alerting pipeline this fault breaks ("alertmanager", "prometheus",
    #: "mail relay", "link", "alertmanager config"), None for a fault on the monitored system.
    pipeline: str | None = None


@dataclass(frozen=True)
class AppliedFault:
    """One fault as the ledger saw it applied: when it started, when it was in place."""

    name: str
    started_at: float
    injected_at: float
    hangs_target: bool
    pipeline: str | None = None
    leaves_discovery: bool = False
    adds_target: bool = False

    @property
    def ramp_s(self) -> float:
        return self.injected_at - self.started_at


def undo_to_json(undo: OfflineUndo) -> dict[str, Any]:
    if isinstance(undo, SignalUndo):
        return {"kind": undo.kind, "signal": undo.signal, "pids": list(undo.pids), "run_id": undo.run_id}
    if isinstance(undo, HttpPostUndo):
        return {"kind": undo.kind, "url": undo.url, "json": dict(undo.json)}
    if isinstance(undo, DeleteFileUndo):
        return {"kind": undo.kind, "path": undo.path}
    if isinstance(undo, CommandsUndo):
        return {"kind": undo.kind, "argv": [list(a) for a in undo.argv]}
    return {"kind": undo.kind, "note": undo.note}


def undo_from_json(data: dict[str, Any]) -> OfflineUndo:
    """The record's undo; an unknown kind reads as NoUndo (nothing safe to do)."""
    kind = data.get("kind", "none")
    if kind == "signal":
        return SignalUndo(
            str(data.get("signal", "SIGCONT")), tuple(int(p) for p in data.get("pids", [])), str(data.get("run_id"))
        )
    if kind == "http_post":
        return HttpPostUndo(str(data["url"]), dict(data.get("json", {})))
    if kind == "delete_file":
        return DeleteFileUndo(str(data["path"]))
    if kind == "commands":
        return CommandsUndo(tuple(tuple(str(a) for a in argv) for argv in data.get("argv", [])))
    return NoUndo(str(data.get("note", "")))


def apply_offline(undo: OfflineUndo) -> bool:
    """Undo from the record alone; best effort (the target may be gone already). False: a
    recorded command did not succeed (a record that must succeed is then kept)."""
    if isinstance(undo, SignalUndo):
        sig = signal.Signals[undo.signal]
        for pid in undo.pids:
            if process_run_id(pid) == undo.run_id:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
    elif isinstance(undo, DeleteFileUndo):
        with contextlib.suppress(FileNotFoundError):
            Path(undo.path).unlink()
    elif isinstance(undo, HttpPostUndo):
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(undo.url, json=undo.json, timeout=TIMEOUTS.offline_revert_request)
    elif isinstance(undo, CommandsUndo):
        ok = True
        for argv in undo.argv:
            try:
                timeout = TIMEOUTS.offline_revert_command
                done = subprocess.run(list(argv), capture_output=True, timeout=timeout, check=False)
                ok = ok and done.returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
        return ok
    return True
