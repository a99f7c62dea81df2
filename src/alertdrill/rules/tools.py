"""promtool and amtool, run with timeouts; their complaints become located ConfigErrors."""

from __future__ import annotations

import subprocess
from pathlib import Path

from alertdrill.errors import ConfigError
from alertdrill.stack.binaries import find_binary

TOOL_TIMEOUT_S = 30.0


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{' '.join(argv)} did not finish in {TOOL_TIMEOUT_S:.0f}s") from None


def check_rules(files: list[Path], bin_path: str | None = None) -> None:
    """`promtool check rules`; raise ConfigError with promtool's own words if any file fails."""
    proc = _run([str(find_binary("promtool", bin_path)), "check", "rules", *map(str, files)])
    if proc.returncode != 0:
        detail = (proc.stdout + proc.stderr).strip()
        raise ConfigError(f"promtool check rules failed:\n{detail}")


def check_alertmanager_config(path: Path, bin_path: str | None = None) -> None:
    """`amtool check-config`; raise ConfigError naming the file if it fails."""
    proc = _run([str(find_binary("amtool", bin_path)), "check-config", str(path)])
    if proc.returncode != 0:
        detail = (proc.stdout + proc.stderr).strip()
        raise ConfigError(f"amtool check-config failed for {path}:\n{detail}")
