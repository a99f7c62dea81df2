"""Pick the stack backend the settings ask for."""

from __future__ import annotations

from alertdrill.kube.stack import KubeStack
from alertdrill.rules.monitoring import MonitoringConfig
from alertdrill.settings import Settings
from alertdrill.stack.local import LocalStack


def open_stack(settings: Settings, monitoring: MonitoringConfig) -> LocalStack | KubeStack:
    """A stack context manager: local processes, a kind cluster, or an existing cluster."""
    if settings.stack == "local":
        return LocalStack(settings, monitoring)
    return KubeStack(settings, monitoring)
