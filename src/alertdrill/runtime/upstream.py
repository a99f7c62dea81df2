"""The current upstream servers, built from their Go modules and cached, so that only a new
machine pays the build.

Why build: Debian 12 ships Prometheus 2.42 and Alertmanager 0.25 (early 2023); teams run
Prometheus 3 and Alertmanager 0.3x (kube-prometheus-stack 88.5.3 pins Prometheus 3.14.0 and
Alertmanager 0.34.0). No prebuilt release can be downloaded here, but the Go module proxy serves
the sources. `go install module@version` fails for both (Prometheus' go.mod has a `replace`
directive; Alertmanager embeds its UI from `ui/app/dist`, which the module zip leaves out), so
every module is built the same way: copied out of the module cache, the embedded UI directories
stubbed, built as the main module with the version stamped in, as the upstream Makefile's promu does.

`python -m alertdrill.runtime.build_servers` (scripts/install) builds what is missing, printing
a line per step and a heartbeat while the compiler works.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from alertdrill.runtime.timeouts import TIMEOUTS

#: What `--versions current` means: the versions this kube-prometheus-stack chart ships (the kind
#: backend installs the same chart version, stack/kube/commands.py).
KUBE_PROMETHEUS_STACK_VERSION = "88.5.3"


@dataclass(frozen=True)
class GoModule:
    """One upstream Go module and the commands built from it."""

    path: str
    version: str  # the module version the proxy serves (Prometheus 3.14.0 is v0.314.0)
    release: str  # the release it is, as `--version` prints it
    #: binary name -> package directory inside the module
    commands: dict[str, str]
    #: directories that a `//go:embed` needs but the module zip leaves out (built web UIs)
    stub_embeds: tuple[str, ...] = field(default=())
    #: build tags upstream offers to leave parts out
    tags: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


CURRENT: tuple[GoModule, ...] = (
    GoModule(
        "github.com/prometheus/prometheus",
        "v0.314.0",
        "3.14.0",
        {"prometheus": "cmd/prometheus", "promtool": "cmd/promtool"},
        # Upstream's own switch (plugins/*.go) for builds without the cloud service discoveries:
        # file and static discovery stay, and so do the rule engine, TSDB, notifier and APIs.
        # With all of them Prometheus alone took over 5.5 min cold on 2 cores; alertdrill's stacks
        # discover targets from files, and its checks run `promtool check|test rules` only.
        tags=("remove_all_sd",),
    ),
    GoModule(
        "github.com/prometheus/alertmanager",
        "v0.34.0",
        "0.34.0",
        {"alertmanager": "cmd/alertmanager", "amtool": "cmd/amtool"},
        stub_embeds=("ui/app/dist",),
    ),
    GoModule("github.com/prometheus/node_exporter", "v1.12.1", "1.12.1", {"node_exporter": "."}),
)

#: The page a stubbed UI serves: the APIs are all there, only the web UI is not built.
_STUB_PAGE = "<!doctype html><title>UI not built</title><p>Built by alertdrill without the web UI; the API works.\n"


def cache_root() -> Path:
    """`$ALERTDRILL_CACHE_DIR`, else `$XDG_CACHE_HOME/alertdrill`, else `~/.cache/alertdrill`."""
    explicit = os.environ.get("ALERTDRILL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "alertdrill"


def current_bin_dir() -> Path:
    """Where the current versions' binaries live; the versions name it, so a bump builds anew."""
    key = "+".join(f"{m.name}-{m.release}" for m in CURRENT)
    return cache_root() / "servers" / key / "bin"


def current_releases() -> dict[str, str]:
    """module name -> release, for messages ("prometheus 3.14.0, alertmanager 0.34.0, ...")."""
    return {m.name: m.release for m in CURRENT}


def release_of(binary: str) -> str:
    """The current release of an upstream binary ("amtool" -> "0.34.0")."""
    return next(m.release for m in CURRENT if binary in m.commands)


def is_built(module: GoModule, bin_dir: Path) -> bool:
    return all((bin_dir / binary).is_file() for binary in module.commands) and _stamp(module, bin_dir).is_file()


def _stamp(module: GoModule, bin_dir: Path) -> Path:
    return bin_dir / f".built-{module.name}@{module.version}"


class BuildError(RuntimeError):
    """A command could not be built; the message carries the tool's last lines."""


