"""Every backend alertdrill can drill on, as data: its name, where its class lives, its timing
defaults and what it can do (run several stacks at once, share this machine, the drills only it
runs). A new backend is one entry here and one module under stack/.

Below settings in the layers (settings reads the names and timing defaults), so it imports
nothing of alertdrill; stack/registry.py opens the chosen entry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StackSpec:
    """One backend: where its class lives and the timing it runs at unless told otherwise."""

    name: str
    factory: str  # "module:Class"; the class takes (settings, monitoring) and is a Stack
    summary: str
    #: SOP timings are divided by this unless --time-scale says otherwise.
    default_time_scale: float
    #: Scrape and evaluation interval (seconds, as run) at the default time scale.
    interval_s: float
    #: The scrape timeout as Prometheus runs it: at most this, never more than the interval.
    scrape_timeout_cap_s: float
    #: "module:function" rendering the plan of a run without touching anything (--dry-run), if any.
    planner: str | None = None
    #: Slower time scales get proportionally longer intervals, up to this: production timing
    #: (`--time-scale 1`) runs at a production scrape and evaluation interval, not at 1 s.
    max_interval_s: float = 0.0
    #: Programs the backend runs on this machine (checked once before parallel workers start).
    binaries: tuple[str, ...] = ()
    #: None: drills may run on several stacks of this backend at once (a worker each); else why not.
    one_stack_only: str | None = None
    #: Its stacks run on this machine: they take part in the machine-wide stack budget and yield it
    #: to an @alone drill (runtime/capacity.py, runtime/machine_share.py).
    on_this_machine: bool = False
    #: The feature tag of drills only this kind of backend can run (`@local`, `@kind`).
    feature_tag: str = ""
    #: Tags of drills this backend must not run although its feature tag would allow them (an
    #: existing cluster runs what kind runs, except what would harm the team's cluster).
    refused_tags: tuple[str, ...] = ()


def _kubernetes(name: str, summary: str, refused_tags: tuple[str, ...] = ()) -> StackSpec:
    """kind and an existing cluster: one backend class, Prometheus scraping every 5 s."""
    return StackSpec(
        name,
        "alertdrill.stack.kube.stack:KubeStack",
        summary,
        default_time_scale=10.0,
        interval_s=5.0,
        # The operator sets no scrape_timeout: Prometheus caps its 10 s default at the interval.
        scrape_timeout_cap_s=10.0,
        planner="alertdrill.stack.kube.plan:plan_text",
        one_stack_only="one cluster is one stack",
        feature_tag="kind",  # an existing cluster runs what kind runs
        refused_tags=refused_tags,
    )


#: Local default: SOP-004's 30 s..30 min `for` become 0.5..30 s, so every SOP alert drills in
#: seconds while scrape and evaluation (1 s) stay the same. On kind and a real cluster Prometheus
#: scrapes every 5 s (the operator's default is 30 s), so SOP timings are compressed only lightly.
STACKS: dict[str, StackSpec] = {
    spec.name: spec
    for spec in (
        StackSpec(
            "local",
            "alertdrill.stack.local.stack:LocalStack",
            "real servers as processes on 127.0.0.1 (no Docker)",
            default_time_scale=60.0,
            interval_s=1.0,
            scrape_timeout_cap_s=0.5,
            max_interval_s=15.0,  # Prometheus's own example config; 1 s at scale 60, 15 s at scale 1
            binaries=("prometheus", "alertmanager", "nats-server", "node-exporter"),
            on_this_machine=True,
            feature_tag="local",
        ),
        _kubernetes("kind", "a kind cluster from kind-config.yaml, with the stack installed by Helm"),
        # `@stops-node`: alertdrill never stops a node of a cluster it did not create
        _kubernetes("cluster", "an existing cluster (kubeconfig); installs only what --install names", ("stops-node",)),
    )
}
STACK_NAMES: tuple[str, ...] = tuple(STACKS)
DEFAULT_STACK = "local"


def foreign_tags(stack: str) -> frozenset[str]:
    """Feature tags of drills that only other kinds of backend can run, or that this one refuses:
    deselected on `stack`."""
    own = STACKS[stack].feature_tag
    others = {spec.feature_tag for spec in STACKS.values() if spec.feature_tag and spec.feature_tag != own}
    return frozenset(others | set(STACKS[stack].refused_tags))


def interval_at(spec: StackSpec, time_scale: float) -> float:
    """The scrape and evaluation interval at a time scale: the default's, stretched as the scale
    shrinks (`interval_s x default_time_scale / time_scale`), capped at `max_interval_s`."""
    stretched = spec.interval_s * spec.default_time_scale / time_scale
    return max(spec.interval_s, min(spec.max_interval_s, stretched))
