"""Mutants of a team's rules and Alertmanager config: small, plausible mistakes.

Rule mutants: threshold doubled/halved (or ±1 at zero), comparison flipped, `for` ×10 and 0,
severity/priority values swapped, a label dropped, each matcher changed (value, negation, each
regex alternative dropped), the metric renamed. Config mutants: routes reversed, a route's
matcher value changed, a route's receiver swapped, `continue` removed, group_wait far too long or
too short or halved, `send_resolved` off on one integration, an email address mistyped, a subject
template broken, an inhibit rule widened. Expressions are edited through the PromQL
syntax tree and printed with `str()`; nothing is a regex on the text.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import promql_parser as pp
import yaml

from alertdrill.config.durations import format_duration
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.config.promql import _OPS

FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "!=", "!=": "=="}
OTHER_SEVERITY = {"critical": "high", "high": "medium", "medium": "critical", "warning": "critical"}
OTHER_PRIORITY = {"P0": "P1", "P1": "P2", "P2": "P0"}


@dataclass(frozen=True)
class Mutant:
    kind: str  # "rules" or "alertmanager"
    target: str  # alert or route/receiver it touches
    description: str
    document: dict[str, Any]  # the whole mutated file
    file_index: int = 0  # which rule file (rules mutants)
    rule: tuple[int, int] = (-1, -1)  # its (group, rule) positions in that file (rules mutants)

    @property
    def rule_id(self) -> tuple[int, int, int]:
        return (self.file_index, *self.rule)


def _num(value: float) -> str:
    return f"{value:g}"


SET_OPS = ("and", "or", "unless")


def regex_alternatives(pattern: str) -> list[str]:
    """The top-level `|` alternatives of a regex: `(cpu|requests.cpu)|mem` → ["(cpu|requests.cpu)", "mem"]
    (an alternation inside parentheses, brackets or braces, or an escaped `\\|`, is one piece)."""
    parts, depth, current, escaped = [], 0, "", False
    for ch in pattern:
        if escaped:
            current, escaped = current + ch, False
            continue
        if ch == "\\":
            current, escaped = current + ch, True
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def _binary_mutants(node: Any, printed: str) -> Iterator[tuple[str, str]]:
    """Mutants of one binary expression anywhere in the tree: a comparison's threshold and operator,
    a set operator's clause dropped (`a or b` → `a`, → `b`; `a unless b` → `a`)."""
    text, op = str(node), str(node.op)
    if text not in printed:
        return
    if op in FLIP and isinstance(node.rhs, pp.NumberLiteral):
        value = float(node.rhs.val)
        head = text[: text.rfind(str(node.rhs))] if str(node.rhs) in text else None
        if head is not None:
            for new in (value * 2, value / 2) if value else (1.0, -1.0):
                yield f"threshold {_num(value)} -> {_num(new)}", printed.replace(text, head + _num(new), 1)
        lhs = str(node.lhs)
        if text.startswith(lhs) and f" {op} " in text[len(lhs) :]:
            flipped = lhs + text[len(lhs) :].replace(f" {op} ", f" {FLIP[op]} ", 1)
            yield f"comparison {op} -> {FLIP[op]}", printed.replace(text, flipped, 1)
    elif op in SET_OPS:
        lhs, rhs = str(node.lhs).strip(), str(node.rhs).strip()
        yield f"{op} clause {_short(rhs)} dropped", printed.replace(text, lhs, 1)
        if op != "unless":
            yield f"{op} clause {_short(lhs)} dropped", printed.replace(text, rhs, 1)


def _short(expr: str, width: int = 60) -> str:
    return expr if len(expr) <= width else expr[: width - 1] + "…"


def expr_mutants(expr: str) -> Iterator[tuple[str, str]]:
    """(description, mutated expression) for one PromQL expression, each distinct and not a no-op."""
    tree = pp.parse(expr)
    printed = str(tree)
    seen = {printed}
    for desc, mutated in _all_expr_mutants(tree, printed):
        if mutated not in seen:
            seen.add(mutated)
            yield desc, mutated


