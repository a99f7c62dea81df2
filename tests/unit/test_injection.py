"""Typed injection records survive the trip to disk and back, as `alertdrill revert` reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alertdrill.faults.injection import (
    CommandsUndo,
    DeleteFileUndo,
    HttpPostUndo,
    Injection,
    NoUndo,
    OfflineUndo,
    SignalUndo,
    undo_from_json,
    undo_to_json,
)
from alertdrill.faults.ledger import FaultLedger


@pytest.mark.parametrize(
    "undo",
    [
        SignalUndo("SIGCONT", (12, 34), "run-x"),
        HttpPostUndo("http://127.0.0.1:1/admin/fault", {"error_ratio": 0.0}),
        DeleteFileUndo("/tmp/fill.bin"),
        CommandsUndo((("kubectl", "scale", "deployment/bff", "--replicas=1"),)),
        NoUndo("killed processes need no undo"),
    ],
    ids=lambda u: u.kind,
)
def test_every_kind_of_undo_round_trips_through_json(undo: OfflineUndo) -> None:
    assert undo_from_json(json.loads(json.dumps(undo_to_json(undo)))) == undo


def test_an_unknown_record_kind_reads_as_nothing_to_undo() -> None:
    assert undo_from_json({"kind": "teleport"}) == NoUndo("")


def test_the_ledger_reports_each_fault_with_its_ramp_and_whether_it_hangs_targets(tmp_path: Path) -> None:
    ledger = FaultLedger(tmp_path)
    applied = ledger.inject("freeze(bff)", lambda: Injection(lambda: None, NoUndo(), hangs_target=True))
    assert applied.hangs_target and applied.ramp_s >= 0 and ledger.applied == [applied]
    record = json.loads((tmp_path / "001.json").read_text())
    assert record["name"] == "freeze(bff)" and record["offline"] == {"kind": "none", "note": ""}
