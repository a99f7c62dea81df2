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
#: The pipeline parts whose API a drill may itself take down, and how an ObserveError names each.
_API_OF = {"prometheus": "Prometheus", "alertmanager": "Alertmanager"}


def classify(exc: BaseException) -> Outcome:
    """failed | inconclusive | error, by what was raised."""
    if isinstance(exc, DrillFailure):
        return "failed"
    if isinstance(exc, Inconclusive):
        return "inconclusive"
    return "error"


def broke_it_itself(exc: BaseException, outages: list[Outage]) -> Outage | None:
    """The outage the drill caused that explains this API not answering: the same part (the error
    names it), still down."""
    if not isinstance(exc, ObserveError):
        return None
    said = str(exc)
    down = [o for o in outages if o.healed_at is None and o.component in _API_OF]
    return next((o for o in down if said.startswith(_API_OF[o.component])), None)


def silent_parts(stack: MonitoringStack, outages: list[Outage]) -> list[str]:
    """Prometheus and the Alertmanagers that do not answer at all now (after the drill's own faults
    were reverted; any HTTP answer counts, a proxy's 404 included): a verdict drawn while one was
    silent is no verdict on the alert. A part the drill broke itself is its subject, not asked."""
    broken = {o.component for o in outages}
    parts = [("Prometheus", stack.prometheus_url)] if "prometheus" not in broken else []
    if "alertmanager" not in broken:
        parts += [("Alertmanager", u) for u in stack.alertmanager_urls]
    silent = []
    for name, url in parts:
        with ApiClient(url) as client:
            if not client.answers():
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
