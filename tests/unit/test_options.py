"""One table of run options: `alertdrill run` offers each, forwards each to the pytest plugin,
and both hand Settings the same mapping — so a new option is one row, not five edits."""

from __future__ import annotations

import argparse

import pytest

from alertdrill.cli import build_parser
from alertdrill.options import RUN_OPTIONS, RunOption, add_to_pytest, forwarded_args, settings_options


def _sample(option: RunOption) -> list[str]:
    if option.action == "store_true":
        return [option.flag]
    if option.action == "append":
        return [option.flag, "prometheus=19090", option.flag, "bff=19091"]
    value = option.choices()[-1] if option.choices is not None else f"value-of-{option.dest}"
    return [option.flag, value]


def test_every_run_option_reaches_the_plugin_with_the_value_given_to_the_cli() -> None:
    argv = ["run", *(arg for option in RUN_OPTIONS for arg in _sample(option))]
    args = build_parser().parse_args(argv)
    plugin = argparse.ArgumentParser()  # pytest's group.addoption takes argparse's arguments
    add_to_pytest(plugin.add_argument)
    seen = plugin.parse_args(forwarded_args(lambda dest: getattr(args, dest, None)))
    for option in RUN_OPTIONS:
        expected = getattr(args, option.dest) if option.forwarded else None
        assert getattr(seen, option.dest) == expected, option.flag
    cli_side = settings_options(lambda dest: getattr(args, dest, None))
    plugin_side = settings_options(lambda dest: getattr(seen, dest, None))
    assert {k: v for k, v in cli_side.items() if plugin_side[k] is not None} == {
        k: v for k, v in plugin_side.items() if v is not None
    }
    assert cli_side["ports"] == ["prometheus=19090", "bff=19091"] and cli_side["keep_stack"] is True


def test_the_stack_subcommand_takes_only_the_options_that_shape_a_stack() -> None:
    args = build_parser().parse_args(["stack", "up", "--time-scale", "30", "--versions", "debian"])
    assert (args.time_scale, args.versions) == ("30", "debian")
    for option in RUN_OPTIONS:
        if not option.shapes_stack:  # e.g. --keep-stack, --report-dir: a run's, not a stack's
            with pytest.raises(SystemExit):
                build_parser().parse_args(["stack", "up", *_sample(option)])
