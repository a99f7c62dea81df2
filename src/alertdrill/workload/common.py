"""Small pieces the workload processes share: loopback checks and argument helpers."""

from __future__ import annotations

import logging
import math
import os
from urllib.parse import urlparse

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
#: Set in the pod spec of the Kubernetes workload: there the target is the BFF's Service.
IN_CLUSTER_ENV = "ALERTDRILL_IN_CLUSTER"


def require_loopback(url: str) -> str:
    """Refuse any target that is not this machine: load and chaos stay on 127.0.0.1.

    Inside a cluster (ALERTDRILL_IN_CLUSTER=1) a Service name in the cluster's own DNS domain
    (`<svc>.<namespace>.svc[.cluster.local]`) is allowed too: that traffic never leaves it.
    """
    host = urlparse(url).hostname or ""
    in_cluster = os.environ.get(IN_CLUSTER_ENV) == "1" and (
        host.endswith(".svc") or host.endswith(".svc.cluster.local")
    )
    if host not in LOOPBACK_HOSTS and not in_cluster:
        raise SystemExit(f"refusing non-loopback target {url!r}: alertdrill traffic stays on 127.0.0.1")
    return url


def setup_logging(name: str) -> logging.Logger:
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")
    return logging.getLogger(name)


def is_nth_share(n: int, share: float) -> bool:
    """Whether request number `n` belongs to the `share` of requests, spread evenly.

    Integer steps of floor(n * share), not `(n * share) % 1`: the float remainder of 0.1 * n drifts
    below 0.9 for long stretches (requests 5000-5999 carried 12 jobs instead of 100), and a BFF
    that silently stopped getting jobs looked like a NATS failure to the SLO checks.
    """
    return math.floor((n + 1) * share + 1e-9) > math.floor(n * share + 1e-9)
