# The workload image of the kind and cluster stacks: the FLUO BFF, NATS workers, the traffic
# generator, the notification recorder and the fault programs (memory hog, disk fill) — the same
# Python programs the local stack runs as processes. `python -m alertdrill.workload ROLE` picks one.
# tini is PID 1 so that faults can signal the program (kill(-1) from `kubectl exec`): PID 1 of a
# container ignores SIGSTOP and SIGKILL sent from inside its own namespace.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/alertdrill
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . \
 && useradd --system --uid 10001 alertdrill
USER 10001
ENTRYPOINT ["/usr/bin/tini", "--", "python", "-m", "alertdrill.workload"]
