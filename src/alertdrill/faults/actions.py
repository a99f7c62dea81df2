"""Backend-neutral fault functions, the targets of Chaos Toolkit scenario actions.

Scenarios (`scenarios/*.yaml`) name these functions; whichever stack is active carries them out
and its ledger records the revert. `revert_faults` is what a scenario's rollbacks call.
The `configuration`/`secrets` parameters are Chaos Toolkit's calling convention.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alertdrill.errors import FaultError
from alertdrill.faults.pipeline import (
    PIPELINE_FAULTS,
    break_alertmanager_config,
    cut_alertmanager_link,
    fail_mail_relay,
    kill_alertmanager,
    kill_every_alertmanager,
    kill_prometheus,
    reload_alertmanager_config,
)
from alertdrill.faults.session import SESSION, FaultBackend, FaultSession, Output
from alertdrill.faults.session import inject as _inject

# The pipeline faults are re-exported: scenarios (and `chaos run`) name every action as
# alertdrill.faults.actions.<func>.
__all__ = [
    "SESSION",
    "FaultBackend",
    "FaultSession",
    "Output",
    "break_alertmanager_config",
    "cut_alertmanager_link",
    "fail_mail_relay",
    "kill_alertmanager",
    "kill_every_alertmanager",
    "kill_prometheus",
    "reload_alertmanager_config",
]


def _ratio(name: str, value: float) -> float:
    if not 0 < value < 1:
        raise FaultError(f"{name} must be between 0 and 1, got {value}")
    return value


def kill_workload(
    workload: str, leave_discovery: bool = False, configuration: Any = None, secrets: Any = None
) -> Output:
    """SIGKILL every process of the workload, not replaced until rollback. `leave_discovery`: its
    pods are deleted too, so their targets leave service discovery (on Kubernetes they always do:
    the workload is scaled to zero); on the local stack they stay listed unless this is set."""
    name = f"kill_workload({workload}, leaving discovery)" if leave_discovery else f"kill_workload({workload})"
    return _inject(name, lambda b: b.kill_workload(workload, leave_discovery))


def freeze_workload(workload: str, configuration: Any = None, secrets: Any = None) -> Output:
    """SIGSTOP every process of the workload: it hangs with its sockets open."""
    return _inject(f"freeze_workload({workload})", lambda b: b.freeze_workload(workload))


def inject_errors(workload: str = "bff", ratio: float = 0.5, configuration: Any = None, secrets: Any = None) -> Output:
    """Make the workload answer this share of its API requests with HTTP 500."""
    if not 0 < ratio <= 1:
        raise FaultError(f"inject_errors ratio must be in (0, 1], got {ratio}")
    return _inject(f"inject_errors({workload}, {ratio})", lambda b: b.inject_errors(workload, ratio))


def inject_latency(
    workload: str = "bff", seconds: float = 0.3, configuration: Any = None, secrets: Any = None
) -> Output:
    """Delay every API request of the workload by this many seconds."""
    if not 0 < seconds <= 10:
        raise FaultError(f"inject_latency seconds must be in (0, 10], got {seconds}")
    return _inject(f"inject_latency({workload}, {seconds}s)", lambda b: b.inject_latency(workload, seconds))


def pause_consumers(workload: str = "workers", configuration: Any = None, secrets: Any = None) -> Output:
    """Stop the workload's consumers from fetching messages (they stay up and scraped)."""
    return _inject(f"pause_consumers({workload})", lambda b: b.pause_consumers(workload))


def submit_jobs(count: int, rate: float = 500.0, configuration: Any = None, secrets: Any = None) -> Output:
    """Submit `count` real jobs through the BFF at `rate` per second (bounded: 20 000, 2 000/s)."""
    if not 0 < count <= 20_000 or not 0 < rate <= 2_000:
        raise FaultError(f"submit_jobs: count must be in (0, 20000], rate in (0, 2000]; got {count}, {rate}")
    return _inject(f"submit_jobs({count} at {rate:g}/s)", lambda b: b.submit_jobs(count, rate))


def autoscale_on_queue(
    workload: str = "workers",
    min_replicas: int = 2,
    max_replicas: int = 4,
    lag: int = 200,
    configuration: Any = None,
    secrets: Any = None,
) -> Output:
    """Scale the workload on queue depth while the drill runs: at most `lag` pending jobs per replica
    (bounded: 1..10 replicas). Kind and clusters with KEDA; not modelled on the local stack."""
    if not 1 <= min_replicas <= max_replicas <= 10 or lag < 1:
        raise FaultError(
            f"autoscale_on_queue: need 1 <= min_replicas <= max_replicas <= 10 and lag >= 1; got "
            f"{min_replicas}, {max_replicas}, {lag}"
        )
    return _inject(
        f"autoscale_on_queue({workload}, {min_replicas}..{max_replicas}, lag {lag})",
        lambda b: b.autoscale_on_queue(workload, min_replicas, max_replicas, lag),
    )


def crashloop_workload(workload: str, pods: int = 1, configuration: Any = None, secrets: Any = None) -> Output:
    """Patch the command of `pods` replicas to exit at start; they restart with back-off."""
    return _inject(f"crashloop_workload({workload}, {pods})", lambda b: b.crashloop_workload(workload, pods))


def stop_node(node: str, configuration: Any = None, secrets: Any = None) -> Output:
    """Take a node down: its exporter and every pod placed on it stop."""
    return _inject(f"stop_node({node})", lambda b: b.stop_node(node))


def memory_pressure(node: str, usage_ratio: float = 0.9, configuration: Any = None, secrets: Any = None) -> Output:
    """Allocate and touch real memory on the node until its usage reaches `usage_ratio`."""
    ratio = _ratio("memory_pressure usage_ratio", usage_ratio)
    return _inject(f"memory_pressure({node}, {ratio:.0%})", lambda b: b.memory_pressure(node, ratio))


def fill_disk(node: str, free_ratio: float = 0.05, configuration: Any = None, secrets: Any = None) -> Output:
    """Write real bytes into the node's data directory until only `free_ratio` is free."""
    ratio = _ratio("fill_disk free_ratio", free_ratio)
    return _inject(f"fill_disk({node}, {ratio:.0%} free)", lambda b: b.fill_disk(node, ratio))


def revert_faults(configuration: Any = None, secrets: Any = None) -> dict[str, float | None]:
    """Undo every fault of the active run, last first (a scenario's rollback)."""
    return {"reverted_at": SESSION.get().ledger.revert_all()}


WORKLOAD_FAULTS: tuple[Callable[..., Output], ...] = (
    kill_workload,
    freeze_workload,
    inject_errors,
    inject_latency,
    pause_consumers,
    autoscale_on_queue,
    submit_jobs,
    crashloop_workload,
    stop_node,
    memory_pressure,
    fill_disk,
)
FAULT_FUNCTIONS: dict[str, Callable[..., Output]] = {f.__name__: f for f in (*WORKLOAD_FAULTS, *PIPELINE_FAULTS)}
ROLLBACK_FUNCTIONS = {"revert_faults": revert_faults}
