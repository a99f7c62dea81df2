"""Receiver redirection: the last hop of every integration points at alertdrill's sinks, nothing else.

Why redirect rather than replace the tree: the drill must test the real routing tree — muting,
inhibition, grouping, `continue`, `send_resolved` — and the real integrations: email keeps its
addresses, templates, headers and TLS requirement (only the smarthost changes, and the run's CA is
added to its `tls_config`); webhook, Slack, PagerDuty and Opsgenie keep their payloads (only their
URL changes). Integrations alertdrill cannot receive natively become a stand-in webhook, which the
report labels as such.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alertdrill.config.routing import SEND_RESOLVED_DEFAULT
from alertdrill.notify.integrations import KINDS


@dataclass(frozen=True)
class SinkTargets:
    """Where a stack's Alertmanager reaches alertdrill: the recorder's base URL, and per receiver
    the SMTP smarthost (`host:port`), with the CA file that signs the sink's certificate."""

    http_url: str
    smarthost: Callable[[str], str]
    ca_file: str | None
    #: Directory the config's relative `templates:` paths are relative to.
    config_dir: Path | None = None


def _http_url(targets: SinkTargets, receiver: str, integration: str, suffix: str = "") -> str:
    return f"{targets.http_url}/receiver/{quote(receiver, safe='')}/{integration}{suffix}"


def _email(conf: dict[str, Any], targets: SinkTargets, receiver: str) -> dict[str, Any]:
    conf["smarthost"] = targets.smarthost(receiver)
    if targets.ca_file:
        tls = dict(conf.get("tls_config") or {})
        tls["ca_file"] = targets.ca_file
        tls.pop("server_name", None)  # the sink's certificate names the host it is dialled at
        conf["tls_config"] = tls
    return conf


def redirect_receivers(doc: dict[str, Any], targets: SinkTargets) -> dict[str, Any]:
    """The config with every integration pointed at the sinks; `send_resolved` kept as it is."""
    out = copy.deepcopy(doc)
    glob = out.setdefault("global", {}) or {}
    out["global"] = glob
    glob.pop("smtp_smarthost", None)  # every email_config gets its own below
    for kind in KINDS.values():  # a global URL would otherwise supply a real endpoint
        if kind.global_url_key and kind.global_url_key in glob:
            glob[kind.global_url_key] = f"{targets.http_url}/unrouted/{kind.name}"
    if targets.config_dir is not None and out.get("templates"):
        out["templates"] = [str(targets.config_dir / t) for t in out["templates"]]
    for receiver in out.get("receivers") or []:
        name = str(receiver["name"])
        stand_ins = []
        for key in [k for k in receiver if k.endswith("_configs")]:
            kind = key.removesuffix("_configs")
            if kind == "email":
                receiver[key] = [_email(dict(c), targets, name) for c in receiver[key] or []]
            elif kind in KINDS:
                url_key = KINDS[kind].url_key
                for i, conf in enumerate(receiver[key] or []):
                    conf.pop(f"{url_key}_file", None)
                    conf[url_key] = _http_url(targets, name, f"{kind}-{i}", KINDS[kind].url_suffix)
            else:
                for i, conf in enumerate(receiver.pop(key) or []):
                    sends = conf.get("send_resolved", SEND_RESOLVED_DEFAULT.get(key, True))
                    url = _http_url(targets, name, f"stand-in-{kind}-{i}")
                    stand_ins.append({"url": url, "send_resolved": bool(sends)})
        if stand_ins:
            receiver["webhook_configs"] = list(receiver.get("webhook_configs") or []) + stand_ins
    return out
