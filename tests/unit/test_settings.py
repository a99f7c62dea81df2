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
