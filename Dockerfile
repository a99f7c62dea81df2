# The workload image of the kind and cluster stacks: the FLUO BFF, NATS workers, the traffic
# generator, the notification recorder and the fault programs (memory hog, disk fill) — the same
# Python programs the local stack runs as processes. `python -m alertdrill.workload ROLE` picks one.
# tini is PID 1 so that faults can signal the program (kill(-1) from `kubectl exec`): PID 1 of a
# container ignores SIGSTOP and SIGKILL sent from inside its own namespace.
# Pinned by digest (the tag python:3.11.10-slim-bookworm as the registry served it; recorded from
# a public Renovate-maintained pin, not pulled here: this machine has no registry access). Python
# packages pinned by docker/constraints.txt (scripts/pin-docker-constraints).
FROM python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/alertdrill
COPY pyproject.toml README.md docker/constraints.txt ./
COPY src ./src
RUN pip install --no-cache-dir --constraint constraints.txt . \
 && useradd --system --uid 10001 alertdrill
USER 10001
ENTRYPOINT ["/usr/bin/tini", "--", "python", "-m", "alertdrill.workload"]
