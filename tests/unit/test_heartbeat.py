"""The heartbeat's bound terms, the policy section, the recorder playing the heartbeat service
(real HTTP pings into a real recorder), and the mutants that break a heartbeat."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest
import yaml

from alertdrill.check.mutants import meta_mutants
from alertdrill.config.meta import detection_terms, load_meta_monitoring, ping_interval_s
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.errors import ConfigError
from alertdrill.notify.heartbeat import SERVICE_RECEIVER, HeartbeatSpec
from alertdrill.notify.recorder import NotificationRecorder

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("group_interval", "repeat", "interval"),
    [(30, 45, 60), (60, 60, 120), (30, 30, 60), (15, 50, 60), (300, 14400, 14700)],
)
def test_ping_interval_is_the_first_flush_after_repeat(group_interval: float, repeat: float, interval: float) -> None:
    assert ping_interval_s(group_interval, repeat) == interval


def test_detection_terms_name_what_each_fault_waits_for() -> None:
    meta = load_meta_monitoring(REPO / "monitoring")
    assert meta is not None and meta.heartbeat is not None
    # FLUO's values: evaluation 30s and resend delay 30s from its kube-prometheus-stack values
    assert meta.prometheus.valid_for_s == 120
    prometheus_down = detection_terms(meta.heartbeat, True, meta.prometheus.valid_for_s)
    assert [n for n, _ in prometheus_down][0].startswith("heartbeat kept firing in Alertmanager")
    assert sum(v for _, v in prometheus_down) == 240 <= meta.detection_limit_s
    every_alertmanager_down = detection_terms(meta.heartbeat, False, meta.prometheus.valid_for_s, scale=60)
    assert every_alertmanager_down == (("heartbeat service period", 1.0), ("its grace", 1.0))


def test_policy_mistakes_are_located(tmp_path: Path) -> None:
    (tmp_path / "policy.yml").write_text(yaml.safe_dump({"meta_monitoring": {"heartbeet": {}}}))
    with pytest.raises(ConfigError, match=r"policy.yml: meta_monitoring: unknown key\(s\) \['heartbeet'\]"):
        load_meta_monitoring(tmp_path)
    (tmp_path / "policy.yml").write_text(yaml.safe_dump({"meta_monitoring": {"heartbeat": {"alert": "H"}}}))
    with pytest.raises(ConfigError, match=r"meta_monitoring.heartbeat: give alert:, receiver:"):
        load_meta_monitoring(tmp_path)
    (tmp_path / "policy.yml").write_text("priorities: {P0: critical}\n")
    assert load_meta_monitoring(tmp_path) is None


def _ping(recorder: NotificationRecorder) -> None:
    payload = {"status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": "Heartbeat"}}]}
    httpx.post(f"{recorder.url}/receiver/heartbeat/webhook-0", json=payload, timeout=5).raise_for_status()


def _service_messages(recorder: NotificationRecorder) -> list[tuple[str, float]]:
    return [(m.status, m.arrived_at) for m in recorder.messages() if m.receiver == SERVICE_RECEIVER]


def test_the_recorder_pages_once_when_pings_stop_and_says_when_they_resume() -> None:
    # generous timers: a busy 2-core machine can delay a ping or a tick by a good part of a second
    spec = HeartbeatSpec("heartbeat", "Heartbeat", period_s=1.0, grace_s=0.5, notify=("on-call@example.com",))
    with NotificationRecorder() as recorder:
        recorder.serve_heartbeat(spec)
        time.sleep(2.0)
        assert _service_messages(recorder) == []  # never pinged: not armed, nothing to say
        for _ in range(4):  # on time: no page
            time.sleep(0.1)
            _ping(recorder)
        last = time.time()
        assert _service_messages(recorder) == []
        deadline = time.time() + 10  # silent for longer than period + grace: the page comes (ticks may be late)
        while not _service_messages(recorder) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # and only one, however many ticks pass
        pages = _service_messages(recorder)
        assert [s for s, _ in pages] == ["firing"]  # one page, not one per tick
        assert pages[0][1] >= last + 1.5 - 0.05  # never before period + grace after the last ping (its arrival)
        page = next(m for m in recorder.messages() if m.receiver == SERVICE_RECEIVER)
        assert page.recipients == ("on-call@example.com",) and "[DOWN]" in page.subject
        _ping(recorder)
        assert [s for s, _ in _service_messages(recorder)] == ["firing", "resolved"]


def test_heartbeat_spec_round_trips_through_the_recorder_pod_argument() -> None:
    spec = HeartbeatSpec("heartbeat", "Heartbeat", 1.0, 1.0, ("a@x", "b@x"))
    assert HeartbeatSpec.from_arg(spec.to_arg()) == spec


def test_meta_mutants_break_the_heartbeat_five_ways(tmp_path: Path) -> None:
    """Including `continue` dropped on a route just before it (FLUO's heartbeat route is first:
    a copy with an archive route in front)."""
    root = tmp_path / "monitoring"
    shutil.copytree(REPO / "monitoring", root)
    am_path = root / "alertmanager" / "alertmanager.yml"
    doc = yaml.safe_load(am_path.read_text())
    doc["route"]["routes"].insert(0, {"receiver": "alerting-degraded", "continue": True})
    am_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    found = [m.description for m in meta_mutants(MonitoringConfig.load(root))]
    assert found == [
        "heartbeat rule silenced (never fires)",
        "heartbeat route removed",
        "heartbeat repeat_interval -> 5m",
        "continue removed on the route before the heartbeat's",
        "heartbeat sent by email (through the mail relay)",
    ]


def test_policy_blanks_take_their_defaults_and_typos_are_located(tmp_path: Path) -> None:
    def policy(meta: dict) -> None:  # type: ignore[type-arg]
        (tmp_path / "policy.yml").write_text(yaml.safe_dump({"meta_monitoring": meta}))

    policy({"detection_limit": None, "heartbeat": {"alert": "H", "receiver": "hb", "period": None, "grace": ""}})
    meta = load_meta_monitoring(tmp_path)
    assert meta is not None and meta.detection_limit_s == 300 and meta.heartbeat is not None
    assert (meta.heartbeat.period_s, meta.heartbeat.grace_s) == (60, 60)
    policy({"prometheus": {"resend-delay": "2m"}})
    with pytest.raises(ConfigError, match=r"meta_monitoring.prometheus: unknown key\(s\) \['resend-delay'\]"):
        load_meta_monitoring(tmp_path)
    policy({"alerts": {"EmailFailing": {"watches": "smtp"}}})
    with pytest.raises(ConfigError, match=r"alerts.EmailFailing.watches: 'smtp' is no Alertmanager integration"):
        load_meta_monitoring(tmp_path)
    policy({"heartbeat": {"alert": "H", "receiver": "heartbeat-service"}})
    with pytest.raises(ConfigError, match=r"'heartbeat-service' is where alertdrill records the heartbeat service"):
        load_meta_monitoring(tmp_path)


def test_a_resolved_heartbeat_is_one_more_ping_and_the_bound_says_so() -> None:
    meta = load_meta_monitoring(REPO / "monitoring")
    assert meta is not None and meta.heartbeat is not None
    terms = detection_terms(meta.heartbeat, True, 120, resolved_ping_s=30)
    assert ("its resolved message, a last ping: group_interval", 30) in terms
    assert detection_terms(meta.heartbeat, False, 120, resolved_ping_s=30)[0][0] == "heartbeat service period"


def test_an_up_is_never_stamped_before_the_down_it_answers() -> None:
    """A ping stamped before the service decided "down" but delivered after it (concurrent
    handlers) ends the silence, and its "up" comes after the "down"."""
    spec = HeartbeatSpec("heartbeat", "Heartbeat", period_s=0.1, grace_s=0.05, notify=())
    with NotificationRecorder() as recorder:
        recorder.serve_heartbeat(spec)
        _ping(recorder)
        deadline = time.time() + 10
        while not _service_messages(recorder) and time.time() < deadline:  # down (ticks may be late)
            time.sleep(0.05)
        from alertdrill.notify.message import Message

        stamped = time.time() - 0.3  # arrived "before" the page, handled after it
        recorder.ingest(Message("heartbeat", "webhook-0", "webhook", stamped, "firing"))
        (down, up) = _service_messages(recorder)
        assert down[0] == "firing" and up[0] == "resolved" and up[1] >= down[1]
