"""FLUO's (redirected) Alertmanager config as a prometheus-operator AlertmanagerConfig, and the
config the operator would render from it into a cluster's Alertmanager.

Why both: on an existing cluster the operator owns the Alertmanager's config, and the way in that
changes nothing of the team's is an AlertmanagerConfig the Alertmanager object selects. The
operator does not take it verbatim (`pkg/alertmanager/amcfg.go` at v0.93): its route becomes the
first child of the team's root route with `continue: true` forced, its receivers are renamed
`<namespace>/<name>/<receiver>`, and unless the Alertmanager says `alertmanagerConfigMatcherStrategy:
None` a `namespace="<its namespace>"` matcher is added to that route and to every inhibit rule, so
an alert without a namespace label (FLUO's `absent()` alerts) never reaches FLUO's receivers.
`operator_rendered` builds that config so the real `amtool config routes test` can be asked
before anything is applied (cluster_alerting.py). Only what can be expressed is converted; any
other key is refused by name (the config Secret way takes a config as it is).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from alertdrill.config.routing import ROOT_TIMER_DEFAULTS
from alertdrill.errors import ConfigError
from alertdrill.stack.kube import manifests

ROUTE_KEYS = {
    "receiver": "receiver",
    "group_by": "groupBy",
    "group_wait": "groupWait",
    "group_interval": "groupInterval",
    "repeat_interval": "repeatInterval",
    "continue": "continue",
}
EMAIL_KEYS = {
    "to": "to",
    "from": "from",
    "smarthost": "smarthost",
    "hello": "hello",
    "auth_username": "authUsername",
    "auth_identity": "authIdentity",
    "html": "html",
    "text": "text",
    "require_tls": "requireTLS",
    "send_resolved": "sendResolved",
}
WEBHOOK_KEYS = {"url": "url", "send_resolved": "sendResolved", "max_alerts": "maxAlerts"}
PAGERDUTY_KEYS = {"url": "url", "send_resolved": "sendResolved", "description": "description"}
#: `global:` keys an email config falls back to, inlined (an AlertmanagerConfig has no global).
GLOBAL_EMAIL = {"smtp_from": "from", "smtp_hello": "hello", "smtp_require_tls": "requireTLS"}
_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')
#: Where the redirected config reads the sink's CA on kind (manifests.sink_targets).
CA_FILE = f"{manifests.AM_SECRETS_DIR}/{manifests.SINK_TLS_SECRET}/ca.pem"
ROUTING_KEY = "routing-key"


def _matchers(raw: list[str], where: str) -> list[dict[str, str]]:
    out = []
    for text in raw:
        m = _MATCHER.match(str(text))
        if m is None:
            raise ConfigError(f'{where}: matcher {text!r} is not `name<op>"value"`')
        # the operator escapes the value again when it renders it (Matcher.String)
        value = m.group(3).replace('\\"', '"').replace("\\\\", "\\")
        out.append({"name": m.group(1), "matchType": m.group(2), "value": value})
    return out


def _refuse_unknown(raw: dict[str, Any], known: set[str], where: str) -> None:
    extra = sorted(set(raw) - known)
    if extra:
        raise ConfigError(
            f"{where}: {', '.join(extra)} cannot be expressed as an AlertmanagerConfig; drill this config with "
            "--install alertmanager-config on an Alertmanager that selects no AlertmanagerConfig (its config "
            "Secret is replaced for the run and restored), or with --install monitoring"
        )


def _route(raw: dict[str, Any], where: str) -> dict[str, Any]:
    _refuse_unknown(raw, {*ROUTE_KEYS, "matchers", "routes"}, where)
    out = {ROUTE_KEYS[k]: copy.deepcopy(v) for k, v in raw.items() if k in ROUTE_KEYS}
    if raw.get("matchers"):
        out["matchers"] = _matchers(raw["matchers"], where)
    if raw.get("routes"):
        out["routes"] = [_route(child, f"{where}.routes[{i}]") for i, child in enumerate(raw["routes"])]
    return out


def _root(raw: dict[str, Any]) -> dict[str, Any]:
    """The config's root route as the CR's: what it leaves to Alertmanager's defaults written out,
    since under the team's root the CR's route would inherit the team's (`dispatch/route.go`)."""
    if not raw.get("group_by"):
        raise ConfigError(
            "route: no group_by at the root, which an AlertmanagerConfig cannot say (the operator drops an empty "
            "groupBy and the team's root's applies); set group_by there, or use the config Secret way"
        )
    return _route({**ROOT_TIMER_DEFAULTS, **raw}, "route")


