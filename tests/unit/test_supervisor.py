import sys
import time
from pathlib import Path
from threading import RLock

from prometheus_client import CollectorRegistry, generate_latest

from alertdrill.stack.local.pods import ContainerSpec, Pod
from alertdrill.stack.local.supervisor import KubeStateCollector, Supervisor, backoff_s


def test_backoff_doubles_from_ten_seconds_to_five_minutes_scaled() -> None:
    assert [backoff_s(n, 1) for n in (1, 2, 3, 6, 7, 20)] == [10, 20, 40, 300, 300, 300]
    assert backoff_s(1, 60) == 10 / 60


def test_a_crashing_container_is_restarted_with_backoff_and_reported(tmp_path: Path) -> None:
    crash = [sys.executable, "-c", "import sys; sys.exit(3)"]
    pod = Pod(
        name="w-0",
        workload="w",
        containers=[ContainerSpec("c", crash)],
        metrics=None,
        run_dir=tmp_path,
        run_id="t",
        node="node-1",
    )
    pod.launch()
    supervisor = Supervisor(lambda: [pod], RLock(), time_scale=100)  # back-off 0.1 s, 0.2 s, 0.4 s...
    supervisor.start()
    try:
        deadline = time.monotonic() + 10
        while pod.status[0].restarts < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        supervisor.stop()
        pod.stop()
    assert pod.status[0].restarts >= 3
    registry = CollectorRegistry()
    registry.register(KubeStateCollector(lambda: [pod], "fluo"))
    text = generate_latest(registry).decode()
    assert 'kube_pod_container_status_restarts_total{container="c",namespace="fluo",pod="w-0",uid="w-0-uid"}' in text
    assert 'kube_pod_info{created_by_name="w",namespace="fluo",node="node-1",pod="w-0",uid="w-0-uid"} 1.0' in text


def test_a_deleted_pod_is_left_down_and_has_no_series(tmp_path: Path) -> None:
    pod = Pod(
        name="s-0",
        workload="s",
        containers=[ContainerSpec("c", [sys.executable, "-c", "import time; time.sleep(30)"])],
        metrics=None,
        run_dir=tmp_path,
        run_id="t",
    )
    pod.launch()
    pod.kill()
    supervisor = Supervisor(lambda: [pod], RLock(), time_scale=100)
    supervisor.start()
    time.sleep(0.3)
    supervisor.stop()
    assert not pod.processes[0].is_running()
    registry = CollectorRegistry()
    registry.register(KubeStateCollector(lambda: [pod], "fluo"))
    assert 'pod="s-0"' not in generate_latest(registry).decode()
    pod.stop()
