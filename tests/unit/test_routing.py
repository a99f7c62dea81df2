import subprocess
from pathlib import Path

import pytest

from alertdrill.config import routing
from alertdrill.errors import ConfigError
from alertdrill.notify.redirect import SinkTargets, redirect_receivers
from alertdrill.runtime.binaries import find_binary

REPO = Path(__file__).resolve().parents[2]
AM = REPO / "monitoring" / "alertmanager" / "alertmanager.yml"


@pytest.fixture
def am() -> dict:
    return routing.load_alertmanager_config(AM)


def test_redirect_changes_only_the_last_hop_of_each_integration(am: dict) -> None:
    doc = {
        "global": {"smtp_smarthost": "smtp.example.com:587", "smtp_require_tls": True, "slack_api_url": "https://x"},
        "route": am["route"],
        "templates": ["tmpl/*.tmpl"],
        "receivers": [
            {"name": "mail", "email_configs": [
                {"to": "a@b", "html": "{{ .Status }}"},
                {"to": "c@d", "send_resolved": True,
                 "tls_config": {"server_name": "smtp.example.com", "min_version": "TLS12"}},
            ]},
            {"name": "pager", "pagerduty_configs": [{"routing_key": "x"}]},
            {"name": "chat", "slack_configs": [{"channel": "#ops"}], "opsgenie_configs": [{"api_key": "k"}]},
            {"name": "phone", "pushover_configs": [{"user_key": "u", "token": "t"}]},
            {"name": "null"},
        ],
    }  # fmt: skip
    targets = SinkTargets("http://127.0.0.1:1", lambda r: f"127.0.0.1:{len(r)}", "/run/ca.pem", Path("/cfg"))
    out = redirect_receivers(doc, targets)
    rx = {r["name"]: r for r in out["receivers"]}
    mail = rx["mail"]["email_configs"]
    assert [m["smarthost"] for m in mail] == ["127.0.0.1:4", "127.0.0.1:4"]  # one listener per receiver
    assert [m["to"] for m in mail] == ["a@b", "c@d"] and mail[0]["html"] == "{{ .Status }}"  # content as written
    assert "send_resolved" not in mail[0] and mail[1]["send_resolved"] is True  # defaults kept as Alertmanager's
    assert mail[1]["tls_config"] == {"ca_file": "/run/ca.pem", "min_version": "TLS12"}  # TLS kept, the run CA added
    assert "smtp_smarthost" not in out["global"] and out["global"]["smtp_require_tls"] is True
    assert out["global"]["slack_api_url"].startswith("http://127.0.0.1:1/")  # no real endpoint left anywhere
    assert rx["pager"]["pagerduty_configs"] == [
        {"routing_key": "x", "url": "http://127.0.0.1:1/receiver/pager/pagerduty-0"}
    ]
    assert rx["chat"]["slack_configs"][0]["api_url"] == "http://127.0.0.1:1/receiver/chat/slack-0"
    assert rx["chat"]["opsgenie_configs"][0]["api_url"] == "http://127.0.0.1:1/receiver/chat/opsgenie-0/"
    assert rx["phone"]["webhook_configs"] == [
        {"url": "http://127.0.0.1:1/receiver/phone/stand-in-pushover-0", "send_resolved": True}
    ]
    assert "pushover_configs" not in rx["phone"] and "webhook_configs" not in rx["null"]
    assert out["templates"] == ["/cfg/tmpl/*.tmpl"]
    assert out["route"] == am["route"]


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
        (
            "critical",
            [
                "critical-oncall",
                "critical-senior-engineer",
                "critical-engineering-manager",
                "critical-engineering-director",
            ],
        ),
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
