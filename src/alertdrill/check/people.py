"""Offline checks of who a config pages and what they read: the SOP's contacts and escalation
timeline against every receiver's addresses and route timers, and every custom template rendered
with `amtool template render` against a sample alert of each rule that reaches it.

Why offline: the live drills prove the same on a running stack, but a mistyped address or a
template that renders an empty subject should fail `alertdrill check` in seconds, and a mutant
that breaks one must be killed without starting anything.
"""

from __future__ import annotations

import glob
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.config import routing
from alertdrill.config.durations import format_duration, parse_duration
from alertdrill.config.ruleset import AlertRule
from alertdrill.errors import ConfigError
from alertdrill.notify.message import NO_VALUE
from alertdrill.runtime.tools import run_tool

#: Email fields whose templates people read; the rest Alertmanager fills from its own defaults.
EMAIL_TEMPLATED = ("html", "text")
#: Names of Alertmanager's built-in templates (default.tmpl): `__subject`, `email.default.html`, ...
DEFAULT_TEMPLATE = re.compile(r"^(__\w+|\w+\.default\.\w+)$")


@dataclass(frozen=True)
class Contact:
    """An address a severity reaches, and when: `within` (first page) or `after` (escalation)."""

    address: str
    after_s: float | None = None
    within_s: float | None = None


@dataclass(frozen=True)
class PeopleFinding:
    file: str
    receiver: str
    check: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: receiver {self.receiver!r}: {self.message}; fix: {self.fix}"


def load_contacts(policy: dict[str, Any], where: str) -> dict[str, list[Contact]]:
    """`escalation_policies: {severity: [{notify: [addr], within|after: duration}, ...]}`."""
    out: dict[str, list[Contact]] = {}
    for severity, steps in (policy.get("escalation_policies") or {}).items():
        if not isinstance(steps, list):
            raise ConfigError(f"{where}: escalation_policies.{severity} must be a list of {{notify, within|after}}")
        contacts = []
        for i, step in enumerate(steps):
            here = f"{where}: escalation_policies.{severity}[{i}]"
            if not isinstance(step, dict) or not step.get("notify") or ("after" in step) == ("within" in step):
                raise ConfigError(f"{here} needs 'notify' (addresses) and one of 'within' or 'after' (a duration)")
            after = parse_duration(step["after"], here) if "after" in step else None
            within = parse_duration(step["within"], here) if "within" in step else None
            contacts += [Contact(str(a).lower(), after, within) for a in step["notify"]]
        out[str(severity)] = contacts
    return out


def contact_findings(am: dict[str, Any], am_file: str, contacts: dict[str, list[Contact]]) -> list[PeopleFinding]:
    """For each severity the policy names: exactly its contacts are emailed, each on its timer."""
    out: list[PeopleFinding] = []

    def finding(receiver: str, check: str, message: str, fix: str) -> None:
        out.append(PeopleFinding(am_file, receiver, check, message, fix))

    for severity, wanted in contacts.items():
        reached: dict[str, tuple[str, float]] = {}
        for m in routing.match_routes(am, {"alertname": "PolicyProbe", "severity": severity}):
            for address in routing.receiver_emails(am, m.receiver):
                reached.setdefault(address, (m.receiver, m.group_wait_s))
        for c in wanted:
            if c.address not in reached:
                finding(
                    "?",
                    "contacts",
                    f"SOP contact {c.address} is never emailed for severity {severity}",
                    f"add {c.address} to the `to:` of the receiver meant for it",
                )
                continue
            receiver, wait = reached[c.address]
            got = format_duration(wait)
            if c.after_s is not None and wait != c.after_s:
                want = format_duration(c.after_s)
                finding(
                    receiver,
                    "escalation",
                    f"emails {c.address} after {got} (its route's group_wait); the SOP "
                    f"says after {want} for {severity}",
                    f"set group_wait: {want} on that route",
                )
            if c.within_s is not None and wait > c.within_s:
                want = format_duration(c.within_s)
                finding(
                    receiver,
                    "escalation",
                    f"emails {c.address} only after {got}; the SOP says within {want} for {severity}",
                    f"lower that route's group_wait to {want} or less",
                )
        known = {c.address for c in wanted}
        for address, (receiver, _) in sorted(reached.items()):
            if address not in known:
                finding(
                    receiver,
                    "contacts",
                    f"emails {address}, not an SOP contact of severity {severity}",
                    f"correct the address, or add it to escalation_policies.{severity}",
                )
    return out


