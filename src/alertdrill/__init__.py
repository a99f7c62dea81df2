"""alertdrill: prove with real faults and real servers that alerts fire, page and clear."""

from alertdrill.errors import (
    BinaryNotFoundError,
    ConfigError,
    DrillError,
    DrillFailure,
    FaultError,
    ObserveError,
    PortInUseError,
    ProcessStartError,
    RevertError,
    SetupError,
    ToolTimeoutError,
    WaitTimeout,
)
from alertdrill.settings import Settings

__all__ = [
    "BinaryNotFoundError",
    "ConfigError",
    "DrillError",
    "DrillFailure",
    "FaultError",
    "ObserveError",
    "PortInUseError",
    "ProcessStartError",
    "RevertError",
    "SetupError",
    "Settings",
    "ToolTimeoutError",
    "WaitTimeout",
]
