"""`check`'s meta-monitoring lint on copies of FLUO's config, each broken one way (real promtool
and amtool load every copy): a true positive per finding, and realistic configs that pass."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from alertdrill.check.meta_lint import lint_meta
from alertdrill.config.monitoring import MonitoringConfig

REPO = Path(__file__).resolve().parents[2]
Edit = Callable[[dict[str, Any]], None]


def _copy(tmp_path: Path, am: Edit | None = None, policy: Edit | None = None, values: Edit | None = None) -> Path:
    root = tmp_path / "monitoring"
    shutil.copytree(REPO / "monitoring", root)
    for rel, edit in (
        ("alertmanager/alertmanager.yml", am),
        ("policy.yml", policy),
        ("k8s/kube-prometheus-stack.values.yaml", values),
    ):
        if edit is not None:
            doc = yaml.safe_load((root / rel).read_text())
            edit(doc)
            (root / rel).write_text(yaml.safe_dump(doc, sort_keys=False))
    return root


def _findings(root: Path) -> list[tuple[str, str]]:
    return [(f.what, f.check) for f in lint_meta(MonitoringConfig.load(root))]


def _heartbeat_route(doc: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in doc["route"]["routes"] if r.get("receiver") == "heartbeat")


def test_fluo_config_is_clean() -> None:
    assert lint_meta(MonitoringConfig.load(REPO / "monitoring")) == []


def test_a_config_that_has_not_opted_in_is_not_judged(tmp_path: Path) -> None:
    root = _copy(tmp_path, policy=lambda p: p.pop("meta_monitoring"))
    assert _findings(root) == []


def test_no_heartbeat_named(tmp_path: Path) -> None:
    root = _copy(tmp_path, policy=lambda p: p["meta_monitoring"].pop("heartbeat"))
    assert _findings(root) == [("heartbeat", "missing")]


def test_heartbeat_named_but_no_rule(tmp_path: Path) -> None:
    root = _copy(tmp_path, policy=lambda p: p["meta_monitoring"]["heartbeat"].update(alert="Watchdog"))
    assert _findings(root) == [("Watchdog", "missing")]


def test_heartbeat_route_removed_falls_into_the_catch_all(tmp_path: Path) -> None:
    def drop(doc: dict[str, Any]) -> None:
        doc["route"]["routes"].remove(_heartbeat_route(doc))

    assert _findings(_copy(tmp_path, am=drop)) == [("Heartbeat", "route")]


def test_heartbeat_with_continue_also_pages_people(tmp_path: Path) -> None:
    """`continue: true` on the heartbeat's route, and a last catch-all child route: a common tree."""

    def continued(doc: dict[str, Any]) -> None:
        _heartbeat_route(doc)["continue"] = True
        doc["route"]["routes"].append({"receiver": "oncall-primary"})

    root = _copy(tmp_path, am=continued)
    findings = lint_meta(MonitoringConfig.load(root))
    assert [(f.what, f.check) for f in findings] == [("Heartbeat", "route")]
    assert "oncall-primary" in findings[0].message


def test_heartbeat_through_the_mail_relay(tmp_path: Path) -> None:
    def by_email(doc: dict[str, Any]) -> None:
        hb = next(r for r in doc["receivers"] if r["name"] == "heartbeat")
        hb.pop("webhook_configs")
        hb["email_configs"] = [{"to": "heartbeat@hc-ping.com", "send_resolved": False}]

    assert _findings(_copy(tmp_path, am=by_email)) == [("Heartbeat", "integration")]


@pytest.mark.parametrize(
    ("group_interval", "repeat_interval", "flagged"),
    [("30s", "45s", False), ("30s", "30s", False), ("1m", "1m", True), ("30s", "5m", True), ("15s", "50s", False)],
)
def test_heartbeat_pinging_slower_than_the_service_expects(
    tmp_path: Path, group_interval: str, repeat_interval: str, flagged: bool
) -> None:
    """repeat_interval = group_interval pings every 2 × group_interval (the nflog stamps after the flush)."""
    root = _copy(
        tmp_path,
        am=lambda doc: _heartbeat_route(doc).update(group_interval=group_interval, repeat_interval=repeat_interval),
    )
    assert (("Heartbeat", "timers") in _findings(root)) is flagged


def test_default_resend_delay_cannot_meet_five_minutes(tmp_path: Path) -> None:
    """Prometheus' default 1m resend delay keeps the heartbeat firing 4 minutes after Prometheus died."""

    def default_resend(doc: dict[str, Any]) -> None:
        doc["prometheus"]["prometheusSpec"].pop("additionalArgs")

    findings = lint_meta(MonitoringConfig.load(_copy(tmp_path, values=default_resend)))
    assert [(f.what, f.check) for f in findings] == [("Heartbeat", "timers")]
    assert "240s" in findings[0].message and "over the detection limit 300s" in findings[0].message


def test_meta_alert_routed_only_through_what_it_watches(tmp_path: Path) -> None:
    def no_second_channel(doc: dict[str, Any]) -> None:
        doc["route"]["routes"] = [r for r in doc["route"]["routes"] if r.get("receiver") != "alerting-degraded"]

    assert _findings(_copy(tmp_path, am=no_second_channel)) == [("AlertmanagerNotificationsFailing", "channel")]


def test_meta_alert_without_a_watched_integration_is_not_judged_on_channels(tmp_path: Path) -> None:
    """AlertmanagerDown watches no integration: email alone is a realistic choice for it."""

    def no_second_channel(doc: dict[str, Any]) -> None:
        doc["route"]["routes"] = [r for r in doc["route"]["routes"] if r.get("receiver") != "alerting-degraded"]

    def watches_nothing(p: dict[str, Any]) -> None:
        p["meta_monitoring"]["alerts"]["AlertmanagerNotificationsFailing"] = {}

    assert _findings(_copy(tmp_path, am=no_second_channel, policy=watches_nothing)) == []


def test_a_heartbeat_that_sends_resolved_gets_the_extra_ping_in_its_bound(tmp_path: Path) -> None:
    """Default resend delay (6 min already) and send_resolved on: the finding names the extra term."""

    def resolved(doc: dict[str, Any]) -> None:
        next(r for r in doc["receivers"] if r["name"] == "heartbeat")["webhook_configs"][0]["send_resolved"] = True

    def default_resend(doc: dict[str, Any]) -> None:
        doc["prometheus"]["prometheusSpec"].pop("additionalArgs")

    findings = lint_meta(MonitoringConfig.load(_copy(tmp_path, am=resolved, values=default_resend)))
    assert [(f.what, f.check) for f in findings] == [("Heartbeat", "timers")]
    assert "its resolved message, a last ping: group_interval 30s" in findings[0].message
    assert "390s" in findings[0].message


def test_mutate_refuses_to_judge_with_a_lint_that_fails_the_unmutated_config(tmp_path: Path) -> None:
    """Else every Alertmanager mutant would be "killed" by a finding the config already had."""
    from alertdrill.check.mutate import run_mutation
    from alertdrill.errors import ConfigError

    def default_resend(doc: dict[str, Any]) -> None:
        doc["prometheus"]["prometheusSpec"].pop("additionalArgs")

    with pytest.raises(ConfigError, match="meta-monitoring lint: Heartbeat: with Prometheus down"):
        run_mutation(_copy(tmp_path, values=default_resend))
