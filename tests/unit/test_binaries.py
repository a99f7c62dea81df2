"""Which servers a run uses (--versions): the current ones built from their Go modules, Debian's,
or a team's own directory under upstream or Debian names; and the versions they report."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertdrill.errors import BinaryNotFoundError, ConfigError
from alertdrill.runtime.binaries import DEBIAN_SET, find_binary, server_versions, versions_label
from alertdrill.runtime.upstream import CURRENT, current_bin_dir, current_releases
from alertdrill.settings import Settings


def _team_dir(tmp_path: Path, names: dict[str, str]) -> Path:
    """A team's binary directory: links to the real binaries under the names a team's build uses."""
    team = tmp_path / "team-bin"
    team.mkdir()
    for name, real in names.items():
        (team / name).symlink_to(real)
    return team


def test_current_is_the_default_and_reports_the_kube_prometheus_stack_versions() -> None:
    assert Settings.resolve({}, env={}).versions == "current"
    assert find_binary("prometheus").parent == current_bin_dir()
    assert server_versions(None) == {"prometheus": "3.14.0", "alertmanager": "0.34.0", "node-exporter": "1.12.1"}
    assert current_releases() == {m.name: m.release for m in CURRENT}


def test_debian_versions_are_the_second_set() -> None:
    assert find_binary("alertmanager", DEBIAN_SET) == Path("/usr/bin/prometheus-alertmanager")
    found = server_versions(DEBIAN_SET)
    assert found["prometheus"].startswith("2.42.") and found["alertmanager"].startswith("0.25.")
    assert versions_label(found).startswith("prometheus 2.42.")


def test_a_team_directory_is_found_under_upstream_names(tmp_path: Path) -> None:
    real = current_bin_dir()
    team = _team_dir(tmp_path, {"prometheus": str(real / "prometheus"), "alertmanager": str(real / "alertmanager")})
    assert find_binary("alertmanager", str(team)) == team / "alertmanager"
    assert server_versions(str(team))["alertmanager"] == "0.34.0"


def test_a_team_directory_is_found_under_debian_names(tmp_path: Path) -> None:
    team = _team_dir(tmp_path, {"prometheus-alertmanager": "/usr/bin/prometheus-alertmanager"})
    assert find_binary("alertmanager", str(team)) == team / "prometheus-alertmanager"
    assert server_versions(str(team))["alertmanager"].startswith("0.25.")


def test_a_directory_without_the_program_names_both_names(tmp_path: Path) -> None:
    with pytest.raises(BinaryNotFoundError, match="no node_exporter or prometheus-node-exporter there"):
        find_binary("node-exporter", str(tmp_path))


def test_current_not_yet_built_says_how_to_build_it_or_use_debian(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERTDRILL_CACHE_DIR", str(tmp_path))
    with pytest.raises(BinaryNotFoundError) as caught:
        find_binary("amtool")
    message = str(caught.value)
    assert "amtool 0.34.0 is not built yet" in message
    assert "scripts/install" in message and "--versions debian" in message


def test_a_bad_versions_value_is_one_located_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--versions '/nope': /nope is not a directory; choose `current`"):
        Settings.resolve({"versions": "/nope"}, env={})
    with pytest.raises(ConfigError, match="ALERTDRILL_VERSIONS 'stable'"):
        Settings.resolve({}, env={"ALERTDRILL_VERSIONS": "stable"})
    assert Settings.resolve({}, env={"ALERTDRILL_BIN_PATH": str(tmp_path)}).versions == str(tmp_path)
