"""The on-call's shell during a cluster drill: a team's runbook commands run as written, with
kubectl pointed at the drill's cluster and the workload's namespace.

Why a shell and not the Kubernetes API: a runbook is judged by what a person gets when they paste
its commands (pipes, grep dialect, `kubectl logs` defaults, a missing Metrics API included), so the
drill runs them through bash with the real kubectl. Only where the commands go is arranged, the way
the on-call arranges it: a kubeconfig of the drill's context whose namespace is the workload's.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.settings import KubeSettings
from alertdrill.stack.base import ShellRun
from alertdrill.stack.kube import commands, manifests
from alertdrill.stack.kube.tools import CommandFailed, Runner

log = logging.getLogger(__name__)

#: The kubeconfig the on-call's shell uses, in the run dir while the stack runs (then removed).
KUBECONFIG_NAME = "runbook.kubeconfig"
#: The exit status of a command stopped at its time limit (as coreutils' `timeout` reports it).
TIMED_OUT = 124
#: Printed after the command, on stderr: the exit status of each stage of its pipeline.
PIPESTATUS_MARK = "__alertdrill_pipestatus"


def shell_script(command: str) -> str:
    """The command as pasted into bash, followed by every stage's exit status."""
    return f"{command}\nprintf '\\n{PIPESTATUS_MARK} %s\\n' \"${{PIPESTATUS[*]}}\" >&2"


def split_status(stderr: str) -> tuple[str, list[int]]:
    """stderr without the status line, and the status of each pipeline stage."""
    keep, statuses = [], []
    for line in stderr.splitlines():
        if line.startswith(PIPESTATUS_MARK):
            statuses = [int(s) for s in line.split()[1:] if s.lstrip("-").isdigit()]
        else:
            keep.append(line)
    return "\n".join(keep).strip(), statuses


@dataclass
class KubeRunbookShell:
    kube: KubeSettings
    context: str | None
    runner: Runner
    run_dir: Path
    _kubeconfig: Path | None = None

    def kubeconfig(self) -> Path:
        """The drill's context alone, its namespace the workload's (what `kubens` would set)."""
        if self._kubeconfig is None:
            path = self.run_dir / KUBECONFIG_NAME
            view = self.runner.run(commands.kubectl(self.kube, self.context, "config", "view", "--raw", "--minify"))
            # the cluster's credentials: readable by this user only, removed with the stack
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(view.stdout)
            self.runner.run(
                [
                    "kubectl",
                    "--kubeconfig",
                    str(path),
                    "config",
                    "set-context",
                    "--current",
                    f"--namespace={self.kube.namespace}",
                ]
            )
            self._kubeconfig = path
        return self._kubeconfig

    def placeholders(self, deployment: str) -> dict[str, str]:
        """What the on-call would fill in: the Deployment, its namespace, its broken pod (one whose
        containers are not all ready, else the first) and that pod's node."""
        found = self.runner.run(
            commands.kubectl(
                self.kube,
                self.context,
                "get",
                "pods",
                "--namespace",
                self.kube.namespace,
                "--selector",
                manifests.selector(deployment),
                "--output",
                "json",
            )
        )
        pods = json.loads(found.stdout or "{}").get("items") or []
        values = {"deployment-name": deployment, "namespace": self.kube.namespace}

        def ready(pod: dict) -> bool:  # type: ignore[type-arg]
            statuses = (pod.get("status") or {}).get("containerStatuses") or []
            return bool(statuses) and all(s.get("ready") for s in statuses)

        chosen = next((p for p in pods if not ready(p)), pods[0] if pods else None)
        if chosen is not None:
            values["pod-name"] = str(chosen["metadata"]["name"])
            node = (chosen.get("spec") or {}).get("nodeName")
            if node:
                values["node-name"] = str(node)
        return values

    def run(self, command: str, timeout_s: float = TIMEOUTS.kube_command) -> ShellRun:
        """The command through bash, as written; exit status per pipeline stage."""
        try:
            done = self.runner.run(
                ["env", f"KUBECONFIG={self.kubeconfig()}", "bash", "-c", shell_script(command)],
                timeout=timeout_s,
                check=False,
            )
        except CommandFailed:  # it did not answer in time: its process group is gone (tools.py)
            return ShellRun(command, TIMED_OUT, "", f"did not finish within {timeout_s:.0f}s", ())
        stderr, statuses = split_status(done.stderr)
        return ShellRun(command, done.returncode, done.stdout, stderr, tuple(statuses))
