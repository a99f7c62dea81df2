import subprocess
from pathlib import Path

import pytest

from alertdrill.config import routing
from alertdrill.errors import ConfigError
from alertdrill.notify.redirect import redirect_receivers
from alertdrill.runtime.binaries import find_binary

REPO = Path(__file__).resolve().parents[2]
AM = REPO / "monitoring" / "alertmanager" / "alertmanager.yml"


@pytest.fixture
def am() -> dict:
    return routing.load_alertmanager_config(AM)


def test_redirect_keeps_tree_and_send_resolved(am: dict) -> None:
    doc = {
        "route": am["route"],
        "receivers": [
            {"name": "mail", "email_configs": [{"to": "a@b"}, {"to": "c@d", "send_resolved": True}]},
            {"name": "pager", "pagerduty_configs": [{"routing_key": "x"}]},
            {"name": "null"},
        ],
    }
    out = redirect_receivers(doc, "http://127.0.0.1:1")
    hooks = {r["name"]: r.get("webhook_configs") for r in out["receivers"]}
    assert [h["send_resolved"] for h in hooks["mail"]] == [False, True]  # email defaults to False
    assert hooks["pager"][0]["send_resolved"] is True
    assert hooks["mail"][0]["url"] == "http://127.0.0.1:1/receiver/mail?integration=email-0"
    assert hooks["null"] is None
    assert out["route"] == am["route"]
    assert "email_configs" not in out["receivers"][0]


def test_scale_timers_makes_root_defaults_explicit(am: dict) -> None:
    scaled = routing.scale_timers({"route": {"receiver": "x"}, "receivers": [{"name": "x"}]}, 60)
    assert scaled["route"] == {
        "receiver": "x",
        "group_wait": "500ms",
        "group_interval": "5s",
        "repeat_interval": "4m",
    }
    medium = routing.scale_timers(am, 60)["route"]["routes"][-1]
    assert medium["group_wait"] == "4m"


@pytest.mark.parametrize(
    ("severity", "receivers"),
    [
        ("critical", ["critical-oncall"]),
        ("high", ["high-oncall", "high-team-lead"]),
        ("medium", ["medium-oncall"]),
        ("low", ["oncall-primary"]),
    ],
)
def test_route_matching_agrees_with_amtool(am: dict, severity: str, receivers: list[str]) -> None:
    ours = [m.receiver for m in routing.match_routes(am, {"alertname": "X", "severity": severity})]
    amtool = subprocess.run(
        [
            str(find_binary("amtool")),
            "config",
            "routes",
            "test",
            f"--config.file={AM}",
            f"severity={severity}",
            "alertname=X",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert ours == receivers == amtool.stdout.strip().split(",")


def test_medium_is_deferred_four_hours(am: dict) -> None:
    (match,) = routing.match_routes(am, {"severity": "medium"})
    assert match.group_wait_s == 4 * 3600


def test_undefined_receiver_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "am.yml"
    bad.write_text("route: {receiver: nobody}\nreceivers: [{name: somebody}]\n")
    with pytest.raises(ConfigError, match=r"am.yml: route uses undefined receiver 'nobody'"):
        routing.load_alertmanager_config(bad)
