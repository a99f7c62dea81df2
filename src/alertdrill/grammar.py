"""The drill step grammar: the one place that says how a feature speaks of alerts.

The step definitions (steps/) parse these texts, the pytest plugin reads a scenario's expected
alerts from them before it runs (for isolation and the "no other alert" check), and `alertdrill
check` counts an alert as drilled when a feature names it in a fires-step. Keeping all three on
the same strings means a new phrasing cannot silently drop out of coverage or isolation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEALTHY = "the stack is healthy"
INJECTS = 'the scenario "{scenario}" injects its fault'
STRIKES = 'the pipeline fault "{scenario}" strikes'
#: A drill whose only fault is on the pipeline (no incident): when alerting itself breaks.
BREAKS = 'alerting itself breaks: the pipeline fault "{scenario}" strikes'
TOLD_BY_HEARTBEAT = "the heartbeat service tells {addresses} that alerting is down, within the detection limit"
TOLD_BY_ALERT = 'alert "{alert}" tells {receivers} that alerting is degraded, within the detection limit'
TOLD_AGAIN = "they are told again when it recovers"
FIRES = 'alert "{alert}" fires for {label} "{value}" after holding for {seconds:d} seconds'
FIRES_DEFERRED = FIRES + ", held back from paging"
ALSO_FIRES = 'alert "{alert}" also fires for {label} "{value}" after holding for {seconds:d} seconds'
LABELS = 'the alert has severity "{severity}" and priority "{priority}"'
NOTIFIED = "it is notified to exactly {receivers}"
EMAILED = "it is emailed to exactly {addresses}"
ALSO_EMAILED = "its page too is emailed to exactly {addresses}"
READABLE = "the page names the alert, its service, its severity and its runbook"
HELD_BACK_FROM = "it is held back from {addresses} for {hours:d} hours"
ESCALATES = "unacknowledged, it escalates to {steps}"
ACKNOWLEDGES = "the on-call acknowledges it within {minutes:d} minutes"
NOBODY_AFTER_ACK = "nobody is emailed about it again through its {minutes:d} minute escalation"
RESOLVES_ACKNOWLEDGED = "after rollback it resolves within {minutes:d} minutes and, acknowledged, nobody is told"
EARLY_RESOLVE = 'rolled back at once, it resolves before its {minutes:d} minute escalation and "{address}" never hears'
ROUTED_DEFERRED = "it is routed to exactly {receivers} and deferred for {hours:d} hours"
PAGES_AFTER_DEFERRAL = "it pages only after its {hours:d} hour deferral"
RESOLVES = "after rollback it resolves and the resolved notification arrives within {minutes:d} minutes"
CLEARS_QUIETLY = "after rollback it clears within {minutes:d} minutes without ever paging"
RUNS_RUNBOOK = 'the on-call runs the "{runbook}" runbook for deployment "{deployment}" and it names what is broken'
REMEDY_RESOLVES = (
    'rolled back by the "{runbook}" runbook\'s own remedy for deployment "{deployment}", it resolves and the '
    "resolved notification arrives within {minutes:d} minutes"
)
STAYS_QUIET = 'alert "{alert}" stays quiet for the whole bound of its {seconds:d} second hold'
REACHED_AT_LEAST = 'Prometheus saw "{expr}" reach at least {value:g}'
FELL_TO_AT_MOST = 'Prometheus saw "{expr}" fall to at most {value:g}'
DID_NOT_FIRE = 'alert "{alert}" did not fire'
NO_OTHER_ALERT = "no other alert fired"
NO_DUPLICATE = "nobody is emailed twice about it"
CONFIG_REFUSED = "every Alertmanager refused the broken config and kept routing with its own"
LOAD = (
    "the load generator sends {subs:d} job submissions/s of {jobs:d} jobs each "
    "and {reads:d} reads/s to the BFF for {seconds:d} seconds"
)
SLOS_HOLD = "these SLOs hold over the load:"
NO_ALERT_UNDER_LOAD = "no alert fired during the load"
SCALES_OUT = (
    "the workers scale out to at least {replicas:d} replicas and drain the queue within {seconds:d} seconds, unscaled"
)
DASHBOARDS = "every panel of the SOP dashboards parses and returns data"

#: A step that expects an alert to fire (primary or "also"), as a regex over the step text.
EXPECTED_ALERT = re.compile(
    r'alert "(?P<alert>[^"]+)" (?P<also>also )?fires for (?P<label>\w+) "(?P<value>[^"]*)"'
    r"(?: after holding for (?P<seconds>\d+) seconds)?"
)


@dataclass(frozen=True)
class ExpectedAlert:
    """An alert a scenario's steps expect to fire, with the label that picks the instance."""

    alert: str
    match: dict[str, str] = field(default_factory=dict)
    for_s: float | None = None  # production seconds, as the feature states it
    also: bool = False


