"""`python -m alertdrill.runtime.build_servers`: build the current servers, or find them cached.

A module of its own, imported by nothing, so that `-m` runs it fresh (upstream.py is imported by
every alertdrill command through runtime/binaries.py).
"""

from __future__ import annotations

import sys
import time

from alertdrill.runtime.upstream import current_bin_dir, current_releases, ensure_built


def main() -> int:
    """Build the current versions (or find them cached); exit 1 naming what could not be built."""
    started = time.monotonic()
    bin_dir = current_bin_dir()
    problems = ensure_built(bin_dir)
    for problem in problems:
        print(f"alertdrill: could not build {problem}", file=sys.stderr)
    if problems:
        print("alertdrill: Debian's versions stay usable with --versions debian", file=sys.stderr)
        return 1
    releases = ", ".join(f"{name} {release}" for name, release in current_releases().items())
    print(f"current servers ready ({releases}) in {bin_dir} [{time.monotonic() - started:.1f} s]", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
