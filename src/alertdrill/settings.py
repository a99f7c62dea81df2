"""One frozen Settings, resolved once: command-line option > ALERTDRILL_* environment > default."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from alertdrill.backends import DEFAULT_STACK, STACKS, interval_at
from alertdrill.errors import ConfigError
from alertdrill.runtime.binaries import CURRENT_SET, check_versions_option

#: Extra seconds on top of every physical bound. The measured overshoot of the model
#: `for + scrape + eval + group_wait` is about 20 ms on an idle machine; 1.5 s covers a busy
#: 2-core CI box without letting a 10x-longer `for` (>= 5 s at N=60) pass.
DEFAULT_SLACK_S = 1.5

DEFAULT_MAX_FAULT_BYTES = 512 * 2**20
#: Run directories kept under .alertdrill/runs/ (each holds a TSDB, logs and fault records).
DEFAULT_KEEP_RUNS = 20

#: How `alertdrill run` hands its resolved Settings to pytest and every worker (inherited by them).
HANDED_SETTINGS_ENV = "ALERTDRILL_RESOLVED_SETTINGS"

PORT_NAMES = ("prometheus", "alertmanager", "recorder", "nats", "nats-monitor", "bff")


@dataclass(frozen=True)
class KubeSettings:
    """Where the kind and cluster backends act; ignored by the local stack."""

    kubeconfig: Path | None = None
    context: str | None = None
    #: Namespace of everything alertdrill installs (workload, recorder, fault pods).
    namespace: str = "alertdrill"
    #: Namespace of the monitoring stack (kube-prometheus-stack, NATS) alertdrill installs on kind.
    monitoring_namespace: str = "monitoring"
    cluster_name: str = "alertdrill"
    kind_config: Path = Path("kind-config.yaml")
    #: --stack cluster: URLs of an existing Prometheus and Alertmanager (else port-forwarded).
    prometheus_url: str | None = None
    alertmanager_url: str | None = None
    #: --stack cluster: what alertdrill may install ("workload", "monitoring"); kind installs all.
    install: tuple[str, ...] = ("workload",)
    image: str = "alertdrill-workload:0.1.0"


#: `alertmanager-config`: alertdrill may put FLUO's Alertmanager config into the cluster's
#: Alertmanager for the run (an AlertmanagerConfig it selects, or its config Secret, restored).
INSTALLABLE = ("workload", "monitoring", "alertmanager-config")

#: Options of the kind and cluster stacks (each also an ALERTDRILL_* variable).
KUBE_OPTIONS = {
    "kubeconfig": "kubeconfig file of the cluster (default $KUBECONFIG or ~/.kube/config)",
    "context": "kubeconfig context (--stack cluster)",
    "namespace": "namespace of what alertdrill installs (default alertdrill)",
    "cluster-name": "kind cluster name (default alertdrill)",
    "prometheus-url": "an existing Prometheus (--stack cluster; else port-forwarded)",
    "alertmanager-url": "an existing Alertmanager (--stack cluster; else port-forwarded)",
    "install": "what --stack cluster may install: workload[,monitoring|,alertmanager-config] (default workload)",
    "image": "workload image (default alertdrill-workload:0.1.0)",
}


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, decided before anything starts."""

    stack: str = DEFAULT_STACK  # a name in alertdrill.backends.STACKS
    time_scale: float = STACKS[DEFAULT_STACK].default_time_scale
    monitoring_dir: Path = Path("monitoring")
    scenarios_dir: Path = Path("scenarios")
    #: A fixed report directory (--report-dir); None: a directory per run under `reports_root`.
    report_dir: Path | None = None
    reports_root: Path = Path("reports")
    #: The run's id, when the CLI chose it before pytest started (it names the report dir).
    run_id: str | None = None
    #: The parallel worker this process is (pytest-xdist's id, e.g. "gw0"), None when serial: each
    #: worker's stack gets a run directory of its own, `<run_id>-<worker>`, beside the others.
    worker: str | None = None
    keep_runs: int = DEFAULT_KEEP_RUNS
    state_dir: Path = Path(".alertdrill")
    keep_stack: bool = False
    slack_s: float = DEFAULT_SLACK_S
    scrape_interval_s: float = 1.0
    eval_interval_s: float = 1.0
    fixed_ports: Mapping[str, int] = field(default_factory=dict)
    #: Which servers every verdict runs on (--versions): "current" (built from the Go modules),
    #: "debian" (Debian 12's packages) or directories of a team's own binaries. ALERTDRILL_BIN_PATH,
    #: the older name, still gives directories.
    versions: str = "current"
    #: Upper bound on what one memory or disk fault may allocate or write (ALERTDRILL_MAX_FAULT_BYTES).
    max_fault_bytes: int = DEFAULT_MAX_FAULT_BYTES
    kube: KubeSettings = field(default_factory=KubeSettings)
    #: How a drill acknowledges a page: a silence via API v2, `amtool silence add`, or SOP-004's
    #: command as written (to prove whether a runbook's command really acknowledges anything).
    acknowledge_with: str = "silence-api"

    def to_json(self) -> str:
        """The resolved Settings as JSON: what `alertdrill run` hands pytest and its workers."""
        return json.dumps(dataclasses.asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """Settings exactly as another process resolved them (to_json), without resolving again."""
        data = json.loads(text)
        kube = data.pop("kube")
        for key in ("monitoring_dir", "scenarios_dir", "report_dir", "reports_root", "state_dir"):
            data[key] = Path(data[key]) if data[key] is not None else None
        kube["kubeconfig"] = Path(kube["kubeconfig"]) if kube["kubeconfig"] else None
        kube["kind_config"], kube["install"] = Path(kube["kind_config"]), tuple(kube["install"])
        return cls(**data, kube=KubeSettings(**kube))

    @property
    def bin_path(self) -> str:
        """The version selector every promtool/amtool/server lookup takes (runtime/binaries.py)."""
        return self.versions

    @property
    def runs_dir(self) -> Path:
        return self.state_dir / "runs"

    @property
    def stack_run_id(self) -> str | None:
        """The id of this process's stack's run directory (the run's id, plus the worker's)."""
        if self.run_id is None or self.worker is None:
            return self.run_id
        return f"{self.run_id}-{self.worker}"

    def reports_for(self, run_id: str) -> Path:
        """Where this run's results go: the fixed --report-dir, else `reports/<run_id>/`."""
        return self.report_dir if self.report_dir is not None else self.reports_root / run_id

    @property
    def scrape_timeout_s(self) -> float:
        return min(STACKS[self.stack].scrape_timeout_cap_s, self.scrape_interval_s)

    @classmethod
    def resolve(cls, options: Mapping[str, object | None], env: Mapping[str, str] | None = None) -> Settings:
        """Merge options over ALERTDRILL_* variables over defaults; raise ConfigError on bad values."""
        env = os.environ if env is None else env

        def pick(name: str) -> object | None:
            value = options.get(name)
            if value is not None:
                return value
            return env.get(env_name(name))

        def where(name: str) -> str:
            """How the user gave `name`: the option, or the environment variable."""
            return f"--{name.replace('_', '-')}" if options.get(name) is not None else env_name(name)

        stack = str(pick("stack") or DEFAULT_STACK)
        if stack not in STACKS:
            raise ConfigError(f"--stack {stack!r}: choose one of {', '.join(STACKS)}")
        spec = STACKS[stack]
        time_scale = _positive_float(where("time_scale"), pick("time_scale"), spec.default_time_scale)
        interval = interval_at(spec, time_scale)
        slack = _positive_float(where("slack_s"), pick("slack_s"), DEFAULT_SLACK_S)
        keep_runs = _positive_float(where("keep_runs"), pick("keep_runs"), DEFAULT_KEEP_RUNS)
        if keep_runs != int(keep_runs):
            raise ConfigError(f"{where('keep_runs')} {pick('keep_runs')!r} must be a whole number of runs, e.g. 20")
        ports = parse_ports(pick("ports"))
        return cls(
            stack=stack,
            time_scale=time_scale,
            monitoring_dir=Path(str(pick("monitoring") or "monitoring")),
            scenarios_dir=Path(str(pick("scenarios") or "scenarios")),
            report_dir=Path(str(pick("report_dir"))) if pick("report_dir") else None,
            reports_root=Path(str(pick("reports_root") or "reports")),
            run_id=str(pick("run_id")) if pick("run_id") else None,
            worker=str(options["worker"]) if options.get("worker") else None,
            keep_runs=int(keep_runs),
            state_dir=Path(str(pick("state_dir") or ".alertdrill")),
            keep_stack=bool(pick("keep_stack")) and str(pick("keep_stack")) not in ("0", "false"),
            slack_s=slack,
            scrape_interval_s=interval,
            eval_interval_s=interval,
            fixed_ports=ports,
            versions=_versions(where, pick),
            max_fault_bytes=int(
                _positive_float(where("max_fault_bytes"), pick("max_fault_bytes"), DEFAULT_MAX_FAULT_BYTES)
            ),
            kube=_kube_settings(pick),
            acknowledge_with=_choice(where("acknowledge_with"), pick("acknowledge_with"), ACKNOWLEDGE_WITH),
        )


VERSIONS_HELP = (
    "the servers every verdict runs on: current (Prometheus 3.14, Alertmanager 0.34, built by "
    "scripts/install), debian (Debian's 2.42/0.25) or DIR with a team's own binaries (default current)"
)

#: Ways a drill can acknowledge a page (the first is the default).
ACKNOWLEDGE_WITH = ("silence-api", "amtool", "sop-004")


def _choice(where: str, value: object | None, choices: tuple[str, ...]) -> str:
    if value is None:
        return choices[0]
    if str(value) not in choices:
        raise ConfigError(f"{where} {value!r}: choose one of {', '.join(choices)}")
    return str(value)


def _versions(where: Callable[[str], str], pick: Callable[[str], object | None]) -> str:
    """--versions, else the older ALERTDRILL_BIN_PATH (directories), else the current versions."""
    raw = pick("versions")
    name = "versions"
    if raw is None and pick("bin_path"):
        raw, name = pick("bin_path"), "bin_path"
    if raw is None or raw == "":
        return CURRENT_SET
    problem = check_versions_option(str(raw))
    if problem:
        raise ConfigError(problem.replace("--versions", where(name), 1))
    return str(raw)


def env_name(name: str) -> str:
    """`time_scale` → `ALERTDRILL_TIME_SCALE`."""
    return "ALERTDRILL_" + name.upper().replace("-", "_")


def _kube_settings(pick: Callable[[str], object | None]) -> KubeSettings:
    install_raw = str(pick("install") or "workload")
    install = tuple(i.strip() for i in install_raw.split(",") if i.strip())
    unknown = [i for i in install if i not in INSTALLABLE]
    if unknown:
        raise ConfigError(f"--install {install_raw!r}: unknown {unknown}; choose from {', '.join(INSTALLABLE)}")
    kubeconfig = pick("kubeconfig")
    defaults = KubeSettings()
    return KubeSettings(
        kubeconfig=Path(str(kubeconfig)).expanduser() if kubeconfig else None,
        context=str(pick("context")) if pick("context") else None,
        namespace=str(pick("namespace") or defaults.namespace),
        cluster_name=str(pick("cluster_name") or defaults.cluster_name),
        prometheus_url=str(pick("prometheus_url")).rstrip("/") if pick("prometheus_url") else None,
        alertmanager_url=str(pick("alertmanager_url")).rstrip("/") if pick("alertmanager_url") else None,
        install=install,
        image=str(pick("image") or defaults.image),
    )


def _positive_float(name: str, raw: object | None, default: float) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(str(raw))
    except ValueError:
        raise ConfigError(f"{name} {raw!r} is not a number; give e.g. {default:g}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be > 0, got {value:g}")
    return value


def parse_ports(raw: object | None) -> dict[str, int]:
    """Parse `prometheus=9090,alertmanager=9093` (or a list of such items) into a mapping."""
    if raw is None or raw == "":
        return {}
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    ports: dict[str, int] = {}
    for item in items:
        name, sep, value = str(item).strip().partition("=")
        if not sep or name not in PORT_NAMES or not value.isdigit():
            raise ConfigError(f"--port {item!r}: expected NAME=PORT with NAME one of {', '.join(PORT_NAMES)}")
        ports[name] = int(value)
    return ports
