"""What the pipeline drills' tests share: FLUO's config as it was before them, and a run's drills."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import REPO, Runner

BEFORE = REPO / "tests" / "fixtures" / "fluo-before-pipeline"


def drills_of(runner: Runner) -> dict[str, dict[str, object]]:
    results = json.loads((runner.report_dir / "results.json").read_text())
    return {d["scenario"]: d for d in results["drills"]}


def fluo_before(tmp: Path, duplicates: str = "report") -> Path:
    """FLUO's monitoring dir with the two files the pipeline drills changed, as they were."""
    dest = tmp / "monitoring-before"
    shutil.copytree(REPO / "monitoring", dest)
    for rel in (
        "policy.yml",
        "k8s/kube-prometheus-stack.values.yaml",
        "alertmanager/alertmanager.yml",
        "tests/routing.test.yml",
    ):
        shutil.copy(BEFORE / rel, dest / rel)
    (dest / "rules" / "fluo.meta.rules.yml").unlink()  # no heartbeat, no alerts about the pipeline
    (dest / "tests" / "fluo.meta.test.yml").unlink()
    if duplicates != "report":
        with (dest / "policy.yml").open("a") as f:
            f.write(f"pipeline: {{duplicates: {duplicates}}}\n")
    return dest
