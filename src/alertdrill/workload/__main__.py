"""`python -m alertdrill.workload ROLE ARGS...`: the one entry point of the workload image.

Roles: bff, worker, traffic, recorder, memhog, fill. Each is the same program the local stack runs
as a process; the image (Dockerfile) only picks one per pod.
"""

from __future__ import annotations

import importlib
import sys

ROLES = {
    "bff": "alertdrill.workload.bff",
    "worker": "alertdrill.workload.worker",
    "traffic": "alertdrill.workload.traffic",
    "recorder": "alertdrill.notify.recorder",
    "memhog": "alertdrill.workload.memhog",
    "fill": "alertdrill.workload.fill",
    "load": "alertdrill.workload.load",
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ROLES:
        sys.exit(f"usage: python -m alertdrill.workload {{{','.join(ROLES)}}} [ARGS...]")
    role = sys.argv.pop(1)
    sys.argv[0] = f"alertdrill.workload {role}"
    importlib.import_module(ROLES[role]).main()


if __name__ == "__main__":
    main()
