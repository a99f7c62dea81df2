"""Negative twins of the people drills: each break of who is paged, what the page says, when the
escalation comes and whether an acknowledgement holds makes its drill fail, saying what was wrong.

Run 1 breaks four things in the config (and acknowledges as SOP-004 writes it) at once, each seen
by a different drill (the team lead's mistyped address by both P1 fallback drills); run 2 drops the
`continue` that lets a P0 escalate at all (it would hide run 1's escalation-too-early break).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration

AM = "alertmanager/alertmanager.yml"
ON_CALL = "- name: critical-oncall\n  email_configs:\n  - to: on-call-engineer@fluo.com\n    send_resolved: true\n"


def _four_breaks(text: str) -> str:
    for old, new in (
        # a mistyped contact: the team lead's address loses a letter
        ("  - to: team-lead@fluo.com\n", "  - to: team-lead@fluo.co\n"),
        # a template that renders an empty subject (a misspelt annotation renders as nothing), for the
        # BFF's pages only, so that the other P0 drills of this run still read theirs
        (ON_CALL, ON_CALL + "    headers: {Subject: '{{ if eq .CommonLabels.job \"bff\" }}"
                            "{{ .CommonAnnotations.summry }}{{ else }}{{ template \"email.default.subject\" . }}"
                            "{{ end }}'}\n"),
        # escalation to the senior engineer after 30 seconds instead of SOP-004's 5 minutes
        ("    receiver: critical-senior-engineer\n    group_wait: 5m\n",
         "    receiver: critical-senior-engineer\n    group_wait: 30s\n"),
        # a route that swallows the page of the worker that died with its node (a receiver with no
        # integration). An inhibit rule cannot: ServiceDown (30 s) pages before KubernetesNodeDown (5 min).
        ("  routes:\n", "  routes:\n  - matchers: ['alertname=\"ServiceDown\"', 'job=\"workers\"']\n"
                        "    receiver: blackhole\n"),
        ("receivers:\n", "receivers:\n- name: blackhole\n"),
    ):  # fmt: skip
        assert old in text, old
        text = text.replace(old, new)
    return text


RUN1_FAILURES = {
    # P1's fallback never reaches the team lead's real address (the unacknowledged drill), and SOP-004's own
    # acknowledge command does not stop it (the acknowledged one)
    "an unacknowledged P1 reaches the team lead after 15 minutes": r"did not escalate to team-lead@fluo.com within",
    # (the first message after it: the team lead's, or under load the on-call's own next one)
    "an acknowledged P1 never reaches the team lead": (
        r"acknowledged \(POST /api/v1/alerts .* HTTP (400|410) .*\) but "
        r"(team-lead@fluo.co|on-call-engineer@fluo.com) was still emailed"
    ),
    "the BFF is killed": r"is not readable: the subject is empty",
    "an unacknowledged P0 reaches the senior engineer, the manager and the director in turn":
        r"escalated to senior-engineer@fluo.com [\d.]+s after firing, before the SOP's 5 minutes",
    "a P0 over within 5 minutes is never escalated": r"yet senior-engineer@fluo.com was emailed",
    "node-2 stops": r'ServiceDown\{job="workers"\} also fired but its page reached nobody .*blackhole',
    # SOP-004's own acknowledge command (run with --acknowledge-with sop-004) stops nobody
    # (the first escalation step still emailed: the senior engineer's, or on a busy machine, when
    # that one came before the acknowledgement was made, the manager's)
    "an acknowledged P0 pages nobody else": r"acknowledged \(POST /api/v1/alerts .* HTTP (400|410) .*\) but "
                                             r"(senior-engineer|engineering-manager)@fluo.com was still emailed",
}  # fmt: skip


def _run(runner: Runner, broken: Path, keyword: str, *extra: str) -> dict[str, dict]:  # type: ignore[type-arg]
    proc = runner.run(
        "run",
        "features/alerts/service_down.feature",
        "features/alerts/kubernetes_node_down.feature",
        "features/escalation",
        "-q", "--monitoring", str(broken), "--tags", "not edge and not slow", "-k", keyword, *extra,
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    drills = json.loads((runner.report_dir / "results.json").read_text())["drills"]
    assert runner.leftovers() == []
    return {d["scenario"]: d for d in drills}


def test_each_people_drill_fails_on_its_own_break(runner: Runner, monitoring_copy: Callable[..., Path]) -> None:
    broken = monitoring_copy(_four_breaks, AM)
    keyword = "bff_is_killed or escalat or acknowledged or node2"  # "acknowledged" also selects "unacknowledged"
    drills = _run(runner, broken, keyword, "--acknowledge-with", "sop-004")
    assert set(drills) == set(RUN1_FAILURES)
    for scenario, pattern in RUN1_FAILURES.items():
        d = drills[scenario]
        assert d["outcome"] == "failed" and re.search(pattern, d["message"]), (scenario, d["message"])
    # each message a person got is on the drill's record, with its recipients and subject
    killed = drills["the BFF is killed"]["messages"]
    assert any(m["subject"] == "" and m["recipients"] == ["on-call-engineer@fluo.com"] for m in killed), killed


def test_a_p0_that_cannot_continue_never_escalates(runner: Runner, monitoring_copy: Callable[..., Path]) -> None:
    on_call = "    receiver: critical-oncall\n    group_wait: 10s\n    repeat_interval: 1h\n"
    never = monitoring_copy(lambda t: t.replace(on_call + "    continue: true\n", on_call, 1), AM)
    drills = _run(runner, never, "unacknowledged_p0")
    (d,) = drills.values()
    assert d["outcome"] == "failed"
    assert re.search(r"did not escalate to senior-engineer@fluo.com within [\d.]+s of firing", d["message"]), d
    first = d["message"].splitlines()[0]  # the diagnosis: Alertmanager's tree never reached the escalation route
    assert "first broken link: routed broke: routed to ['critical-oncall'], not ['critical-senior-engineer']" in first
