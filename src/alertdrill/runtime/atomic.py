"""Files that are either the old version or the new one, never half of each or none.

Why: a report file is evidence (the nightly, the pre-release gate, the quarterly review read
it). Written to a temporary name in the same directory and renamed into place, a reader never
sees a torn file, and a runner killed mid-write leaves the previous version intact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def point_link_atomic(link: Path, target: str) -> None:
    """Make `link` a symlink to `target` (relative), replacing an older link in one step."""
    tmp = link.with_name(f".{link.name}.part")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    os.replace(tmp, link)


def creatable(path: Path) -> str | None:
    """Why `path` could not be created or written (None if it could), without creating anything.

    Walks up to the nearest existing ancestor: it must be a writable directory.
    """
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            return "no existing parent directory"
        probe = probe.parent
    if probe == path and path.is_dir():
        return None if os.access(path, os.W_OK | os.X_OK) else "not writable"
    if probe != path and not probe.is_dir():
        return f"{probe} is a file, not a directory"
    if not os.access(probe if probe.is_dir() else probe.parent, os.W_OK | os.X_OK):
        return f"{probe} is not writable"
    return None
