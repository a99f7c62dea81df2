"""Faults on the alerting pipeline itself: Alertmanager, Prometheus, the mail relay, the link
between them and Alertmanager's config. A drill that injects one makes it its subject.

Every duration is in production seconds (`down_for`), scaled by the active stack; without one
the fault holds until the scenario's rollback. What each fault is predicted to cost is in
`../shared/reference/pipeline-failure-semantics.md`; the drills measure it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alertdrill.errors import FaultError
from alertdrill.faults.session import Output, inject

RELAY_FAILURES = ("4xx", "refuse")


def _duration(down_for: float | None) -> float | None:
    if down_for is not None and not 0 <= down_for <= 3600:
        raise FaultError(f"down_for must be between 0 and 3600 production seconds, got {down_for}")
    return down_for


def _lasting(down_for: float | None) -> str:
    return "until rollback" if down_for is None else f"{down_for:g}s"


def kill_alertmanager(
    replica: int = 0, down_for: float | None = 0, configuration: Any = None, secrets: Any = None
) -> Output:
    """SIGKILL one Alertmanager (no clean shutdown: no last snapshot of silences and notification
    log) and start it again on its storage after `down_for` (0: at once)."""
    return inject(
        f"kill_alertmanager({replica}, {_lasting(down_for)})",
        lambda b: b.kill_alertmanager(replica),
        _duration(down_for),
    )


def kill_every_alertmanager(down_for: float | None = 0, configuration: Any = None, secrets: Any = None) -> Output:
    """SIGKILL every Alertmanager of the cluster at once (nothing can page: only a heartbeat
    service outside it notices) and start them again on their storage after `down_for`."""
    return inject(
        f"kill_every_alertmanager({_lasting(down_for)})", lambda b: b.kill_every_alertmanager(), _duration(down_for)
    )


def kill_prometheus(down_for: float | None = 0, configuration: Any = None, secrets: Any = None) -> Output:
    """SIGKILL Prometheus and start it again on its data after `down_for` (rule state as it restores it)."""
    return inject(f"kill_prometheus({_lasting(down_for)})", lambda b: b.kill_prometheus(), _duration(down_for))


def fail_mail_relay(
    mode: str = "4xx", down_for: float | None = 180, configuration: Any = None, secrets: Any = None
) -> Output:
    """The mail relay answers every message with 451 ("4xx") or refuses connections ("refuse")."""
    if mode not in RELAY_FAILURES:
        raise FaultError(f"fail_mail_relay mode must be one of {', '.join(RELAY_FAILURES)}, got {mode!r}")
    return inject(
        f"fail_mail_relay({mode}, {_lasting(down_for)})", lambda b: b.fail_mail_relay(mode), _duration(down_for)
    )


def cut_alertmanager_link(down_for: float | None = 180, configuration: Any = None, secrets: Any = None) -> Output:
    """Prometheus cannot reach any Alertmanager: packets dropped (sends hang to their timeout), not refused."""
    return inject(
        f"cut_alertmanager_link({_lasting(down_for)})", lambda b: b.cut_alertmanager_link(), _duration(down_for)
    )


def reload_alertmanager_config(configuration: Any = None, secrets: Any = None) -> Output:
    """Reload every Alertmanager with the config it runs (accepted: the twin of the broken push)."""
    return inject("reload_alertmanager_config", lambda b: b.break_alertmanager_config(broken=False))


def break_alertmanager_config(configuration: Any = None, secrets: Any = None) -> Output:
    """Push an invalid config to every Alertmanager and reload: it must refuse it and keep routing."""
    return inject("break_alertmanager_config", lambda b: b.break_alertmanager_config(broken=True))


#: What a pipeline scenario's method may call (`When the pipeline fault "…" strikes`).
PIPELINE_FAULTS: frozenset[Callable[..., Output]] = frozenset(
    {
        kill_alertmanager,
        kill_every_alertmanager,
        kill_prometheus,
        fail_mail_relay,
        cut_alertmanager_link,
        break_alertmanager_config,
        reload_alertmanager_config,
    }
)
