"""Pick the stack backend the settings ask for."""

from __future__ import annotations

from alertdrill.errors import SetupError
from alertdrill.rules.monitoring import MonitoringConfig
from alertdrill.settings import Settings
from alertdrill.stack.local import LocalStack


def open_stack(settings: Settings, monitoring: MonitoringConfig) -> LocalStack:
    """A stack context manager; kind and cluster backends are not built yet (issue 5)."""
    if settings.stack == "local":
        return LocalStack(settings, monitoring)
    raise SetupError(
        f"--stack {settings.stack} is not available in this version yet; "
        "use --stack local (the kind and cluster backends are tracked separately)"
    )
