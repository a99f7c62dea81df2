"""The Stack protocols: what a drill needs from a backend, split into the monitoring half (URLs,
the config it runs, isolation between drills) and the platform half (faults, load, diagnostics).

A managed Prometheus would implement `MonitoringStack` alone and borrow a platform; today both
backends (local processes, Kubernetes) implement both halves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.faults.session import FaultBackend
from alertdrill.notify.recorder import NotificationRecorder
from alertdrill.runtime.rundir import RunDir
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.settings import Settings
from alertdrill.workload.plan import LoadPlan

#: Scaled range windows never go below this many scrapes, so rate() always has samples.
MIN_RANGE_SCRAPES = 4


#: Prometheus' scrape manager applies discovered targets on this tick (upstream's default of the
#: hidden `--scrape.discovery-reload-interval`).
DISCOVERY_RELOAD_S = 5.0
DISCOVERY_RELOAD_FLAG = "scrape.discovery-reload-interval"
DISCOVERY_RELOAD_FLOOR_S = 0.1


def scaled_discovery_reload_s(time_scale: float) -> float:
    """The reload tick as a scaled stack runs it: it shapes timing like `for` (a target that
    appears or leaves is seen one tick late), so it follows the time scale, floored at 100 ms (it
    only re-syncs scrape pools, and only when targets changed)."""
    return max(DISCOVERY_RELOAD_FLOOR_S, DISCOVERY_RELOAD_S / time_scale)


def discovery_handoff_s(prometheus_version: str, reload_s: float) -> float:
    """The longest a change in service discovery takes to reach the scrapers (seconds, as run).

    Two steps, read in `discovery/manager.go` and `scrape/manager.go`: the discovery manager hands
    target groups on — Prometheus 3 with a back-off that restarts at 100 ms (±50 %) once discovery
    has been quiet for 5 s (a fault strikes a quiet stack: 0.15 s), 2.x on a fixed 5 s tick (an
    unknown version is taken as the slower) — and the scrape manager applies them on its reload
    tick (`reload_s`).
    """
    major = prometheus_version.lstrip("v").split(".", 1)[0]  # the operator's spec.version says "v3.5.0"
    handoff = 0.15 if major.isdigit() and int(major) >= 3 else 5.0
    return handoff + reload_s


#: A Prometheus 3 run with upstream's defaults (the operator's, a cluster's).
UPSTREAM_DISCOVERY_S = discovery_handoff_s("3", DISCOVERY_RELOAD_S)


@dataclass(frozen=True)
class PipelineTimers:
    """The alerting pipeline's own timers as run (seconds): what a page lost in an outage waits
    for once the pipeline is back. Each is scaled with the time scale like `for` and group_wait
    (floored where a real process needs a real second), except where marked."""

    resend_delay_s: float  # Prometheus re-sends a firing alert after this (--rules.alert.resend-delay, 1m)
    alertmanager_timeout_s: float  # Prometheus' send timeout per Alertmanager (alerting config, 10s)
    peer_timeout_s: float  # Alertmanager peer N waits N × this before it pages (--cluster.peer-timeout, 15s)
    for_grace_period_s: float  # a `for` this long or longer is restored after a restart (10m)
    for_outage_tolerance_s: float  # ...if Prometheus was down less than this (1h)
    #: Alertmanager's least flush deadline (notify.MinTimeout): compiled in, never scaled.
    flush_min_timeout_s: float = 10.0
    #: Not scaled: how long a starting Alertmanager peer holds its notifications for membership to
    #: stop changing (--cluster.settle-timeout, 1m). On 127.0.0.1 the join's state exchange is done
    #: before it starts, and the stack's readiness waits until every peer sees every other one, so
    #: 200 ms costs nothing the drills judge and saves a second on every start and isolation.
    settle_timeout_s: float = 0.2
    #: Alertmanager writes silences and its notification log every 15m (and on a clean stop):
    #: never scaled, so a SIGKILL loses what it loses in production.
    maintenance_interval_s: float = 900.0

    @classmethod
    def scaled(cls, time_scale: float, resend_delay_s: float = 60.0) -> PipelineTimers:
        """`resend_delay_s`: the team's production resend delay (policy's kube values; default 1m)."""
        return cls(
            resend_delay_s=max(1.0, resend_delay_s / time_scale),
            alertmanager_timeout_s=max(1.0, 10.0 / time_scale),
            peer_timeout_s=max(1.0, 15.0 / time_scale),
            for_grace_period_s=600.0 / time_scale,
            for_outage_tolerance_s=3600.0 / time_scale,
        )

    @classmethod
    def production(cls) -> PipelineTimers:
        """A Prometheus and Alertmanager run with upstream's defaults (a cluster's, unscaled)."""
        return cls.scaled(1.0)


@dataclass(frozen=True)
class Timing:
    """The intervals that shape alert latency on this stack (seconds, as run)."""

    scrape_interval_s: float
    eval_interval_s: float
    scrape_timeout_s: float
    time_scale: float
    #: None: the pipeline's timers are scaled with `time_scale` (how the local stack runs them).
    pipeline_timers: PipelineTimers | None = None
    #: How long a target that left service discovery may still be scraped: Prometheus' discovery
    #: hand-off plus its scrape manager's reload tick (`discovery_handoff_s`); upstream's defaults
    #: on Prometheus 3 unless the stack says otherwise.
    discovery_s: float = UPSTREAM_DISCOVERY_S

    @property
    def pipeline(self) -> PipelineTimers:
        return self.pipeline_timers or PipelineTimers.scaled(self.time_scale)

    @classmethod
    def of(cls, settings: Settings) -> Timing:
        return cls(
            scrape_interval_s=settings.scrape_interval_s,
            eval_interval_s=settings.eval_interval_s,
            scrape_timeout_s=settings.scrape_timeout_s,
            time_scale=settings.time_scale,
        )


@dataclass(frozen=True)
class GrafanaAccess:
    """A Grafana the stack runs, and how to log in (generated per install)."""

    url: str
    user: str
    password: str


@dataclass(frozen=True)
class ShellRun:
    """A runbook command as the on-call's shell ran it: output, and the exit status of each stage
    of its pipeline (bash's PIPESTATUS; a pipeline's own status is only its last stage's)."""

    command: str
    returncode: int
    stdout: str
    stderr: str
    statuses: tuple[int, ...] = ()


class RunbookShell(Protocol):
    """Where a team's runbook commands run during a drill (kubectl pointed at the drill's cluster)."""

    def placeholders(self, deployment: str) -> dict[str, str]:
        """[deployment-name], [namespace], [pod-name], [node-name] for the broken Deployment."""

    def run(self, command: str, timeout_s: float = TIMEOUTS.kube_command) -> ShellRun: ...


class MonitoringStack(Protocol):
    """Prometheus and Alertmanager running the config under test, and where their pages go."""

    settings: Settings
    monitoring: MonitoringConfig
    recorder: NotificationRecorder
    timing: Timing
    scale_notes: list[str]

    @property
    def run_id(self) -> str: ...
    @property
    def run_dir(self) -> Path: ...
    @property
    def prometheus_url(self) -> str: ...
    @property
    def alertmanager_url(self) -> str: ...
    @property
    def alertmanager_urls(self) -> list[str]:
        """Every Alertmanager the drill can reach (peers of one cluster), the first being `alertmanager_url`."""

    @property
    def grafana(self) -> GrafanaAccess | None:
        """The stack's Grafana, if it runs one (dashboards are then checked through it)."""

    def urls(self) -> dict[str, str]: ...
    def isolate(self, reset_rules: bool) -> bool:
        """Give the next drill the timing of a first drill (see LocalStack.isolate); whether the
        alerting state was reset (the alert history then starts again)."""

    def wait_until_healthy(self, timeout: float) -> None: ...


class PlatformStack(Protocol):
    """The workload and its machines: what faults act on and load drives."""

    def faults(self) -> FaultBackend: ...
    def run_load(self, plan: LoadPlan) -> dict[str, float]:
        """Run the SLO load generator against the BFF; its JSON summary."""

    def diagnostics(self) -> dict[str, str]:
        """Log tails and state worth keeping when a drill fails, by name."""

    def export_logs(self, dest: Path) -> Path | None:
        """After a failed run, before teardown: every log the platform keeps, into `dest` (None:
        nothing beyond what `diagnostics` and the run directory already hold)."""

    def runbook_shell(self) -> RunbookShell:
        """The on-call's shell for runbook commands (FaultError where there is none to talk to)."""


class Stack(MonitoringStack, PlatformStack, Protocol):
    """Both halves, started and stopped as one context manager."""

    def __enter__(self) -> Self: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


@dataclass(frozen=True)
class ReplaySetup:
    """What one group's stack is built from."""

    run: RunDir
    rules: Path  # the replay's rule file (replay.rules), written before the stack starts
    time_scale: float
    eval_interval_s: float  # scaled: the global evaluation interval
    bin_path: str | None
    external_labels: dict[str, str]
    external_url: str
    #: The ports this stack may use: stacks started at once in one process (threads) must not
    #: hand the same free port to two servers (runtime.ports.lease_port_block).
    port_block: range | None = None


class ReplayServers(Protocol):
    """What a replay reads of its stack (stack.local.replay_stack), through the registry."""

    recorder: NotificationRecorder
    alertmanager_config: Path | None

    @property
    def prometheus_url(self) -> str: ...

    @property
    def alertmanager_url(self) -> str: ...

    @property
    def run_dir(self) -> Path: ...

    def log_tails(self) -> dict[str, str]: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
