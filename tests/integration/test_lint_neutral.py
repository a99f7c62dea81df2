"""Neutral means neutral (issue 29): on rule sets of our own shaped like public mixins — none of
them FLUO's — the metric and job lints know only what the config itself tells (its recording
rules and its tests' series) or what the team declares (policy.yml's exporters, metrics.yml, a
live Prometheus). Unknown is not wrong; a near miss of a known name is a typo; suggestions never
come from another team's names. Real promtool runs the configs' own tests (check.run_check)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import httpx
import pytest
import yaml

from alertdrill.check.lint import Finding
from alertdrill.check.suite import run_check
from alertdrill.runtime.binaries import find_binary
from tests.conftest import REPO

pytestmark = pytest.mark.integration

NEUTRAL = REPO / "tests" / "fixtures" / "neutral"
MIXIN_SHAPED = ("etcd-like", "node-like", "app-like")


def _names_findings(root: Path, features: Path, prometheus_url: str | None = None) -> list[Finding]:
    report = run_check(root, features, prometheus_url=prometheus_url)
    return [f for f in report.findings if f.check in ("metric", "job")]


def _fluo_metric_names() -> set[str]:
    catalog = yaml.safe_load(resources.files("alertdrill.check").joinpath("catalog.yml").read_text())
    return {n for group, names in catalog["exact"].items() if group.startswith("fluo-") for n in names}


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(NEUTRAL / name, dest)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("name", MIXIN_SHAPED)
def test_no_metric_or_job_finding_on_a_mixin_shaped_config_with_no_policy(name: str, tmp_path: Path) -> None:
    """Their rules read metrics and jobs no test feeds in (grpc_server_handling_seconds_bucket,
    node_timex_sync_status, checkout_queue_depth, job="etcd"): nothing declares them either way."""
    assert _names_findings(NEUTRAL / name, tmp_path) == []


def test_a_typo_of_a_name_the_config_knows_is_found_with_the_configs_own_suggestion(tmp_path: Path) -> None:
    root = _copy("etcd-like", tmp_path)
    _edit(root / "alerts.yaml", "etcd_server_has_leader{", "etcd_server_has_leadr{")  # the tests feed the right one
    (finding,) = _names_findings(root, tmp_path)
    assert finding.rule == "EtcdNoLeader"
    assert (
        finding.message == "metric etcd_server_has_leadr is unknown to this config, but etcd_server_has_leader is known"
    )
    assert finding.fix == "did you mean etcd_server_has_leader?"


def test_a_typo_of_a_name_nothing_declares_is_unknown_not_wrong_until_declared(tmp_path: Path) -> None:
    root = _copy("etcd-like", tmp_path)
    _edit(root / "alerts.yaml", "grpc_server_handling_seconds_bucket", "grpc_server_handling_secnds_bucket")
    assert _names_findings(root, tmp_path) == []  # no test, rule or declaration knows either spelling
    (root / "metrics.yml").write_text(
        "metrics: [etcd_network_peer_round_trip_time_seconds_bucket, grpc_server_handling_seconds_bucket]\n"
        "jobs: [etcd]\n"
    )
    (finding,) = _names_findings(root, tmp_path)
    assert finding.message.startswith("metric grpc_server_handling_secnds_bucket is produced by no exporter in play")
    assert finding.fix == "did you mean grpc_server_handling_seconds_bucket?"


def test_a_job_typo_is_found_once_the_config_knows_the_job(tmp_path: Path) -> None:
    root = _copy("node-like", tmp_path)
    _edit(root / "rules" / "node.yml", 'node_timex_sync_status{job="node"}', 'node_timex_sync_status{job="nodes"}')
    (finding,) = _names_findings(root, tmp_path)  # the tests feed job="node"
    assert (finding.rule, finding.check) == ("NodeClockNotSynchronising", "job")
    assert finding.fix == "did you mean 'node'?"


def test_suggestions_never_come_from_fluos_names(tmp_path: Path) -> None:
    """The old catalog suggested FLUO's worker_job_duration_seconds_bucket for another team's metric."""
    root = _copy("app-like", tmp_path)
    _edit(
        root / "prometheus_alerts.yaml", "api_request_duration_seconds_bucket", "worker_request_duration_seconds_bucket"
    )
    (root / "metrics.yml").write_text("metrics: [api_request_duration_seconds_bucket, checkout_queue_depth]\n")
    (finding,) = _names_findings(root, tmp_path)
    assert finding.fix == "did you mean api_request_duration_seconds_bucket?"
    assert not any(name in finding.fix for name in _fluo_metric_names())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_prometheus(tmp_path: Path) -> Iterator[str]:
    """A real Prometheus on 127.0.0.1 scraping itself (job="prometheus") once a second."""
    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s}\n"
        f"scrape_configs: [{{job_name: prometheus, static_configs: [{{targets: ['127.0.0.1:{port}']}}]}}]\n"
    )
    proc = subprocess.Popen(
        [str(find_binary("prometheus")), f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--scrape.discovery-reload-interval=1s", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until its own series are in (first scrape)
            try:
                names = httpx.get(f"{url}/api/v1/label/__name__/values", timeout=2).json().get("data") or []
                if "prometheus_build_info" in names:
                    break
            except (httpx.HTTPError, ValueError):  # not up yet, or up but not ready: 503 "Service Unavailable"
                pass
            time.sleep(0.2)
        else:
            pytest.fail(f"Prometheus at {url} had not scraped itself after 30 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_with_a_live_prometheus_a_series_it_lacks_is_a_finding_and_one_it_has_is_not(
    live_prometheus: str, tmp_path: Path
) -> None:
    root = _copy("etcd-like", tmp_path)
    _edit(root / "alerts.yaml", 'etcd_network_peer_round_trip_time_seconds_bucket{job="etcd"}',
          'prometheus_http_request_duration_seconds_bucket{job="prometheus"}')  # fmt: skip
    report = run_check(root, tmp_path, prometheus_url=live_prometheus)
    assert report.universe.startswith(f"the series and jobs Prometheus at {live_prometheus} has")
    found = {(f.rule, f.message) for f in report.findings if f.check in ("metric", "job")}
    missing = f"is not in Prometheus at {live_prometheus}"
    assert ("EtcdGRPCRequestsSlow", f"metric grpc_server_handling_seconds_bucket {missing}") in found
    assert not any(rule == "EtcdMemberCommunicationSlow" for rule, _ in found)  # a series it has, in a job it has
    assert not any(rule == "EtcdNoLeader" for rule, _ in found)  # the config's own tests feed etcd_server_has_leader
