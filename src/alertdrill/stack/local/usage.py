"""cadvisor's container usage, measured from the local pods' processes.

Why: SOP-004's worker SLO is CPU and memory as a share of the container's limits. On Kubernetes
the kubelet's cadvisor reports `container_cpu_usage_seconds_total` and
`container_memory_working_set_bytes` per container; here each container is one process, so the
same two series are read from /proc (CPU time user + system, resident memory) and served under
the same names and labels, and one recording rule computes the SLI on both stacks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from alertdrill.stack.local.pods import Pod

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def process_usage(pid: int, proc: Path = Path("/proc")) -> tuple[float, int] | None:
    """CPU seconds (user + system) and resident bytes of one process; None once it is gone."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
        statm = (proc / str(pid) / "statm").read_text()
    except OSError:
        return None
    # the command name, field 2, may hold spaces: the numeric fields start after its ')'
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLOCK_TICKS, int(statm.split()[1]) * PAGE_BYTES


class ContainerUsageCollector(Collector):
    def __init__(self, pods: Callable[[], list[Pod]], namespace: str) -> None:
        self._pods = pods
        self._namespace = namespace

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        labels = ["namespace", "pod", "container"]
        cpu = CounterMetricFamily(
            "container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds", labels=labels
        )
        memory = GaugeMetricFamily("container_memory_working_set_bytes", "Current working set in bytes", labels=labels)
        for pod in self._pods():
            for spec, process in zip(pod.containers, pod.processes, strict=False):
                pid = process.pid if process.is_running() else None
                usage = process_usage(pid) if pid is not None else None
                if usage is not None:
                    cpu.add_metric([self._namespace, pod.name, spec.name], usage[0])
                    memory.add_metric([self._namespace, pod.name, spec.name], float(usage[1]))
        yield from (cpu, memory)