def _run(argv: list[str], cwd: Path | None, what: str, env: dict[str, str]) -> str:
    """Run one go command, printing a heartbeat every 20 s so a long compile shows it is alive."""
    started = time.monotonic()
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(20.0):
            print(f"  ... still {what} ({time.monotonic() - started:.0f} s)", flush=True)

    ticker = threading.Thread(target=heartbeat, daemon=True)
    ticker.start()
    try:
        proc = subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUTS.module_build, check=False
        )
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what}: `{' '.join(argv[:4])}` did not finish in 30 min") from None
    finally:
        done.set()
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise BuildError(f"{what} failed (`{' '.join(argv[:4])} ...`, exit {proc.returncode}):\n{tail}")
    return proc.stdout


def _go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("CGO_ENABLED", "0")  # static binaries, as upstream releases them
    env["GOWORK"] = "off"  # Prometheus ships a go.work for its own tree; -mod=mod needs it off
    env["GOFLAGS"] = (env.get("GOFLAGS", "") + " -mod=mod").strip()
    return env


def _source_copy(module: GoModule, work: Path, env: dict[str, str]) -> Path:
    """A writable copy of the module's source as the proxy serves it, with UI embeds stubbed."""
    out = _run(
        ["go", "mod", "download", "-json", f"{module.path}@{module.version}"],
        None,
        f"downloading {module.path}@{module.version}",
        env,
    )
    src = Path(json.loads(out)["Dir"])
    dest = work / f"{module.name}-{module.version}"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
    for root, dirs, files in os.walk(dest):  # the module cache is read-only
        for name in dirs + files:
            os.chmod(Path(root) / name, 0o755 if name in dirs else 0o644)
    for embed in module.stub_embeds:
        (dest / embed).mkdir(parents=True, exist_ok=True)
        (dest / embed / "index.html").write_text(_STUB_PAGE)
    return dest


def _ldflags(module: GoModule) -> str:
    """Stamp the version the way promu does, so `--version` and build_info say what runs."""
    pkg = "github.com/prometheus/common/version"
    stamp = {
        "Version": module.release,
        "Revision": module.version,
        "Branch": "HEAD",
        "BuildUser": "alertdrill",
        "BuildDate": time.strftime("%Y%m%d-%H:%M:%S"),
    }
    return " ".join(f"-X {pkg}.{k}={v}" for k, v in stamp.items())


def build_module(module: GoModule, bin_dir: Path, work: Path) -> float:
    """Build every command of `module` into `bin_dir`; return the seconds it took."""
    started = time.monotonic()
    env = _go_env()
    src = _source_copy(module, work, env)
    names = ", ".join(module.commands)
    print(f"  building {names} {module.release} from {module.path}@{module.version}", flush=True)
    out = work / f"{module.name}-out"
    out.mkdir(exist_ok=True)
    # One `go build` for all of a module's commands: their shared packages compile once.
    argv = ["go", "build", "-trimpath", "-ldflags", _ldflags(module), "-o", str(out) + os.sep]
    if module.tags:
        argv += ["-tags", ",".join(module.tags)]
    _run([*argv, *(f"./{package}" for package in module.commands.values())], src, f"building {names}", env)
    for binary, package in module.commands.items():
        built = out / (Path(package).name if package != "." else module.name)
        shutil.copy2(built, bin_dir / f".{binary}.tmp")
        (bin_dir / f".{binary}.tmp").replace(bin_dir / binary)
    _stamp(module, bin_dir).write_text(module.version + "\n")
    shutil.rmtree(src, ignore_errors=True)
    return time.monotonic() - started


def ensure_built(bin_dir: Path | None = None) -> list[str]:
    """Build whatever of CURRENT is missing; return the problems (empty when all is built)."""
    bin_dir = bin_dir or current_bin_dir()
    missing = [m for m in CURRENT if not is_built(m, bin_dir)]
    if not missing:
        return []
    if shutil.which("go") is None:
        return [
            "`go` is not on PATH: install Go (>= 1.25.8, what Prometheus 3.14 asks) to build the current "
            "Prometheus and Alertmanager"
        ]
    bin_dir.mkdir(parents=True, exist_ok=True)
    work = bin_dir.parent / "src"
    work.mkdir(exist_ok=True)
    problems = []
    for module in missing:
        print(f"building {module.name} {module.release} (once per machine; ~1-4 min each on 2 cores)", flush=True)
        try:
            took = build_module(module, bin_dir, work)
        except (BuildError, OSError, ValueError) as exc:
            problems.append(f"{module.name} {module.release}: {exc}")
            print(f"  FAILED: {exc}", flush=True)
            continue
        print(f"built {module.name} {module.release} in {took:.0f} s -> {bin_dir}", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return problems
