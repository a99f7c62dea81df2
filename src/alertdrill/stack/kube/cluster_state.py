"""What a kind cluster keeps across the runs that reuse it: the sink's CA and key pair, and
Grafana's admin password.

Why: a reused cluster keeps what a run left (`--keep-stack`): the recorder pod serves the
certificate it started with and Grafana keeps the admin password of its first start (it is stored
in Grafana's database, not read from the Secret again). A run that issued a new CA or a new
password would find STARTTLS to the sink refused and the dashboard login wrong. So they live with
the cluster (under the state dir, 0600) and are forgotten when the cluster is created anew.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import shutil
import time
from pathlib import Path

from alertdrill.runtime.tlsca import issue_run_certificates
from alertdrill.settings import Settings

GRAFANA_PASSWORD = "grafana-admin-password"
KEPT_VALIDITY = dt.timedelta(days=90)
RENEW_BEFORE = dt.timedelta(days=1)

log = logging.getLogger(__name__)


def cluster_state_dir(settings: Settings) -> Path:
    return settings.state_dir / "kind" / settings.kube.cluster_name


def forget(state: Path) -> None:
    """A new cluster: nothing of an earlier one is kept."""
    shutil.rmtree(state, ignore_errors=True)


def kept_tls(state: Path, hosts: list[str]) -> Path:
    """The cluster's CA and the sink's key pair, issued on its first run for as long as a kind
    cluster is reasonably kept (KEPT_VALIDITY); an older one is forgotten with its cluster
    (`kind delete cluster`), or by deleting this directory."""
    tls = state / "tls" / hosts[0]  # the sink's name carries the namespace: one pair per namespace
    ca = tls / "ca.pem"
    renew = ca.is_file() and time.time() - ca.stat().st_mtime > (KEPT_VALIDITY - RENEW_BEFORE).total_seconds()
    if renew or not ca.is_file():  # a renewed pair needs the cluster's recorder restarted: rare, said
        if renew:
            log.warning("the kept sink certificate of %s expires soon: issuing a new one", state.name)
        issue_run_certificates(tls, hosts, KEPT_VALIDITY)
    return tls


def kept_grafana_password(state: Path) -> str:
    """Grafana's admin password as its first start on this cluster set it."""
    path = state / GRAFANA_PASSWORD
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(24)
    path.write_text(password)
    path.chmod(0o600)
    return password
