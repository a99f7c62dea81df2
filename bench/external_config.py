"""Benchmark alertdrill on a public rule set with its maintainers' own tests: kubernetes-mixin.

    python bench/external_config.py PATH_TO_KUBERNETES_MIXIN [--alertdrill CMD] [--skip-mutate]

PATH is a checkout of https://github.com/kubernetes-monitoring/kubernetes-mixin (with Debian's
promtool 2.42 use commit 72a1a23; later tests need promtool >= 2.53). The script renders its
alerts and recording rules with the `jsonnet` package from PyPI (`pip install jsonnet`) into a
temporary directory as the mixin's Makefile does (prometheus_alerts.yaml, prometheus_rules.yaml
next to its unchanged tests.yaml), adds an Alertmanager config written here and an alertdrill.yml
naming the files, then times plain `promtool test rules` against `alertdrill check`, and runs
`alertdrill mutate`. Nothing of the mixin is kept.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ALERTMANAGER = {
    "global": {"smtp_smarthost": "smtp.example.com:587", "smtp_from": "am@example.com", "smtp_require_tls": True},
    "route": {
        "receiver": "tickets",
        "group_by": ["alertname", "cluster", "namespace"],
        "routes": [
            {"matchers": ['severity="critical"'], "receiver": "pager"},
            {"matchers": ['severity="info"'], "receiver": "null"},
        ],
    },
    "inhibit_rules": [
        {"source_matchers": ['severity="critical"'], "target_matchers": ['severity=~"warning|info"'],
         "equal": ["cluster", "namespace", "alertname"]},
    ],
    "receivers": [
        {"name": "pager", "pagerduty_configs": [{"routing_key": "example-routing-key"}]},
        {"name": "tickets", "email_configs": [{"to": "platform-team@example.com", "send_resolved": True}]},
        {"name": "null"},
    ],
}  # fmt: skip


LAYOUT = "rules: [prometheus_alerts.yaml, prometheus_rules.yaml]\ntests: [tests.yaml]\nalertmanager: alertmanager.yml\n"


def render(mixin: Path, out: Path) -> None:
    import _jsonnet  # type: ignore[import-not-found]  # pip install jsonnet

    out.mkdir(parents=True)
    for name, field in (("prometheus_alerts.yaml", "prometheusAlerts"), ("prometheus_rules.yaml", "prometheusRules")):
        code = f"(import 'mixin.libsonnet').{field}"
        doc = json.loads(_jsonnet.evaluate_snippet("bench", code, jpathdir=[str(mixin)]))
        (out / name).write_text(yaml.safe_dump(doc, sort_keys=False))
    (out / "tests.yaml").write_text((mixin / "tests.yaml").read_text())  # as the maintainers wrote it
    (out / "alertmanager.yml").write_text(yaml.safe_dump(ALERTMANAGER, sort_keys=False))
    (out / "alertdrill.yml").write_text(LAYOUT)


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, check=False)
    return time.monotonic() - start, proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mixin", type=Path)
    parser.add_argument("--alertdrill", default=f"{sys.executable} -m alertdrill.cli")
    parser.add_argument("--skip-mutate", action="store_true")
    args = parser.parse_args()
    alertdrill = shlex.split(args.alertdrill)
    with tempfile.TemporaryDirectory(prefix="alertdrill-bench-") as tmp:
        cfg = Path(tmp) / "monitoring"
        render(args.mixin, cfg)
        rules = yaml.safe_load((cfg / "prometheus_alerts.yaml").read_text())
        print(f"rendered {sum(len(g['rules']) for g in rules['groups'])} alerts into {cfg}")
        plain_s, plain = timed(["promtool", "test", "rules", "tests.yaml"], cwd=cfg)
        print(f"plain promtool test rules: {plain_s:.1f}s (exit {plain.returncode})")
        check_s, check = timed([*alertdrill, "check", "--monitoring", str(cfg), "--junit", f"{tmp}/check.xml"])
        print(f"alertdrill check: {check_s:.1f}s (exit {check.returncode}), {check_s / plain_s:.2f}x plain")
        print("\n".join(line for line in check.stdout.splitlines() if not line.startswith(" ")))
        if not args.skip_mutate:
            mutate_s, mutate = timed([*alertdrill, "mutate", "--monitoring", str(cfg), "--diffs", "0",
                                      "--junit", f"{tmp}/mutate.xml"])  # fmt: skip
            print(f"alertdrill mutate: {mutate_s:.1f}s (exit {mutate.returncode})")
            summary = mutate.stdout.split("survivor(s)")[0]  # the summary, then the first survivors
            print(summary[:8000] or mutate.stderr[-3000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
