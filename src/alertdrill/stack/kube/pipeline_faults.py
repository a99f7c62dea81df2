"""Faults on the alerting pipeline of a kind or existing cluster: the same fault names as the local
stack, carried out with kubectl through the stack's runner (so `--dry-run` lists them and
`alertdrill revert` can undo them from their recorded command lines).

How each maps onto Kubernetes, and what differs from the local stack (stated, not hidden):
- Alertmanager / Prometheus SIGKILLed: `kubectl delete pod --grace-period=0 --force`; the
  StatefulSet recreates the pod at once. Storage is the chart's default emptyDir, so the new pod
  starts with nothing at all (locally it starts on its last snapshot).
- An Alertmanager held down: the operator's Alertmanager object scaled down by one (the operator
  removes the highest ordinal, so only the last replica can be held down), scaled back to heal.
- The mail relay failing: the in-cluster recorder's SMTP listeners answer 451 or stop listening
  (`POST /admin/relay` from inside its pod).
- The link cut: a NetworkPolicy that admits nothing from Prometheus pods to Alertmanager pods
  (packets dropped, as a partition does). It needs a CNI that enforces NetworkPolicy (kind's
  kindnet does since kind v0.24; check yours).
- A broken config: written into the chart's Alertmanager config Secret; prometheus-operator
  validates it and refuses to hand it on, so Alertmanager keeps running its own config.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from alertdrill.errors import FaultError
from alertdrill.faults.injection import (
    ALERTMANAGER,
    AM_CONFIG_VIA_OPERATOR,
    LINK,
    MAIL_RELAY,
    PROMETHEUS,
    CommandsUndo,
    Injection,
)
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.settings import KubeSettings
from alertdrill.stack.kube import commands
from alertdrill.stack.kube.isolation import KPS_SERVICES
from alertdrill.stack.kube.manifests import RECORDER_PORT
from alertdrill.stack.kube.tools import Runner, poll_command

ALERTMANAGER_OBJECT = KPS_SERVICES["alertmanager"][0]
PROMETHEUS_OBJECT = KPS_SERVICES["prometheus"][0]
#: The Secret kube-prometheus-stack renders `alertmanager.config` into (the operator's input).
ALERTMANAGER_CONFIG_SECRET = f"alertmanager-{ALERTMANAGER_OBJECT}"
LINK_POLICY = "alertdrill-cut-prometheus-to-alertmanager"
BROKEN_CONFIG = "route: [this is not a route\n"


@dataclass(frozen=True)
class PipelineTarget:
    """What the pipeline faults need from the kube stack."""

    runner: Runner
    kube: KubeSettings
    context: str | None
    alertmanager_replicas: int
    #: kind only: on an existing cluster these are the team's own Prometheus and Alertmanager,
    #: which alertdrill never breaks (as it never restarts them for isolation).
    owned: bool = True

    def require_owned(self, fault: str) -> None:
        if not self.owned:
            raise FaultError(
                f"{fault}: pipeline faults break Prometheus and Alertmanager themselves; on an existing "
                "cluster those are the team's own, so alertdrill runs them on kind (or the local stack) only"
            )

    @property
    def monitoring_ns(self) -> str:
        return self.kube.monitoring_namespace

    @property
    def workload_ns(self) -> str:
        return self.kube.namespace

    def kubectl(self, *args: str) -> list[str]:
        return commands.kubectl(self.kube, self.context, *args)


def _pod(kind: str, obj: str, ordinal: int) -> str:
    return f"{kind}-{obj}-{ordinal}"


def link_policy(namespace: str) -> dict[str, object]:
    """Alertmanager pods admit traffic from every pod but Prometheus's (gossip, the drill's own reads)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": LINK_POLICY,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/part-of": "alertdrill"},
        },
        "spec": {
            "podSelector": {"matchLabels": {"alertmanager": ALERTMANAGER_OBJECT}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {},
                            "podSelector": {"matchExpressions": [{"key": "prometheus", "operator": "DoesNotExist"}]},
                        }
                    ]
                }
            ],
        },
    }


