"""Then-steps that run the team's runbook mid-drill, as the on-call would after the page.

Why live as well as offline: `alertdrill check` finds what is wrong on a command's face; only a
broken cluster shows whether the commands, pasted as written with the blanks filled in, succeed
and point at what is broken. A step `alertdrill check` already flags is a *finding* (recorded with
its reason, not a failure: the team has it on record); any other step that fails, or that should
name the broken component and does not, fails the drill, naming the file and line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from alertdrill.check.runbook_lint import RunbookFinding, lint_runbooks, pipelines
from alertdrill.config.runbooks import Runbook, Runbooks, RunbookStep
from alertdrill.drill.bounds import SOP_RECOVERY_S
from alertdrill.drill.paging import Page
from alertdrill.drill.session import DrillSession
from alertdrill.drill.watch import POLL_S
from alertdrill.errors import ConfigError, DrillFailure
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll
from alertdrill.stack.base import RunbookShell, ShellRun

log = logging.getLogger(__name__)

#: Exit statuses of a pipeline stage that are not a failure of the command: grep selecting no line
#: (1), and a stage cut off by `head` (SIGPIPE, 128 + 13).
NOT_FAILURES = {"grep": {1}, "egrep": {1}}
SIGPIPE_STATUS = 141
OUTPUT_TAIL = 1200


@dataclass(frozen=True)
class RunbookRun:
    """A runbook the drill ran, and the blanks it filled (the remedy step reuses both)."""

    runbooks: Runbooks
    runbook: Runbook
    values: dict[str, str]


def stage_failure(run: ShellRun) -> str | None:
    """Which stage of the command failed, or None. bash's PIPESTATUS describes the command's last
    pipeline; where its stages cannot be lined up with it, the command's exit status decides."""
    parsed = pipelines(run.command)
    stages = parsed[-1] if parsed else []
    statuses = run.statuses if len(run.statuses) == len(stages) else ()
    if not statuses:
        stages, statuses = stages[-1:], (run.returncode,)
    for argv, status in zip(stages, statuses, strict=False):
        program = argv[0].rsplit("/", 1)[-1] if argv else "?"
        if status == 0 or status == SIGPIPE_STATUS or status in NOT_FAILURES.get(program, set()):
            continue
        detail = run.stderr.strip().splitlines()[-1:] or ["no message"]
        return f"{program} exited {status}: {detail[0][:300]}"
    return None


def _runbook_for(drill: DrillSession, page: Page, name: str) -> tuple[Runbooks, Runbook]:
    runbooks = drill.expect.monitoring.runbooks
    root = drill.expect.monitoring.root
    if runbooks is None:
        raise ConfigError(f"{root}: no runbooks.yml; keep the team's runbooks there to drill them")
    runbook = runbooks.named(name)
    if page.alert not in runbook.alerts:
        raise ConfigError(
            f"{runbooks.path}:{runbook.line}: runbook {name!r} is not for {page.alert} (its alerts: "
            f"{', '.join(runbook.alerts) or 'none'}); add it to `alerts:` there, or drill the alert's own runbook"
        )
    return runbooks, runbook


def _judge(step: RunbookStep, run: ShellRun, broken: set[str], known: list[RunbookFinding]) -> tuple[str, str, bool]:
    """(verdict, why, named): ok, a finding `check` predicted, or failed. A name the drill filled
    into the command does not count as the output naming it (`describe pod X` always echoes X)."""
    failed = stage_failure(run)
    found = {b for b in broken if b not in run.command}
    named = step.names_broken and any(b in run.stdout for b in found)
    # a step given every name to begin with (`describe pod [pod-name]`) can only echo it: judged
    # on succeeding, and it counts for nothing towards finding what is broken
    judged_on_naming = step.names_broken and bool(found)
    problem = failed or (None if named or not judged_on_naming else f"its output names none of {sorted(found)}")
    if problem is None:
        note = "" if found or not step.names_broken else "it can only echo the names filled into it"
        if known:
            note = f"works here, though `alertdrill check` finds: {known[0].why}"
        return "ok", note, named
    if known:
        return "finding", f"{problem}; as `alertdrill check` finds: {known[0].why}; fix: {known[0].fix}", named
    return "failed", problem, named