def _all_expr_mutants(tree: Any, printed: str) -> Iterator[tuple[str, str]]:
    nodes: list[Any] = []
    pp.walk(tree, lambda n: nodes.append(n) if isinstance(n, pp.BinaryExpr | pp.VectorSelector) else None)
    for node in nodes:
        if isinstance(node, pp.BinaryExpr):
            yield from _binary_mutants(node, printed)
    selectors = [n for n in nodes if isinstance(n, pp.VectorSelector)]
    for sel in selectors:
        old = str(sel)
        shared = sum(1 for other in selectors if other.name == sel.name) > 1
        if sel.name:
            yield (
                f"metric {sel.name} renamed" + (f" in {old}" if shared else ""),
                printed.replace(old, old.replace(sel.name, sel.name + "_mutant", 1), 1),
            )
        for m in sel.matchers.matchers:
            if m.name == "__name__":
                continue
            op = _OPS.get(str(m.op), "=")
            text = f'{m.name}{op}"{m.value}"'
            if text not in old:
                continue
            negated = {"=": "!=", "!=": "=", "=~": "!~", "!~": "=~"}[op]
            where = f" in {sel.name or old}" if sum(text in str(o) for o in selectors) > 1 else ""
            variants = [
                (f"matcher {text}{where} value changed", f'{m.name}{op}"{m.value}x"'),
                (f"matcher {text}{where} negated", f'{m.name}{negated}"{m.value}"'),
            ]
            parts = regex_alternatives(m.value) if op in ("=~", "!~") else []
            for i, part in enumerate(parts if len(parts) > 1 else []):
                rest = "|".join(parts[:i] + parts[i + 1 :])
                variants.append((f"matcher {text}{where} without {part!r}", f'{m.name}{op}"{rest}"'))
            for desc, replacement in variants:
                yield desc, printed.replace(old, old.replace(text, replacement, 1), 1)


def rule_mutants(documents: list[dict[str, Any]]) -> Iterator[Mutant]:
    for fi, doc in enumerate(documents):
        for gi, group in enumerate(doc["groups"]):
            for ri, rule in enumerate(group.get("rules") or []):
                # a recording rule's mistake reaches every alert and test that reads its series
                name = str(rule["alert"]) if "alert" in rule else f"record {rule.get('record')}"

                def mutant(desc: str, edit: Any, fi: int = fi, gi: int = gi, ri: int = ri, name: str = name) -> Mutant:
                    new = copy.deepcopy(documents[fi])
                    edit(new["groups"][gi]["rules"][ri])
                    return Mutant("rules", name, desc, new, fi, (gi, ri))

                for desc, expr in expr_mutants(str(rule["expr"])):
                    yield mutant(desc, lambda r, e=expr: r.__setitem__("expr", e))
                if "alert" not in rule:
                    continue
                if rule.get("for") is not None and _seconds(rule["for"]) > 0:  # `for: 0m` has no edit to make
                    yield mutant(f"for {rule['for']} -> x10", lambda r: r.__setitem__("for", _times(r["for"], 10)))
                    yield mutant(f"for {rule['for']} -> 0s", lambda r: r.__setitem__("for", "0s"))
                labels = rule.get("labels") or {}
                for key, table in (("severity", OTHER_SEVERITY), ("priority", OTHER_PRIORITY)):
                    if key in labels:
                        other = table.get(str(labels[key]), "mutant")
                        yield mutant(
                            f"{key} {labels[key]} -> {other}",
                            lambda r, k=key, v=other: r["labels"].__setitem__(k, v),
                        )
                        yield mutant(f"label {key} dropped", lambda r, k=key: r["labels"].pop(k))


def _times(duration: Any, factor: float) -> str:
    from alertdrill.config.durations import format_duration, parse_duration

    return format_duration(parse_duration(duration) * factor)


