"""The sample FLUO workload: BFF API, NATS workers, the NATS exporter and a traffic generator.

Each module runs as its own process (`python -m alertdrill.workload.<name>`), so faults act on
real processes: a SIGKILL kills a real server, an error burst returns real 5xx responses.
"""
