"""A value made current for one `with` block: how Chaos Toolkit activities find their session.

Why: Chaos Toolkit calls our fault and probe functions by module and name with only their YAML
arguments, so the run's backend, ledger or Prometheus must be reachable without a parameter. A
ContextVar scoped by a `with` block keeps that explicit and thread-safe, and is the one place
the pattern lives.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Generic, TypeVar

from alertdrill.errors import DrillError

T = TypeVar("T")


class Ambient(Generic[T]):
    """Holds at most one current value; `get()` outside `active()` raises `error(hint)`."""

    def __init__(self, name: str, error: type[DrillError], hint: str) -> None:
        self._var: ContextVar[T | None] = ContextVar(name, default=None)
        self._error = error
        self._hint = hint

    @contextlib.contextmanager
    def active(self, value: T) -> Iterator[T]:
        token = self._var.set(value)
        try:
            yield value
        finally:
            self._var.reset(token)

    def get(self) -> T:
        value = self._var.get()
        if value is None:
            raise self._error(self._hint)
        return value
