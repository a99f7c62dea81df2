"""Offline reading of a team's runbooks: the commands that cannot work as written.

Why offline: the cluster drills run the runbooks against a broken stack, but a command that is
wrong on its face (a regex dialect grep does not speak, a Metrics API the cluster lacks, a Service
name only the cluster's DNS resolves, a log read cut to 10 lines) should be found in seconds on
any machine, each with the file, line, why and a fix, the way a reviewer would mark it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from alertdrill.config.runbooks import PLACEHOLDERS, Runbooks, RunbookStep

#: Perl escapes that GNU grep's basic and extended syntax do not have: a backslash before another
#: character is that character (newer greps warn "stray \ before d"; Debian's 3.8 says nothing).
#: `\w \s \b \< \>` GNU grep does have.
PERL_ONLY_ESCAPE = re.compile(r"\\([dDhHNRKAzZ])")
PERL_CLASS = {"d": "[0-9]", "D": "[^0-9]"}
URL = re.compile(r"\bhttps?://([A-Za-z0-9.-]+)")


@dataclass(frozen=True)
class RunbookFinding:
    file: str
    line: int
    runbook: str
    step: str
    command: str
    why: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: `{self.command}`: {self.why}; fix: {self.fix}"


#: Operators that end a pipeline (bash's PIPESTATUS then describes only the last one).
LIST_OPERATORS = {";", "&&", "||", "&"}
#: Redirections: they stay with their stage, and the word after a bare one is its target.
REDIRECTIONS = {">", ">>", "<", ">&", "<&", "&>", ">|", "&>>"}


def pipelines(command: str) -> list[list[list[str]]]:
    """A shell command as its pipelines (split at `;`, `&&`, `||`, `&`), each the argv of its stages
    (split at `|`), quotes removed as the shell removes them and redirections (`2>&1`, `> f`) left
    out of the argv; a command the shell could not parse is one stage of its raw words."""
    try:
        lex = shlex.shlex(command, posix=True, punctuation_chars="|;&<>")
        lex.whitespace_split = True
        tokens = list(lex)
    except ValueError:
        return [[command.split()]]
    out: list[list[list[str]]] = [[[]]]
    skip_target = False
    for tok in tokens:
        stage = out[-1][-1]
        if skip_target:
            skip_target = False
        elif tok in LIST_OPERATORS:
            out.append([[]])
        elif tok == "|":
            out[-1].append([])
        elif tok in REDIRECTIONS:
            if stage and stage[-1].isdigit():
                stage.pop()  # the fd of `2>&1`
            skip_target = True
        else:
            stage.append(tok)
    return [[s for s in p if s] for p in out if any(p)]


def pipeline(command: str) -> list[list[str]]:
    """Every stage of every pipeline of the command, in order (what the lint reads)."""
    return [stage for p in pipelines(command) for stage in p]


#: grep's options that take a value as the next word (`-m 5`, `-e PATTERN`): never the pattern.
GREP_VALUED = {"-e", "-f", "-m", "-A", "-B", "-C", "-d", "-D", "--regexp", "--file", "--max-count", "--label"}
#: kubectl's global and common options that take a value as the next word (`-n ns top pods`).
KUBECTL_VALUED = {
    "-n",
    "--namespace",
    "--context",
    "--kubeconfig",
    "--cluster",
    "--user",
    "-l",
    "--selector",
    "-o",
    "--output",
    "-c",
    "--container",
    "--field-selector",
    "--sort-by",
    "--since",
    "--tail",
    "-f",
    "--filename",
}


def _grep_pattern(argv: list[str]) -> tuple[int | None, bool]:
    """Where in argv grep's pattern is, and whether it is read as Perl (-P)."""
    perl, at, i = False, None, 1
    while i < len(argv):
        arg = argv[i]
        if arg in ("-e", "--regexp") and i + 1 < len(argv):
            at = i + 1 if at is None else at
            i += 1
        elif arg in GREP_VALUED:
            i += 1
        elif arg == "--perl-regexp" or (arg.startswith("-") and not arg.startswith("--") and "P" in arg):
            perl = True
        elif not arg.startswith("-") and at is None:
            at = i
        i += 1
    return at, perl


def _grep_dialect(argv: list[str]) -> tuple[str, str] | None:
    at, perl = _grep_pattern(argv)
    pattern = argv[at] if at is not None else None
    if perl or at is None or pattern is None or not PERL_ONLY_ESCAPE.search(pattern):
        return None
    escape = PERL_ONLY_ESCAPE.search(pattern)
    assert escape is not None
    letter = escape.group(1)
    literal = PERL_ONLY_ESCAPE.sub(lambda m: m.group(1), pattern)
    fixed = PERL_ONLY_ESCAPE.sub(lambda m: PERL_CLASS.get(m.group(1), m.group(0)), pattern)
    # the same grep, its flags kept (-i, -v, -E), with only the pattern rewritten
    fix = shlex.join([*argv[:at], fixed, *argv[at + 1 :]]) if not PERL_ONLY_ESCAPE.search(fixed) else "grep -P …"
    return (
        f'GNU grep has no "\\{letter}" (basic or -E syntax): it reads it as a plain "{letter}", so '
        f'"{pattern}" matches "{literal}" and not what it means',
        f"write `{fix}` (or read the pattern as Perl with grep -P)",
    )


def kubectl_words(argv: list[str]) -> list[str]:
    """kubectl's verb and its arguments: options and the values they take left out."""
    words, i = [], 1
    while i < len(argv):
        arg = argv[i]
        if arg in KUBECTL_VALUED:
            i += 1
        elif not arg.startswith("-"):
            words.append(arg)
        i += 1
    return words