def distinct(mutants: Iterator[Mutant] | list[Mutant], originals: dict[tuple[str, int], Any]) -> list[Mutant]:
    """Each mutated document once, and none equal to the original (an edit that changes nothing)."""
    import json

    seen = {json.dumps(doc, sort_keys=True, default=str) for doc in originals.values()}
    out = []
    for m in mutants:
        key = json.dumps(m.document, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def config_mutants(doc: dict[str, Any]) -> Iterator[Mutant]:
    names = [str(r["name"]) for r in doc.get("receivers") or []]

    def mutant(target: str, desc: str, edit: Any) -> Mutant:
        new = copy.deepcopy(doc)
        edit(new)
        return Mutant("alertmanager", target, desc, new)

    children = doc["route"].get("routes") or []
    if len(children) > 1:
        yield mutant("route", "child routes in reverse order", lambda d: d["route"]["routes"].reverse())
    for i, child in enumerate(children):
        where = f"route.routes[{i}]"
        for j, text in enumerate(child.get("matchers") or []):
            yield mutant(
                where,
                f"matcher {text} value changed",
                lambda d, i=i, j=j, t=text: d["route"]["routes"][i]["matchers"].__setitem__(
                    j, t.rstrip('"') + 'x"' if t.endswith('"') else t + "x"
                ),
            )
        receiver = child.get("receiver")
        if receiver is not None:
            other = next((n for n in names if n != receiver), None)
            if other:
                yield mutant(
                    where,
                    f"receiver {receiver} -> {other}",
                    lambda d, i=i, o=other: d["route"]["routes"][i].__setitem__("receiver", o),
                )
        if child.get("continue"):
            yield mutant(where, "continue removed", lambda d, i=i: d["route"]["routes"][i].pop("continue"))
        wait = "30s" if child.get("group_wait") and _seconds(child["group_wait"]) >= 3600 else "4h"
        yield mutant(
            where,
            f"group_wait {child.get('group_wait', 'inherited')} -> {wait}",
            lambda d, i=i, w=wait: d["route"]["routes"][i].__setitem__("group_wait", w),
        )
    yield from _people_mutants(doc, mutant)
    for r, receiver in enumerate(doc.get("receivers") or []):
        for key, integrations in receiver.items():
            if not key.endswith("_configs"):
                continue
            for k in range(len(integrations or [])):
                yield mutant(
                    f"receiver {receiver['name']}",
                    f"{key}[{k}] send_resolved off",
                    lambda d, r=r, key=key, k=k: d["receivers"][r][key][k].__setitem__("send_resolved", False),
                )


#: What a silenced heartbeat evaluates to: never true, as if the rule were gone.
NEVER = "vector(1) unless vector(1)"


def meta_mutants(config: MonitoringConfig) -> Iterator[Mutant]:
    """The ways a heartbeat stops telling anyone (configs whose policy.yml names one): its rule
    silenced, its route removed, its repeat_interval as long as the detection limit, `continue`
    dropped on a route just before it, its service reached by email (through the mail relay)."""
    hb = config.meta.heartbeat if config.meta else None
    if hb is None or config.meta is None:
        return
    for fi, rf in enumerate(config.rule_files):
        for gi, group in enumerate(rf.document.get("groups") or []):
            for ri, rule in enumerate(group.get("rules") or []):
                if rule.get("alert") == hb.alert:
                    new = copy.deepcopy(rf.document)
                    new["groups"][gi]["rules"][ri]["expr"] = NEVER
                    yield Mutant("rules", hb.alert, "heartbeat rule silenced (never fires)", new, fi, (gi, ri))
    doc = config.alertmanager
    children = doc["route"].get("routes") or []
    at = next((i for i, c in enumerate(children) if c.get("receiver") == hb.receiver), None)

    def mutant(desc: str, edit: Any) -> Mutant:
        new = copy.deepcopy(doc)
        edit(new)
        return Mutant("alertmanager", f"heartbeat {hb.receiver}", desc, new)

    if at is not None:
        yield mutant("heartbeat route removed", lambda d: d["route"]["routes"].pop(at))
        limit = format_duration(config.meta.detection_limit_s)
        yield mutant(
            f"heartbeat repeat_interval -> {limit}",
            lambda d: d["route"]["routes"][at].__setitem__("repeat_interval", limit),
        )
        if at > 0 and children[at - 1].get("continue"):
            yield mutant(
                "continue removed on the route before the heartbeat's",
                lambda d: d["route"]["routes"][at - 1].pop("continue"),
            )
    for r, receiver in enumerate(doc.get("receivers") or []):
        if receiver.get("name") == hb.receiver and receiver.get("webhook_configs"):

            def by_email(d: dict[str, Any], r: int = r) -> None:
                d["receivers"][r].pop("webhook_configs")
                d["receivers"][r]["email_configs"] = [{"to": "heartbeat@heartbeat.invalid", "send_resolved": False}]

            yield mutant("heartbeat sent by email (through the mail relay)", by_email)


#: A subject that reads an annotation no rule has: it renders empty (Alertmanager prints nothing).
BROKEN_SUBJECT = "{{ .CommonAnnotations.summry }}"


def _people_mutants(doc: dict[str, Any], mutant: Any) -> Iterator[Mutant]:
    """Who is paged and what they read: an address mistyped, a subject template broken, an
    escalation timer halved, an inhibit rule widened (its `equal` or target matchers dropped)."""
    for r, receiver in enumerate(doc.get("receivers") or []):
        target = f"receiver {receiver['name']}"
        for k, conf in enumerate(receiver.get("email_configs") or []):
            first = str(conf.get("to", "")).split(",")[0].strip()
            if "@" in first:
                typo = first.replace("@", "s@", 1)
                yield mutant(
                    target,
                    f"email_configs[{k}] address {first} -> {typo}",
                    lambda d, r=r, k=k, a=first, t=typo: d["receivers"][r]["email_configs"][k].__setitem__(
                        "to", str(d["receivers"][r]["email_configs"][k]["to"]).replace(a, t, 1)
                    ),
                )
            yield mutant(
                target,
                f"email_configs[{k}] subject template broken",
                lambda d, r=r, k=k: (
                    d["receivers"][r]["email_configs"][k]
                    .setdefault("headers", {})
                    .__setitem__("Subject", BROKEN_SUBJECT)
                ),
            )
    for i, child in enumerate(doc["route"].get("routes") or []):
        wait = child.get("group_wait")
        if wait and _seconds(wait) >= 60:
            half = _times(wait, 0.5)
            yield mutant(
                f"route.routes[{i}]",
                f"group_wait {wait} -> {half}",
                lambda d, i=i, h=half: d["route"]["routes"][i].__setitem__("group_wait", h),
            )
    for i, rule in enumerate(doc.get("inhibit_rules") or []):
        if rule.get("equal"):
            yield mutant(f"inhibit_rules[{i}]", "equal dropped", lambda d, i=i: d["inhibit_rules"][i].pop("equal"))
        for key in ("target_matchers", "target_match", "target_match_re"):
            if rule.get(key):
                yield mutant(
                    f"inhibit_rules[{i}]",
                    f"{key} dropped (mutes every alert)",
                    lambda d, i=i, key=key: d["inhibit_rules"][i].pop(key),
                )


def _seconds(duration: Any) -> float:
    from alertdrill.config.durations import parse_duration

    return parse_duration(duration)


def _diff(before: object, after: object, name: str) -> str:
    a = yaml.safe_dump(before, sort_keys=False).splitlines()
    b = yaml.safe_dump(after, sort_keys=False).splitlines()
    return "\n".join(difflib.unified_diff(a, b, f"{name} (original)", f"{name} (mutant)", n=1, lineterm=""))


def mutant_diff(config: MonitoringConfig, m: Mutant) -> str:
    """The edit as a diff of the rule it touched (a whole rule file of a large config is a
    hundred kilobytes of YAML per mutant), or of the Alertmanager config."""
    if m.kind != "rules":
        return _diff(config.alertmanager, m.document, m.kind)
    (gi, ri), rf = m.rule, config.rule_files[m.file_index]
    group = rf.document["groups"][gi]
    where = f"{config.rule_path(rf)} group {group.get('name')!r}"
    return _diff(group["rules"][ri], m.document["groups"][gi]["rules"][ri], where)
