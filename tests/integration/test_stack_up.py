"""`alertdrill stack up` gives a usable stack with its URLs, and Ctrl-C takes it all down."""

from __future__ import annotations

import re
import signal

import httpx
import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.integration


def test_stack_up_prints_urls_and_stops_on_ctrl_c(runner: Runner) -> None:
    proc, lines = runner.popen_until("run dir", "stack", "up", timeout=60)
    try:
        urls = dict(re.findall(r"^\s+(prometheus|alertmanager|recorder|bff)\s+(http://\S+)$", "".join(lines), re.M))
        assert httpx.get(urls["prometheus"] + "/-/ready", timeout=2).status_code == 200
        assert httpx.get(urls["alertmanager"] + "/-/ready", timeout=2).status_code == 200
        assert httpx.get(urls["bff"] + "/api/items", timeout=2).status_code == 200
        status = runner.run("stack", "status")
        assert "1 running stack(s)" in status.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
    assert code == 0, "".join(lines[-30:])
    assert runner.leftovers() == []
