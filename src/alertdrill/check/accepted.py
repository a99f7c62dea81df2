"""Findings and surviving mutants a team has decided to keep: `<monitoring>/accepted.yml`.

Why a list and not a switch: an equivalent mutant or a deliberate deviation is a decision, so each
entry names exactly what it accepts (a substring of the finding or of `target: mutation`) and why.
Accepted items still appear in every report with their reason; an entry that no longer matches
anything is itself a finding, so the list cannot silently outlive what it excused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alertdrill.errors import ConfigError
from alertdrill.runtime.yamlfile import load_yaml

FILE = "accepted.yml"


@dataclass
class Accepted:
    kind: str  # "mutant" | "finding"
    text: str
    reason: str
    used: bool = field(default=False, compare=False)

    def covers(self, kind: str, text: str) -> bool:
        hit = kind == self.kind and self.text in text
        self.used = self.used or hit
        return hit


def load_accepted(root: Path) -> list[Accepted]:
    path = root / FILE
    if not path.is_file():
        return []
    doc = load_yaml(path) or {}
    entries = doc.get("accepted") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected 'accepted:' with a list of {{mutant|finding: text, reason: why}}")
    out = []
    for i, e in enumerate(entries):
        kinds = [k for k in ("mutant", "finding") if isinstance(e, dict) and e.get(k)]
        if len(kinds) != 1 or not str(e.get("reason", "")).strip():
            raise ConfigError(
                f"{path}: accepted[{i}] needs one of 'mutant' or 'finding' (the text it accepts) and a 'reason'"
            )
        out.append(Accepted(kinds[0], str(e[kinds[0]]), str(e["reason"]).strip()))
    return out


def accepting(entries: list[Accepted], kind: str, text: str) -> Accepted | None:
    return next((e for e in entries if e.covers(kind, text)), None)


def stale(entries: list[Accepted], kind: str) -> list[str]:
    """Entries of `kind` that matched nothing this run."""
    return [
        f"{FILE}: accepted {e.kind} {e.text!r} matches nothing any more; remove it"
        for e in entries
        if e.kind == kind and not e.used
    ]