def _kubectl_problems(argv: list[str], runbooks: Runbooks) -> list[tuple[str, str]]:
    out = []
    words = kubectl_words(argv)
    if words[:1] == ["top"] and not runbooks.metrics_api:
        out.append(
            (
                "`kubectl top` reads the Metrics API (metrics-server), which this cluster does not have "
                "(runbooks.yml cluster.metrics_api: false): it fails with 'Metrics API not available'",
                "install metrics-server and set cluster.metrics_api: true, or read usage from Prometheus "
                "(e.g. sum by (pod) (container_memory_working_set_bytes))",
            )
        )
    selector = any(a in ("-l", "--selector") or a.startswith(("--selector=", "-l")) for a in argv)
    tail = any(a == "--tail" or a.startswith("--tail=") for a in argv)
    if words[:1] == ["logs"] and selector and not tail:
        since = next((a.split("=", 1)[1] for a in argv if a.startswith("--since=")), None)
        cut = f", so --since={since} reads at most 10 lines per pod" if since else ""
        out.append(
            (
                f"with a label selector `kubectl logs` prints only the last 10 lines of each pod (--tail "
                f"defaults to 10 with -l){cut}",
                "add --tail=-1",
            )
        )
    return out


def _hides_unready_pods(stages: list[list[str]]) -> tuple[str, str] | None:
    """`kubectl get pods | grep -v Running`: a pod whose process runs but is not ready (READY 0/1:
    hung, or failing its readiness probe) says Running, so the filter hides it."""
    lists_pods = any(
        s[0].rsplit("/", 1)[-1] == "kubectl"
        and kubectl_words(s)[:2] in (["get", "pods"], ["get", "pod"], ["get", "po"])
        for s in stages
    )
    for s in stages:
        at, _ = _grep_pattern(s) if s[0].rsplit("/", 1)[-1] == "grep" else (None, False)
        pattern = s[at] if at is not None else None
        inverted = any(a == "-v" or (a.startswith("-") and not a.startswith("--") and "v" in a) for a in s[1:])
        if lists_pods and inverted and pattern == "Running":
            return (
                "a pod whose container runs but is not ready (READY 0/1: hung, or failing its readiness probe) "
                "is listed as Running, so `grep -v Running` hides exactly the pod that is down",
                "keep the pods that are Running and fully ready out instead: grep -Ev ' ([0-9]+)/\\1 +Running '",
            )
    return None


def in_cluster_host(host: str, namespaces: tuple[str, ...]) -> bool:
    """A Kubernetes Service name that only the cluster's DNS resolves: one label (`alertmanager`),
    `svc.namespace[.svc[.cluster.local]]`, or two labels whose second cannot be a public top-level
    domain (those are letters only) or is a namespace the runbooks name."""
    host = host.lower().rstrip(".")
    labels = host.split(".")
    if host == "localhost" or labels[-1] == "localhost" or re.fullmatch(r"[\d.]+", host):
        return False
    if len(labels) == 1 or host.endswith((".svc", ".svc.cluster.local", ".cluster.local")):
        return True
    last = labels[-1]
    not_a_tld = not re.fullmatch(r"[a-z]+", last) and not last.startswith("xn--")
    return len(labels) == 2 and (not_a_tld or last in namespaces)


def _url_problems(argv: list[str], runbooks: Runbooks) -> list[tuple[str, str]]:
    if argv[0] not in ("curl", "wget"):
        return []
    out = []
    for arg in argv[1:]:
        m = URL.search(arg)
        if m and in_cluster_host(m.group(1), runbooks.namespaces):
            host = m.group(1)
            service, _, ns = host.partition(".")
            forward = f"kubectl port-forward -n {ns.split('.')[0]} svc/{service} PORT" if ns else "kubectl port-forward"
            out.append(
                (
                    f"{host} is a Kubernetes Service name: only the cluster's DNS resolves it, so {argv[0]} run "
                    "from a workstation fails with 'Could not resolve host'",
                    f"run it from a pod (kubectl exec deploy/NAME -- {argv[0]} ...) or through `{forward}` and "
                    "localhost",
                )
            )
    return out


def step_findings(runbook: str, step: RunbookStep, runbooks: Runbooks) -> list[RunbookFinding]:
    """Every problem of one command, each located at its line."""
    problems: list[tuple[str, str]] = []
    for name in step.placeholders:
        if name not in PLACEHOLDERS:
            problems.append(
                (
                    f"nothing fills [{name}]",
                    "use one of " + ", ".join(f"[{p}]" for p in PLACEHOLDERS) + " (what a drill knows)",
                )
            )
    stages = pipeline(step.run)
    hidden = _hides_unready_pods(stages)
    problems += [hidden] if hidden else []
    for argv in stages:
        program = argv[0].rsplit("/", 1)[-1]
        if program in ("grep", "egrep"):
            found = _grep_dialect(argv)
            problems += [found] if found else []
        elif program == "kubectl":
            problems += _kubectl_problems(argv, runbooks)
        problems += _url_problems([program, *argv[1:]], runbooks)
    return [
        RunbookFinding(str(runbooks.path), step.line, runbook, step.say, step.run, why, fix) for why, fix in problems
    ]


def lint_runbooks(runbooks: Runbooks) -> list[RunbookFinding]:
    return [f for rb in runbooks.runbooks for step in rb.steps for f in step_findings(rb.name, step, runbooks)]
