"""monitoring/slo.yml: SOP-004's numbers as data, each on a series a rule records."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.config.slos import load_slos
from alertdrill.errors import ConfigError
from alertdrill.workload.plan import LoadPlan

REPO = Path(__file__).resolve().parents[2]


def test_fluo_slos_are_the_sops_and_all_recorded() -> None:
    slos = MonitoringConfig.load(REPO / "monitoring").slos
    objectives = {s.name: s.objective for s in slos}
    assert objectives == {
        "bff-availability": ">= 0.999",
        "bff-latency-p95": "< 0.2",
        "bff-latency-avg": "< 0.2",  # "Response time (target: <200ms average)"
        "bff-latency-p99": "< 0.5",
        "bff-error-ratio": "< 0.001",
        "nats-throughput": ">= 1000",
        "nats-processing-latency": "< 0.1",
        "nats-delivery": ">= 0.9995",
        "job-duration": "< 30",
        "job-completion": "> 0.995",
        "worker-cpu": "< 0.8",  # "Resource Usage: <80% CPU, <70% memory", of the worker's limits
        "worker-memory": "< 0.7",
    }
    # The ones that need the SLO load are not part of every scenario's steady state.
    assert {s.name for s in slos if not s.steady_state} == {"nats-throughput", "nats-delivery"}


def test_objectives_compare_like_the_sop_says() -> None:
    by = {s.name: s for s in MonitoringConfig.load(REPO / "monitoring").slos}
    assert by["bff-latency-p95"].met(0.199) and not by["bff-latency-p95"].met(0.2)
    assert by["bff-availability"].met(0.999) and not by["bff-availability"].met(0.9989)
    assert not by["bff-error-ratio"].met(None) and not by["bff-error-ratio"].met(float("nan"))  # no data is a miss


def test_bad_slo_file_names_file_slo_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "slo.yml"
    path.write_text(
        "slos:\n"
        "- {name: a, series: slo:a, objective: 'about 5'}\n"
        "- {name: b, series: slo:missing, objective: '< 1'}\n"
        "- {name: c, how: delta_ratio, numerator: slo:a, objective: '> 0.9'}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_slos(path, recorded={"slo:a"})
    text = str(err.value)
    assert f"{path}: slos[0] (a): objective 'about 5' must look like" in text
    assert f"{path}: slos[1] (b): slo:missing is recorded by no rule" in text
    assert f"{path}: slos[2] (c): needs name and numerator, denominator" in text


def test_load_plan_turns_sop_rates_into_generator_arguments() -> None:
    plan = LoadPlan(submissions_per_s=120, jobs_per_submission=10, reads_per_s=30, seconds=40)
    args = plan.args("http://127.0.0.1:1")
    assert args[args.index("--rps") + 1] == "150"
    assert args[args.index("--jobs-per-request") + 1] == "10"
    assert float(args[args.index("--read-share") + 1]) == pytest.approx(0.2)


def test_a_steady_state_window_holds_at_least_two_evaluations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenarios ask for a 2 s window; the SLIs are recording rules written once per evaluation,
    so at Kubernetes' 5 s evaluation the window is widened to 10 s (2 s would often be "no data")."""
    from alertdrill.slo import hypothesis

    asked: list[float] = []

    def steady_state(prom: object, slos: object, window_s: float, *rest: object) -> tuple[list[object], float]:
        asked.append(window_s)
        return [], 0.0

    class Probe:
        def run(self) -> bool:
            return hypothesis.slos_met(window_s=2)

    monkeypatch.setattr(hypothesis, "steady_state", steady_state)
    hypothesis.run_hypothesis([Probe()], None, [], "before fault", 30.0, eval_interval_s=5.0)  # type: ignore[arg-type]
    hypothesis.run_hypothesis([Probe()], None, [], "before fault", 30.0, eval_interval_s=0.5)  # type: ignore[arg-type]
    assert asked == [10.0, 2.0]