class KubePipelineFaults:
    """Mixed into KubeFaults; `pipeline` is the narrow view of the stack these faults act on."""

    pipeline: PipelineTarget

    def _run(self, argv: list[str]) -> None:
        self.pipeline.runner.run(argv, timeout=TIMEOUTS.kube_command)

    def _wait_ready(self, pod: str) -> None:
        """The named pod (recreated by its StatefulSet) Ready: not merely a peer of it."""
        t = self.pipeline
        wait = t.kubectl("wait", "--for=condition=Ready", f"pod/{pod}", "--namespace", t.monitoring_ns)
        if poll_command(t.runner, wait, lambda d: d.returncode == 0, TIMEOUTS.kube_recreate) is None:
            raise FaultError(f"pod {pod} in {t.monitoring_ns} not Ready within {TIMEOUTS.kube_recreate:.0f}s")

    def _force_delete(self, pod: str) -> list[str]:
        t = self.pipeline
        return t.kubectl("delete", "pod", pod, "--namespace", t.monitoring_ns, "--grace-period=0", "--force")

    def kill_alertmanager(self, replica: int) -> Injection:
        t = self.pipeline
        t.require_owned("kill_alertmanager")
        last = t.alertmanager_replicas - 1
        index = replica if replica >= 0 else t.alertmanager_replicas + replica
        if not 0 <= index <= last:
            raise FaultError(f"no Alertmanager {replica} (the cluster runs {t.alertmanager_replicas})")
        pod = _pod("alertmanager", ALERTMANAGER_OBJECT, index)
        if index != last:  # recreated at once by its StatefulSet: healing is waiting for it
            self._run(self._force_delete(pod))
            return Injection(lambda: self._wait_ready(pod), CommandsUndo(()), pipeline=ALERTMANAGER)
        # The last one is held down by scaling the operator's object first (so the StatefulSet does
        # not bring it back), then SIGKILLed: `down_for` and until-rollback work.
        scale, restore = self._scale_alertmanagers(last), self._scale_alertmanagers(t.alertmanager_replicas)
        self._run(scale)
        self._run(self._force_delete(pod))

        def heal() -> None:
            self._run(restore)
            self._wait_ready(pod)

        return Injection(heal, CommandsUndo((tuple(restore),)), pipeline=ALERTMANAGER)

    def kill_every_alertmanager(self) -> Injection:
        """Scaled to 0 (so the StatefulSet brings none back), then every pod force-deleted."""
        t = self.pipeline
        t.require_owned("kill_every_alertmanager")
        pods = [_pod("alertmanager", ALERTMANAGER_OBJECT, i) for i in range(t.alertmanager_replicas)]
        scale, restore = self._scale_alertmanagers(0), self._scale_alertmanagers(t.alertmanager_replicas)
        self._run(scale)
        for pod in pods:
            self._run(self._force_delete(pod))

        def heal() -> None:
            self._run(restore)
            for pod in pods:
                self._wait_ready(pod)

        return Injection(heal, CommandsUndo((tuple(restore),)), pipeline=ALERTMANAGER)

    def _scale_alertmanagers(self, replicas: int) -> list[str]:
        t = self.pipeline
        patch = json.dumps({"spec": {"replicas": replicas}})
        ns = t.monitoring_ns
        return t.kubectl(
            "patch", "alertmanager", ALERTMANAGER_OBJECT, "--namespace", ns, "--type", "merge", "--patch", patch
        )

    def kill_prometheus(self) -> Injection:
        self.pipeline.require_owned("kill_prometheus")
        pod = _pod("prometheus", PROMETHEUS_OBJECT, 0)
        self._run(self._force_delete(pod))
        return Injection(lambda: self._wait_ready(pod), CommandsUndo(()), pipeline=PROMETHEUS)

    def _relay_command(self, mode: str | None) -> list[str]:
        t = self.pipeline
        script = (
            "import json, urllib.request; "
            f"urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:{RECORDER_PORT}/admin/relay', "
            f"data=json.dumps({{'mode': {mode!r}}}).encode(), method='POST'), timeout=10)"
        )
        return t.kubectl("exec", "deploy/recorder", "--namespace", t.workload_ns, "--", "python", "-c", script)

    def fail_mail_relay(self, mode: str) -> Injection:
        self._run(self._relay_command(mode))
        heal = self._relay_command(None)
        return Injection(lambda: self._run(heal), CommandsUndo((tuple(heal),)), pipeline=MAIL_RELAY)

    def cut_alertmanager_link(self) -> Injection:
        t = self.pipeline
        t.require_owned("cut_alertmanager_link")
        self.pipeline.runner.run(
            t.kubectl("apply", "-f", "-"), timeout=TIMEOUTS.kube_apply, stdin=json.dumps(link_policy(t.monitoring_ns))
        )
        heal = t.kubectl("delete", "networkpolicy", LINK_POLICY, "--namespace", t.monitoring_ns, "--ignore-not-found")
        return Injection(lambda: self._run(heal), CommandsUndo((tuple(heal),)), pipeline=LINK)

    def break_alertmanager_config(self, broken: bool) -> Injection:
        """The operator's input Secret gets a config that does not parse (`broken`) or a copy of its own."""
        t = self.pipeline
        t.require_owned("break_alertmanager_config")
        get = t.kubectl(
            "get",
            "secret",
            ALERTMANAGER_CONFIG_SECRET,
            "--namespace",
            t.monitoring_ns,
            "--output",
            "jsonpath={.data.alertmanager\\.yaml}",
        )
        original = t.runner.run(get, timeout=TIMEOUTS.kube_get).stdout.strip()
        if not original:  # restoring "" would leave Alertmanager's config empty for good
            raise FaultError(
                f"secret {ALERTMANAGER_CONFIG_SECRET} in {t.monitoring_ns} has no alertmanager.yaml: "
                "nothing to restore, so no broken config is pushed"
            )

        def put(data_b64: str) -> list[str]:
            return t.kubectl(
                "patch",
                "secret",
                ALERTMANAGER_CONFIG_SECRET,
                "--namespace",
                t.monitoring_ns,
                "--type",
                "merge",
                "--patch",
                json.dumps({"data": {"alertmanager.yaml": data_b64}}),
            )

        if broken:
            self._run(put(_b64(BROKEN_CONFIG)))
        else:
            self._run(put(original))
        restore = put(original)
        return Injection(lambda: self._run(restore), CommandsUndo((tuple(restore),)), pipeline=AM_CONFIG_VIA_OPERATOR)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
