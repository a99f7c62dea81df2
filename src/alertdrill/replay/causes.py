"""Why the live pipeline disagreed with a promtool test: a closed list, each cause a sentence a
team understands. A disagreement no cause explains is named UNEXPLAINED, never dropped.

Why closed: a replay's verdict is only worth reading if every red line says what to fix. New
causes come with a unit test (tests/unit/test_replay_causes.py) that produces them.

What is *not* on the list, by construction: the scrape grid and a scrape's timestamps (samples
arrive by remote write with promtool's own timestamps), and lookback or staleness (scaled with the
clock, so a series that ends is seen for exactly as long as promtool sees it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cause:
    code: str
    sentence: str  # the template; `explain` fills it

    def explain(self, **facts: object) -> str:
        return self.sentence.format(**facts)


GROUP_INTERVAL = Cause(
    "group-interval",
    "rule group {group!r} is evaluated every {live} (its `interval:`), but promtool evaluates every "
    "group every {tested} (the test's evaluation_interval): live, {alert} is decided on a coarser grid",
)
TEMPLATE_NO_VALUE = Cause(
    "template-no-value",
    "the {receiver} message renders {refs} empty: its template reads a label that the {count} alert(s) "
    "Alertmanager really grouped together do not all share ({alerts})",
)
TEMPLATE_FAILED = Cause(
    "template-failed",
    "Alertmanager could not render the {receiver} message, so nobody was told: {error}",
)
INTEGRATION_FAILED = Cause(
    "integration-failed",
    "Alertmanager's notification to {receiver} failed: {error}",
)
INHIBITED = Cause(
    "inhibited",
    "{alert} was never delivered to {receiver}: inhibit rule {rule} muted it while {source} was firing",
)
INHIBITION_ORDER = Cause(
    "inhibition-order",
    "{alert} reached {receiver} although inhibit rule {rule} mutes it while {source} fires: {source} "
    "started firing after {alert}'s group was flushed, so which alert fires first decides who is paged",
)
INHIBITION_RACE = Cause(
    "inhibition-race",
    "{alert} reached {receiver} although inhibit rule {rule} mutes it while {source} fires, and both began "
    "firing at the same evaluation ({at:g}s): Alertmanager flushed the group before its inhibitor held {source}",
)
PAGE_LATE = Cause(
    "page-late",
    "{alert} reached {receiver} {late:.2f}s after its bound ({bound})",
)
RESOLVED_UNTOLD = Cause(
    "resolved-untold",
    "{alert} stopped firing where the test says ({at:g}s), but {receiver}, which sends resolved "
    "notifications, was not told within its bound ({bound})",
)
PROMTOOL_TOO = Cause(
    "promtool-fails-too",
    "promtool {version} fails this check as well: the test expects what neither promtool nor the live "
    "Prometheus does (written for another Prometheus version?) — fix the test, the pipeline agrees with promtool",
)
UNEXPLAINED = Cause("unexplained", "no known cause fits: {detail}")

CAUSES = (
    GROUP_INTERVAL,
    TEMPLATE_NO_VALUE,
    TEMPLATE_FAILED,
    INTEGRATION_FAILED,
    INHIBITED,
    INHIBITION_ORDER,
    INHIBITION_RACE,
    PAGE_LATE,
    RESOLVED_UNTOLD,
    PROMTOOL_TOO,
    UNEXPLAINED,
)