def _receivers(am: dict[str, Any], rule: AlertRule) -> set[str]:
    return {m.receiver for m in routing.match_routes(am, {**rule.labels, "alertname": rule.name})}


def _sample(rule: AlertRule, receiver: str) -> dict[str, Any]:
    labels = {"alertname": rule.name, **rule.labels, "job": "sample-job", "instance": "sample:9100"}
    annotations = {k: re.sub(r"\{\{.*?\}\}", "sample", v) for k, v in rule.annotations.items()}
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": annotations,
        "startsAt": "2026-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph",
    }
    return {
        "receiver": receiver,
        "status": "firing",
        "alerts": [alert],
        "groupLabels": {"alertname": rule.name},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "http://alertmanager.example",
    }


def _render(text: str, data: dict[str, Any], globs: list[str], kind: str, bin_path: str | None) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory(prefix="alertdrill-tmpl-") as tmp:
        stub = Path(tmp) / "defaults.tmpl"
        defined = set()
        for f in (f for g in globs for f in glob.glob(g)):
            defined |= set(re.findall(r'define\s+"([^"]+)"', Path(f).read_text(errors="replace")))
        used = {n for n in re.findall(r'template\s+"([^"]+)"', text) if DEFAULT_TEMPLATE.match(n)} - defined
        # Alertmanager's own default templates are compiled into it; amtool cannot render them, so
        # each one the text calls renders as a placeholder (they are known to render).
        stub.write_text("".join(f'{{{{ define "{n}" }}}}[{n}]{{{{ end }}}}' for n in sorted(used)) or "")
        data_file = Path(tmp) / "data.json"
        data_file.write_text(json.dumps(data))
        args = [
            "template",
            "render",
            f"--template.glob={stub}",
            *(f"--template.glob={g}" for g in globs),
            f"--template.data={data_file}",
            f"--template.type={kind}",
            f"--template.text={text}",
        ]
        proc = run_tool("amtool", args, bin_path=bin_path)
    return proc.returncode == 0, (proc.stdout if proc.returncode == 0 else proc.stderr).strip()


def _problem(field: str, ok: bool, rendered: str) -> tuple[str, str] | None:
    if not ok:
        return f"fails to render: {rendered}", "fix the template (amtool template render reproduces it)"
    if field.lower() == "headers.subject" and not rendered.strip():
        return "renders an empty subject", "make the subject name the alert (e.g. {{ .CommonLabels.alertname }})"
    if NO_VALUE in rendered:
        return f"prints {NO_VALUE!r}", "read only labels and annotations every alert of that receiver has"
    return None


def template_findings(
    am: dict[str, Any], am_path: Path, rules: list[AlertRule], bin_path: str | None
) -> list[PeopleFinding]:
    """Every custom email template, rendered for a sample alert of each rule routed to its receiver."""
    globs = [str((am_path.parent / t) if not Path(t).is_absolute() else t) for t in am.get("templates") or []]
    out: list[PeopleFinding] = []
    for item in am.get("receivers") or []:
        name = str(item.get("name"))
        # a receiver no rule reaches (a catch-all) is still read: render it for a sample alert
        routed = [r for r in rules if name in _receivers(am, r)] or [AlertRule("SampleAlert", "", 0.0)]
        for i, conf in enumerate(item.get("email_configs") or []):
            fields = [(f, str(conf[f]), "html" if f == "html" else "text") for f in EMAIL_TEMPLATED if f in conf]
            fields += [(f"headers.{h}", str(v), "text") for h, v in (conf.get("headers") or {}).items()]
            for field, text, kind in fields:
                results = [
                    (r.name, _problem(field, *_render(text, _sample(r, name), globs, kind, bin_path))) for r in routed
                ]
                failing = [(rule, p) for rule, p in results if p]
                if failing:
                    (first, (message, fix)), more = failing[0], len(failing) - 1
                    also = f" (and {more} more alert{'s' if more > 1 else ''})" if more else ""
                    where = f"email_configs[{i}].{field} for {first}{also}"
                    out.append(PeopleFinding(str(am_path), name, "template", f"{where} {message}", fix))
    return out
