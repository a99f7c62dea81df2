"""Routing cases written as amtool commands: `amtool config routes test --verify.receivers=R l=v …`.

Why: many teams keep their routing tests as a shell script of amtool calls (amtool has no case
file of its own), not as alertdrill's `routing.test.yml`. Each call that verifies receivers is a
case: its labels and the receivers it expects, named by file and line. A call without
`--verify.receivers` only prints a route, so it asserts nothing and is not a case.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from alertdrill.errors import ConfigError

ROUTES_TEST = ("config", "routes", "test")
#: Shell words that end one command and begin the next.
SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")"})
#: amtool's flags that take their value as the next word when written without `=`.
VALUE_FLAGS = frozenset(
    {"--config.file", "--verify.receivers", "--alertmanager.url", "--output", "-o", "--timeout", "--http.config.file"}
)


@dataclass(frozen=True)
class AmtoolCase:
    """One verifying call: the alert's labels and the receivers it must reach (config.routing_cases
    makes it a RouteCase)."""

    name: str
    labels: dict[str, str]
    receivers: tuple[str, ...]


def is_amtool_script(path: Path) -> bool:
    """A routing test file that is not YAML: read as amtool calls."""
    return path.suffix not in (".yml", ".yaml")


def load_amtool_cases(path: Path) -> list[AmtoolCase]:
    cases = []
    for line_no, line in _logical_lines(path.read_text()):
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            words = list(lexer)
        except ValueError as exc:
            raise ConfigError(f"{path}:{line_no}: cannot read this shell line ({exc}); close its quotes") from exc
        for command in _commands(words):
            case = _case(command, f"{path.name}:{line_no}", f"{path}:{line_no}")
            if case is not None:
                cases.append(case)
    return cases


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with their backslash continuations joined, each with the line number it starts on."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for no, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = no
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        out.append((start, pending + raw))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def _commands(words: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for word in words:
        if word in SEPARATORS or set(word) <= set(";&|()"):
            out.append([])
        else:
            out[-1].append(word)
    return [c for c in out if c]


def _case(command: list[str], name: str, where: str) -> AmtoolCase | None:
    """The case one command states, or None when it is not a verifying `amtool config routes test`."""
    at = next((i for i, w in enumerate(command) if Path(w).name == "amtool"), None)
    if at is None or tuple(w for w in command[at + 1 : at + 4]) != ROUTES_TEST:
        return None
    receivers: tuple[str, ...] = ()
    labels: dict[str, str] = {}
    args = iter(command[at + 4 :])
    for word in args:
        if word.startswith("-"):
            flag, eq, value = word.partition("=")
            if not eq and flag in VALUE_FLAGS:
                value = next(args, "")
            if flag == "--verify.receivers":
                receivers = tuple(r.strip() for r in value.split(",") if r.strip())
            continue
        name_, eq, value = word.partition("=")
        if not eq or not name_ or name_[-1] in "!~" or value.startswith("~"):
            raise ConfigError(
                f"{where}: amtool label {word!r}: write each label as name=value "
                f"(amtool routes test takes the alert's labels, not matchers)"
            )
        labels[name_] = value.strip('"')
    if not receivers:
        return None
    return AmtoolCase(name, labels, receivers)
