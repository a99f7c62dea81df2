"""Routing cases written as amtool commands: `amtool config routes test --verify.receivers=R l=v …`.

Why: many teams keep their routing tests as a shell script of amtool calls (amtool has no case
file of its own), not as alertdrill's `routing.test.yml`. Each call that verifies receivers is a
case: its labels and the receivers it expects, named by file and line. A call without
`--verify.receivers` only prints a route, so it asserts nothing and is not a case.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from alertdrill.errors import ConfigError

ROUTES_TEST = ["config", "routes", "test"]
#: Shell operator characters: a word of only these ends a command (`;`, `&&`, `|`, …) or, with
#: `<` or `>` in it, is a redirection whose target word follows.
OPERATORS = ";&|()<>"
#: Words that may come before a command's name.
PREFIXES = frozenset(
    {"!", "if", "elif", "while", "until", "then", "do", "else", "sudo", "exec", "time", "command", "env"}
)
#: amtool's flags that take their value as the next word when written without `=`.
VALUE_FLAGS = frozenset(
    {"--config.file", "--verify.receivers", "--alertmanager.url", "--output", "-o", "--timeout", "--http.config.file"}
)
_NO_VARIABLES = "alertdrill reads the script without running it, so write the literal value, not a shell variable"
#: `<<END`, `<<-'END'`, `<<"END"`: a here-document whose body runs to the line `END`.
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
#: `NAME=value` before a command: an environment assignment, not the command.
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class AmtoolCase:
    """One verifying call: the alert's labels and the receivers it must reach (config.routing_cases
    makes it a RouteCase)."""

    name: str
    labels: dict[str, str]
    receivers: tuple[str, ...]


def is_amtool_script(path: Path) -> bool:
    """A routing test file that is not YAML: read as amtool calls."""
    return path.suffix.lower() not in (".yml", ".yaml")


def load_amtool_cases(path: Path) -> list[AmtoolCase]:
    cases = []
    for line_no, line in _logical_lines(path.read_text()):
        if "amtool" not in line:  # heredocs and other shell need not parse
            continue
        for command in _commands(_words(line, f"{path}:{line_no}")):
            case = _case(command, f"{path.name}:{line_no}", f"{path}:{line_no}")
            if case is not None:
                cases.append(case)
    if not cases:
        raise ConfigError(
            f"{path}: no `amtool config routes test --verify.receivers=R name=value ...` call, so no routing "
            "case; alertdrill's own cases go in a .yml file"
        )
    return cases


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with their backslash continuations joined, each with the line number it starts on;
    a here-document's body is no command (it is skipped), and a comment line's trailing backslash
    continues nothing, as in the shell."""
    out: list[tuple[int, str]] = []
    pending, start, heredoc = "", 0, None
    for no, raw in enumerate(text.splitlines(), start=1):
        if heredoc is not None:
            heredoc = None if raw.strip() == heredoc else heredoc
            continue
        if not pending:
            start = no
        if raw.endswith("\\") and not raw.lstrip().startswith("#"):
            pending += raw[:-1] + " "
            continue
        line, pending = pending + raw, ""
        out.append((start, line))
        opened = _HEREDOC.search(line)
        heredoc = opened.group(2) if opened else None
    if pending:
        out.append((start, pending))
    return out


def _words(line: str, where: str) -> list[str]:
    """The line's shell words, quotes removed, without its comment."""
    try:
        lexer = shlex.shlex(_without_comment(line), posix=True, punctuation_chars=OPERATORS)
        lexer.whitespace_split = True
        lexer.commenters = ""  # cut already, where the shell cuts
        return list(lexer)
    except ValueError as exc:
        raise ConfigError(f"{where}: cannot read this shell line ({exc}); close its quotes") from exc


def _without_comment(line: str) -> str:
    """`line` up to its comment: a `#` that begins a word outside quotes (`a=A#1` is no comment,
    and an apostrophe in a comment opens no quote)."""
    quote, escaped = "", False
    for i, ch in enumerate(line):
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace() or line[i - 1] in OPERATORS):
            return line[:i]
    return line


def _commands(words: list[str]) -> list[list[str]]:
    """Simple commands, split at operators, without their redirections (`> f`, `2>&1`)."""
    out: list[list[str]] = [[]]
    target = False
    for word in words:
        if target:
            target = False
        elif word and set(word) <= set(OPERATORS):
            if "<" in word or ">" in word:
                target = True
                if out[-1] and out[-1][-1].isdigit():  # the `2` of `2>&1`
                    out[-1].pop()
            else:
                out.append([])
        else:
            out[-1].append(word)
    return [c for c in out if c]


def _case(command: list[str], name: str, where: str) -> AmtoolCase | None:
    """The case one command states, or None when it is not a verifying `amtool config routes test`."""
    while command and (command[0] in PREFIXES or _ASSIGNMENT.match(command[0])):
        command = command[1:]
    if not command or Path(command[0]).name != "amtool":
        return None
    receivers: list[str] = []
    positional: list[str] = []
    args = iter(command[1:])
    for word in args:
        if word.startswith("-"):
            flag, eq, value = word.partition("=")
            if not eq and flag in VALUE_FLAGS:
                value = next(args, "")
            if flag == "--verify.receivers":
                receivers = [r for r in value.split(",") if r]  # amtool compares them as written
            continue
        positional.append(word)
    if positional[:3] != ROUTES_TEST or not receivers:
        return None
    labels = dict(_label(word, where) for word in positional[3:])
    if any("$" in r for r in receivers):
        raise ConfigError(f"{where}: --verify.receivers {','.join(receivers)!r}: {_NO_VARIABLES}")
    return AmtoolCase(name, labels, tuple(receivers))


def _label(word: str, where: str) -> tuple[str, str]:
    name, eq, value = word.partition("=")
    if not eq or not name or name[-1] in "!~" or value.startswith("~"):
        raise ConfigError(
            f"{where}: amtool label {word!r}: write each label as name=value "
            "(amtool routes test takes the alert's labels, not matchers)"
        )
    if "$" in word:
        raise ConfigError(f"{where}: amtool label {word!r}: {_NO_VARIABLES}")
    return name, value.strip('"')
