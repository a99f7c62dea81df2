"""The runner every kind/helm/kubectl/docker line goes through, exercised with real processes
(sh, sleep) standing in for the tools: progress on long waits, a bound, located failures."""

from __future__ import annotations

import logging
import time

import pytest

from alertdrill.errors import SetupError
from alertdrill.stack.kube import tools
from alertdrill.stack.kube.tools import CommandFailed, SubprocessRunner


def test_a_long_command_reports_progress(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(tools, "PROGRESS_EVERY_S", 0.2)
    with caplog.at_level(logging.INFO, logger="alertdrill.stack.kube.tools"):
        done = SubprocessRunner().run(["sh", "-c", "sleep 0.7; echo ready"], timeout=10)
    assert done.stdout == "ready\n" and done.returncode == 0
    assert sum("still running sh -c" in r.message for r in caplog.records) >= 2


def test_a_command_past_its_bound_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools, "PROGRESS_EVERY_S", 0.1)
    start = time.monotonic()
    with pytest.raises(CommandFailed, match=r"`sleep 30` did not finish within 0s"):
        SubprocessRunner().run(["sleep", "30"], timeout=0.3)
    assert time.monotonic() - start < 5


def test_a_failing_command_names_itself_and_its_stderr() -> None:
    with pytest.raises(CommandFailed, match=r"`sh -c echo nope >&2; exit 3` failed \(exit 3\):\n  nope"):
        SubprocessRunner().run(["sh", "-c", "echo nope >&2; exit 3"])
    assert SubprocessRunner().run(["sh", "-c", "exit 4"], check=False).returncode == 4


def test_a_missing_tool_says_what_to_install() -> None:
    with pytest.raises(SetupError, match=r"helm is not installed; install Helm 3"):
        SubprocessRunner(env={"PATH": "/nonexistent"}).run(["helm", "version"])
