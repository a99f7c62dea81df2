"""A Kubernetes API client for the chosen kubeconfig and context, and chaostoolkit-kubernetes'
view of the same (it reads KUBECONFIG from the environment and the context from `secrets`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.errors import SetupError


@dataclass(frozen=True)
class KubeTarget:
    """Which cluster to talk to: a kubeconfig file (None: KUBECONFIG or ~/.kube/config) and context."""

    kubeconfig: Path | None
    context: str | None

    def api_client(self) -> Any:
        from kubernetes import config

        path = str(self.kubeconfig) if self.kubeconfig else os.environ.get("KUBECONFIG", "~/.kube/config")
        try:
            client = config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=os.path.expanduser(path), context=self.context
            )
            return client
        except Exception as exc:  # the client raises ConfigException, OSError, ValueError...
            raise SetupError(
                f"cannot load kubeconfig {path!r} (context {self.context or 'current'}): {exc}; "
                "pass --kubeconfig FILE and --context NAME"
            ) from None

    def chaos_secrets(self) -> dict[str, str]:
        """chaostoolkit-kubernetes looks up KUBERNETES_CONTEXT in its secrets before the environment."""
        return {"KUBERNETES_CONTEXT": self.context} if self.context else {}

    def chaos_env(self) -> dict[str, str]:
        """chaostoolkit-kubernetes reads the kubeconfig path only from KUBECONFIG."""
        return {"KUBECONFIG": str(self.kubeconfig)} if self.kubeconfig else {}


@contextlib.contextmanager
def chaos_env(target: KubeTarget) -> Iterator[None]:
    """Point chaostoolkit-kubernetes at the chosen kubeconfig.

    It finds the file through KUBECONFIG but then calls `load_kube_config()` without a path, which
    reads the kubernetes client's module default, fixed at import time from KUBECONFIG or
    ~/.kube/config. Without patching that default too, `--kubeconfig` would be ignored and the
    fault would go to whatever cluster ~/.kube/config names.
    """
    from kubernetes.config import kube_config

    env = target.chaos_env()
    saved_env = {k: os.environ.get(k) for k in env}
    saved_default = kube_config.KUBE_CONFIG_DEFAULT_LOCATION
    os.environ.update(env)
    if "KUBECONFIG" in env:
        kube_config.KUBE_CONFIG_DEFAULT_LOCATION = env["KUBECONFIG"]
    try:
        yield
    finally:
        kube_config.KUBE_CONFIG_DEFAULT_LOCATION = saved_default
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
