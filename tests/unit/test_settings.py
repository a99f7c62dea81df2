import dataclasses
from pathlib import Path

import pytest

from alertdrill.backends import STACKS
from alertdrill.errors import ConfigError
from alertdrill.settings import Settings


def test_option_beats_environment_beats_default() -> None:
    env = {"ALERTDRILL_TIME_SCALE": "30", "ALERTDRILL_MONITORING": "/env/mon"}
    s = Settings.resolve({"time_scale": "10"}, env)
    assert s.time_scale == 10 and s.monitoring_dir == Path("/env/mon")
    assert Settings.resolve({}, {}).time_scale == STACKS["local"].default_time_scale


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"time_scale": "fast"}, "--time-scale 'fast' is not a number"),
        ({"time_scale": "0"}, "--time-scale must be > 0"),
        ({"stack": "docker"}, "--stack 'docker': choose one of local, kind, cluster"),
        ({"ports": ["prometheus:9090"]}, "expected NAME=PORT"),
    ],
)
def test_bad_values_say_what_to_give(options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.resolve(options, {})


def test_ports_parse() -> None:
    assert Settings.resolve({"ports": ["prometheus=9090", "recorder=1"]}, {}).fixed_ports == {
        "prometheus": 9090,
        "recorder": 1,
    }


def test_port_allocator_never_hands_out_a_port_twice(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from alertdrill.runtime import ports

    handed = iter([5000, 5000, 5001, 5001, 5002])
    monkeypatch.setattr(ports, "free_port", lambda: next(handed))  # the kernel may repeat a released port
    allocator = ports.PortAllocator()
    allocator.reserve(5002)
    assert [allocator.claim("a"), allocator.claim("b")] == [5000, 5001]


def test_resolved_settings_travel_whole_to_pytest_and_its_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """`alertdrill run` resolves once and hands the result down; a worker only adds its own id."""
    from types import SimpleNamespace

    from alertdrill.pytest_plugin import _resolve_settings
    from alertdrill.settings import HANDED_SETTINGS_ENV

    options = {
        "stack": "cluster",
        "time_scale": "7",
        "ports": ["bff=19091"],
        "kubeconfig": "/tmp/kc",
        "install": "workload,monitoring",
        "report_dir": "/tmp/r",
        "run_id": "20261201-000000-abcdef",
        "versions": "debian",
        "keep_stack": "1",
    }
    resolved = Settings.resolve(options, env={"ALERTDRILL_SLACK_S": "2.5"})
    assert Settings.from_json(resolved.to_json()) == resolved
    monkeypatch.setenv(HANDED_SETTINGS_ENV, resolved.to_json())
    worker = SimpleNamespace(getoption=lambda _name: "ignored: the options are not read again")
    monkeypatch.setattr("alertdrill.pytest_plugin.parallel.worker_id", lambda _config: "gw3")
    handed = _resolve_settings(worker)  # type: ignore[arg-type]
    assert handed == dataclasses.replace(resolved, worker="gw3")
    assert handed.stack_run_id == "20261201-000000-abcdef-gw3" and handed.slack_s == 2.5
