"""A drill's outcome from what ended it, decided in one place and by the exception's type.

Why by type and not by the step that raised: the nightly's reader has one question — is our
monitoring broken, or was the run? A fault tool that could not inject, a kubectl that timed out
or a Prometheus API that did not answer must never read like an alert that did not fire. Only
`DrillFailure` (raised by the drill's verdicts) says the monitoring did something wrong;
`Inconclusive` says the system was not in its steady state before the fault; everything else —
ours (`FaultError`, `ObserveError`, `WaitTimeout`, ...) or foreign (an `httpx` or `OSError` that
slipped past its adapter) — means the drill could not be carried out. The one exception: a part
of the pipeline the drill broke on purpose (a Prometheus it killed) not answering is the drill's
subject, so it is judged "failed", not "error".
"""

from __future__ import annotations

from alertdrill.drill.outages import Outage
from alertdrill.drill.record import Outcome
from alertdrill.errors import DrillFailure, Inconclusive, ObserveError
from alertdrill.observe.http import ApiClient
from alertdrill.stack.base import MonitoringStack

#: Exit codes of `alertdrill run`: all passed, some monitoring failed, usage, no failure but some
#: drill could not be carried out or drew no verdict. 130: interrupted.
EXIT_PASSED, EXIT_MONITORING_FAILED, EXIT_USAGE, EXIT_NOT_CARRIED_OUT = 0, 1, 2, 3
#: The pipeline parts whose API a drill may itself have taken down.
_OWN_PARTS = ("prometheus", "alertmanager", "link")


def classify(exc: BaseException) -> Outcome:
    """failed | inconclusive | error, by what was raised."""
    if isinstance(exc, DrillFailure):
        return "failed"
    if isinstance(exc, Inconclusive):
        return "inconclusive"
    return "error"


def broke_it_itself(exc: BaseException, outages: list[Outage]) -> Outage | None:
    """The outage the drill caused that explains an API not answering, if one was still open."""
    if not isinstance(exc, ObserveError):
        return None
    return next((o for o in outages if o.component in _OWN_PARTS and o.healed_at is None), None)


def silent_parts(stack: MonitoringStack) -> list[str]:
    """Prometheus and the Alertmanagers that do not answer `/-/ready` now (after the drill's own
    faults were reverted): a verdict drawn while one was silent is no verdict on the alert."""
    parts = [("Prometheus", stack.prometheus_url)] + [("Alertmanager", u) for u in stack.alertmanager_urls]
    silent = []
    for name, url in parts:
        with ApiClient(url) as client:
            if not client.is_ready():
                silent.append(f"{name} at {url}")
    return silent


def exit_code(outcomes: list[str]) -> int:
    """1 if any drill found the monitoring wrong; else 3 if any could not be carried out or drew
    no verdict; else 0."""
    if "failed" in outcomes:
        return EXIT_MONITORING_FAILED
    if "error" in outcomes or "inconclusive" in outcomes:
        return EXIT_NOT_CARRIED_OUT
    return EXIT_PASSED
