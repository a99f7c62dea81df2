"""The machine, shared by every local drill on it, or held by one @alone drill (the hooks' half;
the locks are runtime/machine_share.py)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from alertdrill.backends import DEFAULT_STACK, STACKS
from alertdrill.errors import ConfigError
from alertdrill.pytest_plugin import parallel
from alertdrill.runtime.capacity import machine_dir
from alertdrill.runtime.machine_share import MachineShare
from alertdrill.settings import Settings

#: Set while this process holds the machine alone (an @alone drill, from before its fixtures).
_ALONE_HELD = pytest.StashKey[bool]()


def machine_share(config: pytest.Config, stack: str) -> contextlib.AbstractContextManager[None]:
    """Local stacks share the machine (every run's and every worker's, see machine_share.py),
    except while a drill holds it alone (then it is this process's already)."""
    if not STACKS[stack].on_this_machine or config.stash.get(_ALONE_HELD, False):
        return contextlib.nullcontext()
    return MachineShare(machine_dir()).shared()


def stack_name(config: pytest.Config) -> str:
    """The stack the run will use (option, else ALERTDRILL_STACK, else the default), via Settings;
    a bad value is reported by the `settings` fixture, so here it only falls back."""
    try:
        return Settings.resolve({"stack": config.getoption("stack")}).stack
    except ConfigError:
        return DEFAULT_STACK


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """An @alone drill takes the machine before its fixtures run: its own stack's start-up is
    inside, and no other worker's drill can slip in between its start-up and its first step
    (measured: a 33 s drill did, with every other worker idle behind the gate)."""
    if item.get_closest_marker(parallel.ALONE) is None or not STACKS[stack_name(item.config)].on_this_machine:
        return (yield)
    with MachineShare(machine_dir()).alone():
        item.config.stash[_ALONE_HELD] = True
        try:
            return (yield)
        finally:
            item.config.stash[_ALONE_HELD] = False
