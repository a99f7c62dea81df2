"""scripts/stop-debian-services, with a mocked systemctl: the Debian services that would hold the
host ports kind-config.yaml maps are stopped and disabled where systemd runs, and nothing happens
where it does not."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "stop-debian-services"


def _run(tmp_path: Path, systemd: bool) -> list[str]:
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    fake.chmod(0o755)
    (bin_dir / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    (bin_dir / "sudo").chmod(0o755)
    systemd_dir = tmp_path / "systemd"
    if systemd:
        systemd_dir.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ALERTDRILL_SYSTEMD_DIR": str(systemd_dir)}
    subprocess.run([str(SCRIPT)], env=env, check=True, timeout=30, capture_output=True)
    return calls.read_text().splitlines() if calls.exists() else []


def test_stops_and_disables_the_three_services_where_systemd_runs_mocked_systemctl(tmp_path: Path) -> None:
    assert _run(tmp_path, systemd=True) == [
        "disable --now prometheus",
        "disable --now prometheus-alertmanager",
        "disable --now prometheus-node-exporter",
    ]


def test_does_nothing_without_systemd_mocked_systemctl(tmp_path: Path) -> None:
    assert _run(tmp_path, systemd=False) == []


def test_install_calls_it_only_right_after_its_own_apt_install() -> None:
    text = (REPO / "scripts" / "install").read_text()
    apt = text.index('apt-get install -y -q "${need_apt[@]}"')
    assert apt < text.index("scripts/stop-debian-services") < text.index("\nfi", apt)


def test_the_nightly_pins_helm_3() -> None:
    """setup-helm's "latest" is Helm 4, whose --wait also waits on custom resources."""
    import yaml

    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "nightly.yml").read_text())
    steps = workflow["jobs"]["drills"]["steps"]
    (helm,) = [s for s in steps if str(s.get("uses", "")).startswith("azure/setup-helm")]
    assert str(helm["with"]["version"]).startswith("v3.")
