"""The stack registry: names and defaults in one place, backends imported only when chosen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alertdrill.backends import STACK_NAMES, STACKS
from alertdrill.errors import ConfigError, SetupError
from alertdrill.settings import Settings


def test_settings_take_each_stacks_defaults_from_the_registry() -> None:
    for name in STACK_NAMES:
        settings = Settings.resolve({"stack": name}, env={})
        assert settings.time_scale == STACKS[name].default_time_scale
        assert settings.scrape_interval_s == STACKS[name].interval_s
        assert settings.scrape_timeout_s <= settings.scrape_interval_s


def test_an_unknown_stack_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="choose one of local, kind, cluster"):
        Settings.resolve({"stack": "nomad"}, env={})


def test_the_local_stack_never_imports_the_kubernetes_backend() -> None:
    code = (
        "import sys; from alertdrill.stack.registry import open_stack; from alertdrill.settings import Settings;"
        "import alertdrill.stack.local.stack, alertdrill.pytest_plugin, alertdrill.cli;"
        "print(sorted(m for m in sys.modules if m.startswith(('alertdrill.stack.kube', 'kubernetes', 'chaosk8s'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_a_backend_is_one_registry_entry_mocked_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake backend (a managed Prometheus, say: runs elsewhere, one stack, drills tagged @managed)
    registered in the registry alone is known to the options, settings, parallelism and the
    tags that select drills, with no other change."""
    from alertdrill import backends
    from alertdrill.cli import build_parser
    from alertdrill.cli.parallelism import resolve_workers

    fake = backends.StackSpec(
        "managed",
        "tests.fake:Managed",
        "a managed Prometheus",
        default_time_scale=4.0,
        interval_s=15.0,
        scrape_timeout_cap_s=10.0,
        one_stack_only="a managed Prometheus is one stack",
        feature_tag="managed",
    )
    monkeypatch.setitem(backends.STACKS, "managed", fake)
    settings = Settings.resolve({"stack": "managed"}, env={})
    assert (settings.stack, settings.time_scale, settings.scrape_interval_s) == ("managed", 4.0, 15.0)
    assert build_parser().parse_args(["run", "--stack", "managed"]).stack == "managed"
    assert resolve_workers((None, False), "managed", False, []) == (1, "a managed Prometheus is one stack")
    with pytest.raises(SetupError, match="--parallel 3: a managed Prometheus is one stack"):
        resolve_workers((3, True), "managed", False, [])
    assert backends.foreign_tags("local") == {"kind", "managed"}
    assert backends.foreign_tags("managed") == {"kind", "local"}


def test_an_existing_cluster_refuses_the_node_down_drill_kind_runs_it() -> None:
    """Issue 30: node-down failed with a FaultError on an existing cluster (alertdrill never
    stops the team's nodes); it is deselected there by its `@stops-node` tag, kept on kind."""
    from alertdrill import backends

    assert "stops-node" in backends.foreign_tags("cluster")
    assert "stops-node" not in backends.foreign_tags("kind") | backends.foreign_tags("local")
    feature = (Path(__file__).resolve().parents[2] / "features/alerts/kubernetes_node_down.feature").read_text()
    assert "@stops-node" in feature
