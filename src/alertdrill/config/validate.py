"""The config's own syntax checks, by the tools that will run it: promtool and amtool."""

from __future__ import annotations

import re
from pathlib import Path

from alertdrill.errors import ConfigError
from alertdrill.runtime.binaries import program_version
from alertdrill.runtime.tools import output_of, run_tool

#: promtool before this major version cannot read Prometheus 3 syntax (quoted UTF-8 names, ...).
PROMETHEUS_3 = 3


def check_rules(files: list[Path], bin_path: str | None = None) -> None:
    """`promtool check rules`; raise ConfigError with promtool's own words if any file fails.

    The message names promtool's version: a rule that is fine for Prometheus 3 and rejected by
    an older promtool is a version mismatch to fix with --versions, not a broken rule.
    """
    proc = run_tool("promtool", ["check", "rules", *map(str, files)], bin_path=bin_path)
    if proc.returncode != 0:
        version = program_version("promtool", bin_path)
        output = output_of(proc)
        # promtool's own located lines ("file: 5:11: group ..., rule 1, ...: parse error ..."), one each
        located = [line.strip() for line in output.splitlines() if re.match(r"\S+\.ya?ml: ", line.strip())]
        raise ConfigError(
            "\n".join(f"{line} (promtool {version}{_older_hint(version)})" for line in located)
            or f"promtool {version} check rules failed:\n{output}"
        )


def _older_hint(version: str) -> str:
    major = version.split(".", 1)[0]
    if not major.isdigit() or int(major) >= PROMETHEUS_3:
        return ""
    return (
        ", which predates Prometheus 3: rules in Prometheus 3 syntax (quoted UTF-8 names, newer functions) "
        "need `--versions current` or a directory with your own promtool 3"
    )


def check_alertmanager_config(path: Path, bin_path: str | None = None) -> None:
    """`amtool check-config`; raise ConfigError naming the file if it fails."""
    proc = run_tool("amtool", ["check-config", str(path)], bin_path=bin_path)
    if proc.returncode != 0:
        raise ConfigError(f"amtool check-config failed for {path}:\n{output_of(proc)}")