def _email(raw: dict[str, Any], glob: dict[str, Any], where: str) -> dict[str, Any]:
    _refuse_unknown(raw, {*EMAIL_KEYS, "tls_config", "headers"}, where)
    out = {camel: glob[key] for key, camel in GLOBAL_EMAIL.items() if key in glob}
    out.update({EMAIL_KEYS[k]: v for k, v in raw.items() if k in EMAIL_KEYS})
    if raw.get("headers"):
        out["headers"] = [{"key": str(k), "value": str(v)} for k, v in raw["headers"].items()]
    tls = raw.get("tls_config") or {}
    _refuse_unknown(tls, {"ca_file", "server_name", "insecure_skip_verify"}, f"{where}.tls_config")
    if tls:
        pairs = (("serverName", tls.get("server_name")), ("insecureSkipVerify", tls.get("insecure_skip_verify")))
        out["tlsConfig"] = {k: v for k, v in pairs if v is not None}
        if tls.get("ca_file") == CA_FILE:
            out["tlsConfig"]["ca"] = {"secret": {"name": manifests.SINK_TLS_SECRET, "key": "ca.pem"}}
        elif tls.get("ca_file"):
            raise ConfigError(f"{where}.tls_config.ca_file {tls['ca_file']!r}: only the run's CA can be referenced")
    return out


def _pagerduty(raw: dict[str, Any], where: str, secret: str) -> dict[str, Any]:
    _refuse_unknown(raw, {*PAGERDUTY_KEYS, "routing_key"}, where)
    out = {PAGERDUTY_KEYS[k]: v for k, v in raw.items() if k in PAGERDUTY_KEYS}
    if "routing_key" in raw:  # a secret reference in the CRD: the run's own Secret carries it
        out["routingKey"] = {"name": secret, "key": ROUTING_KEY}
    return out


def _receiver(raw: dict[str, Any], glob: dict[str, Any], where: str, secret: str) -> dict[str, Any]:
    _refuse_unknown(raw, {"name", "email_configs", "webhook_configs", "pagerduty_configs"}, where)
    out: dict[str, Any] = {"name": raw["name"]}
    if raw.get("email_configs"):
        out["emailConfigs"] = [
            _email(c, glob, f"{where}.email_configs[{i}]") for i, c in enumerate(raw["email_configs"])
        ]
    if raw.get("webhook_configs"):
        out["webhookConfigs"] = [
            {WEBHOOK_KEYS[k]: v for k, v in c.items() if k in WEBHOOK_KEYS} for c in raw["webhook_configs"]
        ]
        for i, c in enumerate(raw["webhook_configs"]):
            _refuse_unknown(c, set(WEBHOOK_KEYS), f"{where}.webhook_configs[{i}]")
    if raw.get("pagerduty_configs"):
        out["pagerdutyConfigs"] = [
            _pagerduty(c, f"{where}.pagerduty_configs[{i}]", secret) for i, c in enumerate(raw["pagerduty_configs"])
        ]
    return out


def _inhibit(raw: dict[str, Any], where: str) -> dict[str, Any]:
    _refuse_unknown(raw, {"source_matchers", "target_matchers", "equal"}, where)
    out: dict[str, Any] = {
        "sourceMatch": _matchers(raw.get("source_matchers") or [], where),
        "targetMatch": _matchers(raw.get("target_matchers") or [], where),
    }
    if raw.get("equal"):
        out["equal"] = list(raw["equal"])
    return out


def alertmanager_config(am: dict[str, Any], name: str, namespace: str, labels: dict[str, str]) -> manifests.Manifest:
    """The AlertmanagerConfig (monitoring.coreos.com/v1alpha1) equivalent of `am`: its root route
    (timers and all) as the CR's route, every receiver and inhibit rule. `global.resolve_timeout`
    and templates stay the team's Alertmanager's (the CR cannot carry them)."""
    _refuse_unknown(am, {"global", "route", "receivers", "inhibit_rules"}, "alertmanager config")
    glob = am.get("global") or {}
    _refuse_unknown(glob, {"resolve_timeout", *GLOBAL_EMAIL, "smtp_smarthost"}, "alertmanager config: global")
    receivers = [_receiver(r, glob, f"receivers[{i}]", name) for i, r in enumerate(am.get("receivers") or [])]
    inhibit = [_inhibit(r, f"inhibit_rules[{i}]") for i, r in enumerate(am.get("inhibit_rules") or [])]
    return {
        "apiVersion": "monitoring.coreos.com/v1alpha1",
        "kind": "AlertmanagerConfig",
        "metadata": {"name": name, "namespace": namespace, "labels": {**manifests.MANAGED, **labels}},
        "spec": {"route": _root(am["route"]), "receivers": receivers, "inhibitRules": inhibit},
    }


