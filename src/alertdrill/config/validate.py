"""The config's own syntax checks, by the tools that will run it: promtool and amtool."""

from __future__ import annotations

from pathlib import Path

from alertdrill.errors import ConfigError
from alertdrill.runtime.tools import output_of, run_tool


def check_rules(files: list[Path], bin_path: str | None = None) -> None:
    """`promtool check rules`; raise ConfigError with promtool's own words if any file fails."""
    proc = run_tool("promtool", ["check", "rules", *map(str, files)], bin_path=bin_path)
    if proc.returncode != 0:
        raise ConfigError(f"promtool check rules failed:\n{output_of(proc)}")


def check_alertmanager_config(path: Path, bin_path: str | None = None) -> None:
    """`amtool check-config`; raise ConfigError naming the file if it fails."""
    proc = run_tool("amtool", ["check-config", str(path)], bin_path=bin_path)
    if proc.returncode != 0:
        raise ConfigError(f"amtool check-config failed for {path}:\n{output_of(proc)}")