def strikes_pipeline(step_texts: list[str]) -> bool:
    """The scenario breaks the alerting pipeline itself (its alerts about the pipeline may fire)."""
    return any("the pipeline fault " in text for text in step_texts)


def expected_alerts(step_texts: list[str]) -> list[ExpectedAlert]:
    """Every alert the given step texts expect to fire, in order."""
    out = []
    for text in step_texts:
        m = EXPECTED_ALERT.search(text)
        if m:
            seconds = float(m["seconds"]) if m["seconds"] else None
            out.append(ExpectedAlert(m["alert"], {m["label"]: m["value"]}, seconds, bool(m["also"])))
    return out


#: One escalation step inside ESCALATES: `"senior-engineer@fluo.com" after 5 minutes`.
ESCALATION_STEP = re.compile(r'"(?P<address>[^"]+)" after (?P<minutes>\d+) minutes?')


def escalation_steps(text: str) -> list[tuple[str, float]]:
    """`"a" after 5 minutes, "b" after 15 minutes and …` → [(a, 300.0), (b, 900.0), …]."""
    steps = [(m["address"], float(m["minutes"]) * 60) for m in ESCALATION_STEP.finditer(text)]
    if not steps:
        raise ValueError(f'no escalation step in {text!r}: write `"address" after N minutes`, joined by commas/"and"')
    return steps


def receiver_names(text: str) -> list[str]:
    """`"a", "b" and "c"` → ["a", "b", "c"]."""
    return [r.strip().strip('"') for r in text.replace(" and ", ",").split(",") if r.strip()]


#: The production waits a step names: a hold ("30 seconds"), an escalation step ("after 5 minutes"),
#: an escalation window ("15 minute escalation"); a P2 deferral's "4 hours" is not a wait of the drill.
WAIT = re.compile(r"(\d+) seconds?\b|after (\d+) minutes?\b|(\d+) minute (?:hold|escalation)\b")


def longest_wait_s(step_texts: list[str]) -> float:
    """The longest production wait a scenario's steps name: how long the drill will take, roughly
    (parallel runs start the longest drills first, so the workers finish together)."""
    waits = [0.0]
    for text in step_texts:
        for m in WAIT.finditer(text):
            seconds, minutes, more = m.groups()
            waits.append(float(seconds) if seconds else float(minutes or more) * 60)
    return max(waits)


#: A told-by-alert step names the team's alert about its pipeline.
TOLD_ALERT = re.compile(r'alert "(?P<alert>[^"]+)" tells ')
#: What `drilled_alerts` returns for a feature whose heartbeat service must page: the heartbeat
#: alert's name is the team's (policy.yml), not the feature's.
HEARTBEAT_DRILLED = "<heartbeat>"


def drilled_alerts(feature_text: str) -> set[str]:
    """Alerts a feature file drills (names in a fires-step or a told-step; HEARTBEAT_DRILLED when
    the heartbeat service must page)."""
    found = {m["alert"] for m in EXPECTED_ALERT.finditer(feature_text)}
    found |= {m["alert"] for m in TOLD_ALERT.finditer(feature_text)}
    if "the heartbeat service tells " in feature_text:
        found.add(HEARTBEAT_DRILLED)
    return found


#: Every step text a step definition under steps/ binds (tests/unit/test_grammar_steps.py keeps
#: the two in step): what a feature may say. Checked before any stack starts.
STEP_TEXTS: tuple[str, ...] = (
    HEALTHY,
    INJECTS,
    STRIKES,
    BREAKS,
    TOLD_BY_HEARTBEAT,
    TOLD_BY_ALERT,
    TOLD_AGAIN,
    FIRES,
    FIRES_DEFERRED,
    ALSO_FIRES,
    LABELS,
    NOTIFIED,
    EMAILED,
    ALSO_EMAILED,
    READABLE,
    HELD_BACK_FROM,
    ESCALATES,
    ACKNOWLEDGES,
    NOBODY_AFTER_ACK,
    RESOLVES_ACKNOWLEDGED,
    EARLY_RESOLVE,
    ROUTED_DEFERRED,
    PAGES_AFTER_DEFERRAL,
    RESOLVES,
    CLEARS_QUIETLY,
    RUNS_RUNBOOK,
    REMEDY_RESOLVES,
    STAYS_QUIET,
    REACHED_AT_LEAST,
    FELL_TO_AT_MOST,
    DID_NOT_FIRE,
    NO_OTHER_ALERT,
    NO_DUPLICATE,
    CONFIG_REFUSED,
    LOAD,
    SLOS_HOLD,
    NO_ALERT_UNDER_LOAD,
    SCALES_OUT,
    DASHBOARDS,
)


def matches_step(text: str) -> bool:
    """Whether some step definition binds this step text (as pytest-bdd's `parsers.parse` would)."""
    import parse  # type: ignore[import-untyped]  # pytest-bdd's own parser library

    return any(text == t if "{" not in t else parse.parse(t, text) is not None for t in STEP_TEXTS)
