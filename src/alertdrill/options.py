"""The run options, one table: `alertdrill run|stack` (argparse) and the pytest plugin
(`pytest_addoption`) are both made from it, and both hand Settings the same mapping.

A new run option is one row here plus where it is used (a Settings field, read in Settings.resolve):
the CLI offers it, `alertdrill run` forwards it to pytest and its workers, the plugin accepts it,
and `ALERTDRILL_<NAME>` reads it, with no other list to keep in step.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from alertdrill.backends import STACKS
from alertdrill.settings import ACKNOWLEDGE_WITH, KUBE_OPTIONS, VERSIONS_HELP


@dataclass(frozen=True)
class RunOption:
    """One option of a run: its flag, how it is given, and the Settings key it fills."""

    flag: str  # "--time-scale"
    help: str
    metavar: str | None = None
    #: A switch (`--keep-stack`), a repeatable option (`--port a --port b`), or one value.
    action: str = "store"  # store | store_true | append
    choices: Callable[[], list[str]] | None = None
    #: The key Settings.resolve reads; by default the flag's name with underscores.
    settings_key: str | None = None
    #: Also on `alertdrill stack` (the options that shape a stack, not a run's reports).
    shapes_stack: bool = True
    #: `alertdrill run` forwards it to pytest itself (run id, report places: decided by the CLI).
    forwarded: bool = True
    group: str = "alertdrill"

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def key(self) -> str:
        return self.settings_key or self.dest


RUN_OPTIONS: tuple[RunOption, ...] = (
    RunOption("--stack", "where drills run (default local)", choices=lambda: list(STACKS)),
    RunOption("--monitoring", "monitoring config under test (default monitoring/)", "DIR"),
    RunOption("--time-scale", "divide alert timings by N (default 60 locally; 1 = production timing)", "N"),
    RunOption(
        "--port", "fix a port instead of a free one, e.g. prometheus=9090", "NAME=PORT", "append", settings_key="ports"
    ),
    RunOption("--versions", VERSIONS_HELP, "current|debian|DIR"),
    RunOption("--scenarios", "scenario dir (default scenarios/)", "DIR", shapes_stack=False),
    RunOption(
        "--report-dir", "a fixed report dir (default reports/<run-id>/)", "DIR", shapes_stack=False, forwarded=False
    ),
    RunOption(
        "--reports-root",
        "where per-run report dirs and `latest` go (default reports/)",
        "DIR",
        shapes_stack=False,
        forwarded=False,
    ),
    RunOption(
        "--keep-runs", "run dirs kept in .alertdrill/runs/ (default 20)", "N", shapes_stack=False, forwarded=False
    ),
    RunOption("--keep-stack", "keep the stack after the drills until Ctrl-C", action="store_true", shapes_stack=False),
    RunOption(
        "--acknowledge-with",
        "how drills acknowledge a page: a silence through API v2 (default), `amtool silence add`, or SOP-004's "
        "command as written (does the runbook's command acknowledge anything?)",
        choices=lambda: list(ACKNOWLEDGE_WITH),
        shapes_stack=False,
    ),
    *(RunOption(f"--{name}", text, group="kind and cluster stacks") for name, text in KUBE_OPTIONS.items()),
)


class _Adder(Protocol):
    def __call__(self, *names: str, **kwargs: Any) -> Any: ...


def _add(add: _Adder, option: RunOption, default_switch: bool | None) -> None:
    kwargs: dict[str, Any] = {"help": option.help, "action": option.action}
    kwargs["default"] = default_switch if option.action == "store_true" else None
    if option.metavar and option.action != "store_true":
        kwargs["metavar"] = option.metavar
    if option.choices is not None:
        kwargs["choices"] = option.choices()
    add(option.flag, **kwargs)


def add_to_argparse(parser: argparse.ArgumentParser, *, stack_only: bool = False) -> None:
    """The table's options on a subcommand (`alertdrill stack`: only those that shape a stack)."""
    groups: dict[str, Any] = {"alertdrill": parser}
    for option in RUN_OPTIONS:
        if stack_only and not option.shapes_stack:
            continue
        if option.group not in groups:
            groups[option.group] = parser.add_argument_group(option.group)
        _add(groups[option.group].add_argument, option, default_switch=False)


def add_to_pytest(add: _Adder) -> None:
    """The table's options on the plugin's option group (pytest's `group.addoption`)."""
    for option in RUN_OPTIONS:
        _add(add, option, default_switch=None)


def settings_options(get: Callable[[str], object]) -> dict[str, object | None]:
    """The mapping Settings.resolve takes, read by each option's dest (`getattr(args, dest)` or
    pytest's `config.getoption(dest)`); an option a subcommand lacks reads as not given."""
    return {option.key: get(option.dest) for option in RUN_OPTIONS}


def forwarded_args(get: Callable[[str], object]) -> list[str]:
    """The options `alertdrill run` was given, as pytest arguments for the plugin."""
    args: list[str] = []
    for option in RUN_OPTIONS:
        value = get(option.dest) if option.forwarded else None
        if value is None or value is False:
            continue
        if option.action == "store_true":
            args.append(option.flag)
        elif option.action == "append":
            args += [f"{option.flag}={item}" for item in _items(value)]
        else:
            args.append(f"{option.flag}={value}")
    return args


def _items(value: object) -> Iterable[object]:
    return value if isinstance(value, list | tuple) else [value]
