"""A workload whose pods are deleted leaves service discovery: its alert comes later than a
refused scrape's, and only `absent()` can see it (issue 30, wrong verdict 1).

On Kubernetes a killed workload is scaled to zero and its pods deleted: Prometheus drops the
targets on its discovery reload and writes stale markers just over two scrape intervals after the
last scrape, so `up == 0` never comes (unless a scrape slips in before the reload) and the page
comes after the usual bound, which counted one scrape. Reproduced on the real Prometheus with the
local stack's "target leaves discovery" kill (file discovery, as Kubernetes' API does it): the
drill passes within a bound that names the term, the alert that fired is the `absent()` identity,
and it fired no earlier than `for` plus 1.1 scrape intervals after the fault (the stale markers'
wait: the usual model's one scrape is always exceeded). Before the fix the scenario's
`leave_discovery` was refused and the drill ended in an error (exit 3).
The twin drops `absent(up{job="bff"})` from ServiceDown: the deleted BFF then pages nobody.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration

FEATURE = "features/alerts/service_down.feature"
SCRAPE_S = 1.0  # the local stack's scrape interval at the default time scale
STALE_MARKER_SCRAPES = 1.1


def _drill(runner: Runner, *extra: str) -> tuple[int, dict[str, object], str]:
    proc = runner.run("run", FEATURE, "-q", "-k", "deleted", *extra, timeout=600)
    (drill,) = json.loads((runner.report_dir / "results.json").read_text())["drills"]
    return proc.returncode, drill, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_a_deleted_workload_pages_through_absent_within_a_bound_that_names_discovery(runner: Runner) -> None:
    code, drill, out = _drill(runner)
    assert code == 0, out
    expected, observed = drill["expected"], drill["observed"]
    assert isinstance(expected, dict) and isinstance(observed, dict)
    assert "target left discovery" in str(expected["fire_bound_terms"]), expected
    labels = observed["labels"]
    assert isinstance(labels, dict) and "instance" not in labels, labels  # absent(): no scrape failed
    fired = drill["fire_latency_s"]
    assert isinstance(fired, float) and fired >= float(expected["for_s"]) + STALE_MARKER_SCRAPES * SCRAPE_S, fired
    assert runner.leftovers() == []


def test_twin_without_absent_the_deleted_workload_pages_nobody(
    runner: Runner, monitoring_copy: Callable[..., Path]
) -> None:
    def up_only(text: str) -> str:
        assert ' or absent(up{job="bff"})' in text
        return text.replace(' or absent(up{job="bff"})', "", 1)

    code, drill, out = _drill(runner, "--monitoring", str(monitoring_copy(up_only)))
    assert code == 1, out
    message = str(drill["message"])
    assert drill["outcome"] == "failed" and "first broken link: expression broke" in message, message
    assert "+ target left discovery " in message, message  # the bound it missed, term by term
    assert runner.leftovers() == []
