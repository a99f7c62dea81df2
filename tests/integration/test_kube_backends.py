"""`--stack kind` and `--stack cluster` on this machine, for real: it has no Docker engine, no kind,
helm or kubectl, so both must stop at once with exit 2 and say what to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Runner


@pytest.mark.parametrize(
    ("stack", "missing"),
    [("kind", ["docker", "kind", "helm", "kubectl"]), ("cluster", ["helm", "kubectl"])],
)
def test_kube_stack_without_its_tools_exits_2_saying_what_to_install(
    runner: Runner, tmp_path: Path, stack: str, missing: list[str]
) -> None:
    runner.env["PATH"] = str(tmp_path / "empty-bin")  # whatever this machine has, none of them is found
    done = runner.run("run", "--stack", stack, "features/alerts/service_down.feature", timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    out = done.stdout + done.stderr
    for tool in missing:
        assert f"  - {tool}: install" in out, out
    assert "--stack local" in out
    assert "Traceback" not in out
    assert runner.leftovers() == []


def test_stack_up_kind_without_docker_exits_2(runner: Runner, tmp_path: Path) -> None:
    runner.env["PATH"] = str(tmp_path / "empty-bin")
    done = runner.run("stack", "up", "--stack", "kind", timeout=60)
    assert done.returncode == 2
    assert "docker: install Docker Engine" in done.stderr
