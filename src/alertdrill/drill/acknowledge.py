"""Acknowledging a page the ways an on-call engineer can: a silence through Alertmanager's API v2,
the same silence through `amtool silence add` (the real client), or SOP-004's command as written.

Why offer SOP-004's command: it posts `{"status": "acknowledged"}` to `/api/v1/alerts`, which
Alertmanager does not treat as an acknowledgement (0.25 rejects the body; 0.27+ has no API v1).
Running the escalation drill with it (`--acknowledge-with sop-004`) shows a team, in a failing
drill, that its runbook's command stops nobody from being paged.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx

from alertdrill.errors import DrillFailure, ObserveError
from alertdrill.observe.alertmanager import AlertmanagerClient
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.tools import run_tool

#: Who the drill acknowledges as (SOP-004's on-call engineer), and why.
AUTHOR = "on-call-engineer@fluo.com (alertdrill drill)"
COMMENT = "Investigating..."


@dataclass(frozen=True)
class Acknowledgement:
    method: str
    silence_id: str | None  # None: nothing was created that could mute the alert
    answer: str  # what Alertmanager (or amtool) said, for the report


def acknowledge(
    method: str, am: AlertmanagerClient, matchers: dict[str, str], duration_s: float, bin_path: str | None
) -> Acknowledgement:
    if method == "silence-api":
        end = time.time() + duration_s
        try:
            sid = am.add_silence(matchers, ends_at=end, created_by=AUTHOR, comment=COMMENT)
        except ObserveError as exc:  # the harness could not act: an error, not a verdict
            raise ObserveError(f"could not acknowledge through API v2: {exc}") from exc
        return Acknowledgement(method, sid, f"POST /api/v2/silences -> silenceID {sid}")
    if method == "amtool":
        args = [
            "silence",
            "add",
            f"--alertmanager.url={am.base_url}",
            f"--author={AUTHOR}",
            f"--comment={COMMENT}",
            f"--duration={max(1, round(duration_s))}s",
            *(f"{k}={v}" for k, v in matchers.items()),
        ]
        proc = run_tool("amtool", args, bin_path=bin_path)
        if proc.returncode != 0:
            raise DrillFailure(f"`amtool silence add` failed ({proc.returncode}): {proc.stderr.strip()}")
        sid = proc.stdout.strip().splitlines()[-1].strip()
        return Acknowledgement(method, sid, f"amtool silence add -> {sid}")
    if method == "sop-004":
        body = {"status": "acknowledged", "comment": COMMENT}
        try:
            resp = httpx.post(f"{am.base_url}/api/v1/alerts", json=body, timeout=TIMEOUTS.acknowledge_request)
            answer = f"POST /api/v1/alerts {json.dumps(body)} -> HTTP {resp.status_code} {resp.text.strip()[:200]}"
        except httpx.HTTPError as exc:
            answer = f"POST /api/v1/alerts failed: {exc}"
        return Acknowledgement(method, None, answer)
    raise DrillFailure(f"unknown acknowledgement method {method!r}")
