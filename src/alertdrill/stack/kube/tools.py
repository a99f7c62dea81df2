"""The external tools the Kubernetes backends drive (kind, helm, kubectl, docker), behind one
runner so that every command line is logged, bounded in time, and checkable in tests."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from alertdrill.errors import SetupError
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.wait import poll

log = logging.getLogger(__name__)

#: What to install, per tool, said in the error when it is missing.
INSTALL_HINTS = {
    "docker": "Docker Engine (https://docs.docker.com/engine/install/; Debian: apt-get install docker.io) "
    "and a running daemon",
    "kind": "kind v0.31+ (https://kind.sigs.k8s.io/docs/user/quick-start/#installation, "
    "or `go install sigs.k8s.io/kind@v0.31.0`)",
    "helm": "Helm 3 (https://helm.sh/docs/intro/install/)",
    "kubectl": "kubectl (https://kubernetes.io/docs/tasks/tools/)",
}

#: A waiting command says so this often (helm --wait can take minutes).
PROGRESS_EVERY_S = 30.0

#: The tools each backend needs.
KIND_TOOLS = ("docker", "kind", "helm", "kubectl")
CLUSTER_TOOLS = ("helm", "kubectl")


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class CommandFailed(SetupError):
    """An external tool exited non-zero; the message carries its command line and stderr tail."""


class Runner(Protocol):
    def run(
        self, argv: Sequence[str], timeout: float = TIMEOUTS.kube_command, check: bool = True, stdin: str | None = None
    ) -> Completed: ...


@dataclass
class SubprocessRunner:
    """Runs tools for real; a long command logs a progress line so a wait is never silent."""

    env: dict[str, str] | None = None
    history: list[tuple[str, ...]] = field(default_factory=list)

    def run(
        self, argv: Sequence[str], timeout: float = TIMEOUTS.kube_command, check: bool = True, stdin: str | None = None
    ) -> Completed:
        cmd = tuple(argv)
        self.history.append(cmd)
        log.info("$ %s", " ".join(cmd))
        start = time.monotonic()
        try:
            # its own process group: on a timeout or Ctrl-C the tool and everything it started (a
            # runbook's `bash -c 'kubectl … | grep …'`, helm's children) are killed together; killing
            # only the first would leave the rest holding the pipes, and communicate() waiting on them
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=self.env,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise SetupError(f"{cmd[0]} is not installed; install {INSTALL_HINTS.get(cmd[0], cmd[0])}") from None
        stdout, stderr = "", ""
        pending_input = stdin
        try:
            while True:
                left = start + timeout - time.monotonic()
                try:
                    stdout, stderr = proc.communicate(
                        input=pending_input, timeout=max(0.0, min(PROGRESS_EVERY_S, left))
                    )
                    break
                except subprocess.TimeoutExpired:
                    pending_input = None  # already written
                    waited = time.monotonic() - start
                    if waited >= timeout:
                        raise CommandFailed(f"`{' '.join(cmd)}` did not finish within {timeout:.0f}s") from None
                    log.info("  still running %s %s (%.0fs so far)", cmd[0], cmd[1], waited)
        except BaseException:  # timeout, Ctrl-C: never leave the tool running behind us
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        log.info("  done in %.1fs (exit %d)", time.monotonic() - start, proc.returncode)
        done = Completed(cmd, proc.returncode, stdout, stderr)
        if check and proc.returncode != 0:
            tail = (stderr or stdout).strip().splitlines()[-8:]
            raise CommandFailed(f"`{' '.join(cmd)}` failed (exit {proc.returncode}):\n  " + "\n  ".join(tail))
        return done


def poll_command(
    runner: Runner,
    argv: Sequence[str],
    ok: Callable[[Completed], bool],
    timeout_s: float,
    run_timeout_s: float = TIMEOUTS.kube_retry_run,
    interval_s: float = 2.0,
) -> Completed | None:
    """Run `argv` until `ok` says its answer is the awaited one (returned), or `timeout_s` passes
    (None: the caller says what was not reached). A failing command is retried, not raised."""
    waited = poll(
        f"`{' '.join(argv[:3])}` answering as awaited",
        lambda: runner.run(argv, timeout=run_timeout_s, check=False),
        done=ok,
        poll_s=interval_s,
        timeout_s=timeout_s,
    )
    return waited.value if waited.met else None


def require_tools(tools: Sequence[str]) -> None:
    """Raise one SetupError naming every missing tool and how to install it (exit 2)."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        lines = "\n".join(f"  - {t}: install {INSTALL_HINTS[t]}" for t in missing)
        raise SetupError(
            f"the {'kind' if 'kind' in tools else 'cluster'} stack needs {', '.join(missing)}, "
            f"not found on PATH:\n{lines}\n(the local stack needs none of them: --stack local)"
        )


def require_docker_daemon(runner: Runner) -> None:
    """`docker` on PATH is not enough: kind needs a daemon that answers."""
    done = runner.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"], timeout=TIMEOUTS.kube_docker_info, check=False
    )
    if done.returncode != 0:
        raise SetupError(
            "docker is installed but its daemon does not answer (`docker info` failed: "
            f"{(done.stderr or done.stdout).strip()[:200]}); start it (systemctl start docker) "
            "or use --stack local"
        )
