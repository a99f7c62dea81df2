"""Writes real bytes to a file and removes them when stopped (the disk-fill fault in a pod).

The local stack fills in-process; on Kubernetes the same fault is this program in a pod pinned to
the node, so SIGTERM (pod deletion, the rollback) must delete the bytes before it exits.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

CHUNK = 4 * 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", type=Path, required=True)
    parser.add_argument("--bytes", type=int, required=True)
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    block = b"\xa5" * CHUNK
    try:
        with args.path.open("wb") as out:
            written = 0
            while written < args.bytes and not stop.is_set():
                written += out.write(block[: min(CHUNK, args.bytes - written)])
            out.flush()
            os.fsync(out.fileno())
        print(f"wrote {written} bytes to {args.path}", flush=True)
        stop.wait()
    finally:
        args.path.unlink(missing_ok=True)
        print(f"removed {args.path}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