def routing_keys_secret(am: dict[str, Any], name: str, namespace: str) -> manifests.Manifest | None:
    """The Secret the CR's PagerDuty routing keys point at (one key: they are the run's, redirected)."""
    keys = [c["routing_key"] for r in am.get("receivers") or [] for c in r.get("pagerduty_configs") or []]
    if not keys:
        return None
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(manifests.MANAGED)},
        "type": "Opaque",
        "stringData": {ROUTING_KEY: str(keys[0])},
    }


def namespaced(receiver: str, namespace: str, name: str) -> str:
    """How the operator names a CR's receiver in the rendered config."""
    return f"{namespace}/{name}/{receiver}"


def _rendered_route(am_route: dict[str, Any], namespace: str, name: str) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in am_route.items() if k in ROUTE_KEYS or k == "matchers"}
    if "receiver" in out:
        out["receiver"] = namespaced(out["receiver"], namespace, name)
    children = am_route.get("routes") or []
    if children:
        out["routes"] = [_rendered_route(c, namespace, name) for c in children]
    return out


def operator_rendered(
    team: dict[str, Any], am: dict[str, Any], namespace: str, name: str, namespace_matcher: bool
) -> dict[str, Any]:
    """The config the operator would run: the team's, with FLUO's route first under its root
    (`continue: true`; a `namespace` matcher unless the strategy is None), FLUO's receivers
    renamed and added, its inhibit rules namespaced likewise."""
    rendered = copy.deepcopy(team)
    top = _rendered_route(am["route"], namespace, name)
    top["continue"] = True
    ns_matcher = [f'namespace="{namespace}"'] if namespace_matcher else []
    top["matchers"] = [*(top.get("matchers") or []), *ns_matcher]
    rendered["route"] = {**rendered["route"], "routes": [top, *(rendered["route"].get("routes") or [])]}
    receivers = [
        {**copy.deepcopy(r), "name": namespaced(r["name"], namespace, name)} for r in am.get("receivers") or []
    ]
    rendered["receivers"] = [*(rendered.get("receivers") or []), *receivers]
    inhibit = [
        {
            **copy.deepcopy(r),
            "source_matchers": [*(r.get("source_matchers") or []), *ns_matcher],
            "target_matchers": [*(r.get("target_matchers") or []), *ns_matcher],
        }
        for r in am.get("inhibit_rules") or []
    ]
    rendered["inhibit_rules"] = [*(rendered.get("inhibit_rules") or []), *inhibit]
    for receiver in rendered["receivers"]:  # the redirected globals the CR inlines (see _email)
        for email in receiver.get("email_configs") or []:
            for key, field in (("smtp_from", "from"), ("smtp_require_tls", "require_tls")):
                if key in (am.get("global") or {}):
                    email.setdefault(field, am["global"][key])
    return rendered


def with_inline_ca(am: dict[str, Any], ca_pem: str) -> dict[str, Any]:
    """The config with the run's CA inline (`tls_config.ca`, Alertmanager 0.25+): an Alertmanager
    alertdrill did not install does not mount the run's CA Secret, so the file path cannot work."""
    out = copy.deepcopy(am)
    for receiver in out.get("receivers") or []:
        for email in receiver.get("email_configs") or []:
            tls = email.get("tls_config") or {}
            if tls.get("ca_file") == CA_FILE:
                del tls["ca_file"]
                tls["ca"] = ca_pem
    return out


RUN_LABEL = "alertdrill_run"


def with_run_token(am: dict[str, Any], run_id: str) -> dict[str, Any]:
    """The config with one route no alert matches (`alertdrill_run="<run>"`, last under the root):
    the Alertmanager's status then says this run's config is the one it runs, not an earlier one."""
    out = copy.deepcopy(am)
    inert = {"matchers": [f'{RUN_LABEL}="{run_id}"'], "receiver": out["route"]["receiver"]}
    out["route"]["routes"] = [*(out["route"].get("routes") or []), inert]
    return out
