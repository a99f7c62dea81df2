"""The stack registry: names and defaults in one place, backends imported only when chosen."""

from __future__ import annotations

import subprocess
import sys

import pytest

from alertdrill.errors import ConfigError
from alertdrill.settings import Settings
from alertdrill.stack.registry import STACK_NAMES, STACKS


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