def run_runbook(drill: DrillSession, page: Page, name: str, deployment: str) -> RunbookRun:
    """Every step but the remedy, as written with the blanks filled; at least one `names_broken`
    step must name the broken Deployment or pod by itself, and none may fail unless `alertdrill
    check` already says why."""
    runbooks, runbook = _runbook_for(drill, page, name)
    known: dict[int, list[RunbookFinding]] = {}
    for f in lint_runbooks(runbooks):
        known.setdefault(f.line, []).append(f)
    shell = drill.stack.runbook_shell()
    values = shell.placeholders(deployment)
    broken = {values.get("deployment-name", ""), values.get("pod-name", "")} - {""}
    failures, anything_named = [], False
    for step in runbook.steps:
        if step.remedy or step.health_check:
            continue  # run by the rollback that uses the runbook's remedy
        command = step.filled(values)
        run = shell.run(command, timeout_s=TIMEOUTS.runbook_command)
        verdict, why, named = _judge(step, run, broken, known.get(step.line, []))
        anything_named |= named
        log.info("runbook %s line %d: %s: %s%s", name, step.line, verdict, command, f" ({why})" if why else "")
        drill.evidence.runbook.append(
            {
                "runbook": name,
                "line": step.line,
                "say": step.say,
                "command": command,
                "verdict": verdict,
                "why": why,
                "exit": run.returncode,
                "statuses": list(run.statuses),
                "output": (run.stdout + run.stderr)[-OUTPUT_TAIL:],
            }
        )
        if verdict == "failed":
            failures.append(f"{runbooks.path}:{step.line} `{command}`: {why}")
    if not anything_named:
        failures.append(
            f"no step of {name!r} marked names_broken named the broken {deployment} by itself ({sorted(broken)}): "
            "the on-call would not find it with this runbook"
        )
    if failures:
        raise DrillFailure(f"runbook {name!r} did not work mid-incident on {page.what}: " + "; ".join(failures))
    return RunbookRun(runbooks, runbook, values)


def remedy(drill: DrillSession, page: Page, name: str, deployment: str) -> Callable[[], None]:
    """The runbook's own remedy as the rollback: its remedy steps, then its health checks until
    they pass, within SOP-004's 5 minutes of real time (a restart takes real time at any scale).
    The blanks are filled now, while the broken pod is still there to be found."""
    runbooks, runbook = _runbook_for(drill, page, name)
    shell = drill.stack.runbook_shell()  # one shell: its kubeconfig is fetched once
    ran = RunbookRun(runbooks, runbook, shell.placeholders(deployment))
    steps = [s for s in ran.runbook.steps if s.remedy]
    if not steps:
        raise ConfigError(
            f"{ran.runbooks.path}:{ran.runbook.line}: runbook {ran.runbook.name!r} has no step marked `remedy: true`"
        )

    def apply() -> None:
        start = time.time()
        deadline = start + SOP_RECOVERY_S
        for step in steps:
            _run_or_fail(shell, ran, step, "remedy")
        for step in (s for s in ran.runbook.steps if s.health_check):
            _wait_healthy(shell, ran, step, deadline)
        # not the runbook's: wait until the rollout replaced every pod, so that the scenario's own
        # undo (run next) finds only the new pods, not ones still terminating
        deployment = ran.values.get("deployment-name", "")
        settled = shell.run(
            f"kubectl rollout status deployment/{deployment} --timeout={max(1, round(deadline - time.time()))}s",
            timeout_s=max(1.0, deadline - time.time()),
        )
        unsettled = stage_failure(settled)
        if unsettled:
            raise DrillFailure(
                f"after the runbook's remedy the rollout of {deployment} did not finish within SOP-004's "
                f"{SOP_RECOVERY_S / 60:g} minutes: {unsettled}"
            )
        log.info("the runbook's remedy and health check took %.1fs", time.time() - start)

    return apply


def _run_or_fail(shell: RunbookShell, ran: RunbookRun, step: RunbookStep, what: str) -> None:
    command = step.filled(ran.values)
    failed = stage_failure(shell.run(command, timeout_s=TIMEOUTS.runbook_command))
    if failed:
        raise DrillFailure(f"the runbook's {what} {ran.runbooks.path}:{step.line} `{command}` failed: {failed}")


def _wait_healthy(shell: RunbookShell, ran: RunbookRun, step: RunbookStep, deadline: float) -> None:
    command = step.filled(ran.values)
    waited = poll(
        f"runbook health check `{command}`",
        lambda: shell.run(command, timeout_s=max(0.5, min(TIMEOUTS.runbook_command, deadline - time.time()))),
        done=lambda run: stage_failure(run) is None,
        poll_s=POLL_S,
        until=deadline,
    )
    if not waited.met:
        last = stage_failure(waited.value) if waited.value is not None else "never ran"
        raise DrillFailure(
            f"after the runbook's remedy, its health check {ran.runbooks.path}:{step.line} `{command}` did not pass "
            f"within SOP-004's {SOP_RECOVERY_S / 60:g} minutes: {last}"
        )
