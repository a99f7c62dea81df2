"""The exception tree of alertdrill: one root, every leaf named for what went wrong.

    DrillError                     root; never raised itself
    ├── SetupError                 the environment or input is wrong: exit 2, nothing was drilled
    │   ├── ConfigError            a file we read is invalid (names file, line and fix)
    │   ├── BinaryNotFoundError    a required program is not installed (says how to install it)
    │   ├── PortInUseError         a requested 127.0.0.1 port is taken
    │   ├── ProcessStartError      a server exited or never became ready (tail of its log)
    │   └── ToolTimeoutError       promtool/amtool did not finish within its hang guard
    ├── FaultError                 a fault could not be injected or reverted
    │   └── RevertError            one or more reverts failed (all were attempted)
    ├── ObserveError               Prometheus/Alertmanager answered badly or not at all
    ├── WaitTimeout                (also a TimeoutError) a wait ran out: what, how long, last state
    ├── Inconclusive               the system was not in its steady state before the fault
    └── DrillFailure               an assertion about the alerting pipeline did not hold

`SetupError` subclasses map to exit code 2 in the CLI and the pytest plugin. A drill's outcome is
decided by the exception's type, at one boundary (`drill.outcome.classify`): `DrillFailure` is a
verdict about the monitoring ("failed", exit 1); `Inconclusive` means no verdict could be drawn
("inconclusive"); anything else, ours or foreign, means the drill could not be carried out
("error"; with no failure, exit 3).
"""

from __future__ import annotations


class DrillError(Exception):
    """Root of every error alertdrill raises on purpose."""


class SetupError(DrillError):
    """The environment or an input file is wrong; nothing was drilled."""


class ConfigError(SetupError):
    """A config, rules, scenario or feature file is invalid."""


class BinaryNotFoundError(SetupError):
    """A program alertdrill needs is not installed."""


class PortInUseError(SetupError):
    """A port that was asked for on 127.0.0.1 is already taken."""


class ProcessStartError(SetupError):
    """A server process exited early or did not become ready in time."""


class ToolTimeoutError(SetupError):
    """promtool or amtool ran past its timeout (the message names the command)."""


class FaultError(DrillError):
    """A fault could not be injected or reverted."""


class RevertError(FaultError):
    """One or more reverts failed; every revert was still attempted."""

    def __init__(self, failures: list[tuple[str, BaseException]]) -> None:
        self.failures = failures
        lines = "; ".join(f"{name}: {exc}" for name, exc in failures)
        super().__init__(f"{len(failures)} revert(s) failed: {lines}")


class ObserveError(DrillError):
    """Prometheus or Alertmanager did not answer as expected."""


class WaitTimeout(DrillError, TimeoutError):
    """A wait ran out; the message says what was awaited, for how long, and the last state."""

    def __init__(self, message: str, *, what: str = "", waited_s: float | None = None, last_seen: str = "") -> None:
        super().__init__(message)
        self.what = what
        self.waited_s = waited_s
        self.last_seen = last_seen


class Inconclusive(DrillError):
    """The system was not in its steady state (the SOP's SLOs) before the fault: no verdict."""


class DrillFailure(DrillError, AssertionError):
    """An assertion about the alerting pipeline did not hold."""
