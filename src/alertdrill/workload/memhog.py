"""Holds a given amount of real, touched memory until it is stopped (the memory-pressure fault)."""

from __future__ import annotations

import argparse
import sys
import time

PAGE = 4096


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bytes", type=int, required=True)
    parser.add_argument("--max-bytes", type=int, required=True)
    args = parser.parse_args()
    if not 0 < args.bytes <= args.max_bytes:
        sys.exit(f"refusing to hold {args.bytes} bytes (bound {args.max_bytes})")
    buf = bytearray(args.bytes)
    buf[::PAGE] = b"\x01" * len(range(0, args.bytes, PAGE))  # touch every page: real RSS
    print(f"holding {args.bytes} bytes", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
