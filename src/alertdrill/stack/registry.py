"""The stack registry: the chosen backend (an entry of alertdrill.backends) opened by name.

The backend module is imported only when it is chosen: the local stack never imports the
Kubernetes client. What differs between backends is data in alertdrill.backends, which
settings, the CLI and the plugin read without importing the stack package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from alertdrill.backends import DEFAULT_STACK, STACK_NAMES, STACKS, StackSpec, foreign_tags, interval_at

__all__ = [
    "DEFAULT_STACK",
    "STACK_NAMES",
    "STACKS",
    "StackSpec",
    "foreign_tags",
    "interval_at",
    "open_stack",
    "open_replay_stack",
    "plan_stack",
]

#: The one backend replays run on: real servers on 127.0.0.1 (a replay needs its own clock).
REPLAY_STACK = "alertdrill.stack.local.replay_stack"

if TYPE_CHECKING:
    from alertdrill.config.monitoring import MonitoringConfig
    from alertdrill.settings import Settings
    from alertdrill.stack.base import ReplayServers, ReplaySetup, Stack, Timing


def open_stack(settings: Settings, monitoring: MonitoringConfig) -> Stack:
    """The chosen backend as a context manager (not yet started)."""
    module_name, _, class_name = STACKS[settings.stack].factory.partition(":")
    backend = getattr(importlib.import_module(module_name), class_name)
    stack: Stack = backend(settings, monitoring)
    return stack


def plan_stack(settings: Settings, monitoring: MonitoringConfig) -> tuple[str, Timing] | None:
    """The backend's --dry-run plan and the timing it would run at, or None if it has no planner."""
    planner = STACKS[settings.stack].planner
    if planner is None:
        return None
    module_name, _, func_name = planner.partition(":")
    result: tuple[str, Timing] = getattr(importlib.import_module(module_name), func_name)(settings, monitoring)
    return result


def open_replay_stack(setup: ReplaySetup, monitoring: MonitoringConfig) -> ReplayServers:
    """The local stack a replay runs one test group on (not yet started): replays run here only."""
    backend = importlib.import_module(REPLAY_STACK)
    stack: ReplayServers = backend.ReplayStack(setup, monitoring)
    return stack
