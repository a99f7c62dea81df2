"""What each FLUO workload container may use: one table for both stacks.

Why one table: SOP-004's worker SLO ("< 80 % CPU, < 70 % memory") is a share of the container's
limits. On kind the Deployment sets them and cadvisor and kube-state-metrics report usage and
limit; on the local stack the same limits are reported for the same containers and the usage is
measured from the processes, so one recording rule computes the same SLI on both.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    memory_bytes: int
    cpu_cores: float | None = None  # None: no CPU limit (requests only)

    def kube(self) -> dict[str, str]:
        """As a container's `resources.limits`."""
        out = {"memory": f"{self.memory_bytes // MIB}Mi"}
        if self.cpu_cores is not None:
            out["cpu"] = f"{round(self.cpu_cores * 1000)}m"
        return out


#: The workers have a CPU limit so that "< 80 % CPU" has something to be a share of.
LIMITS: dict[str, Limits] = {
    "workers": Limits(memory_bytes=256 * MIB, cpu_cores=1.0),
}
DEFAULT_LIMITS = Limits(memory_bytes=256 * MIB)


def limits_of(container: str) -> Limits:
    return LIMITS.get(container, DEFAULT_LIMITS)
