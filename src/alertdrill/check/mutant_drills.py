"""`alertdrill mutate --with-drills`: a mutant the offline tests missed meets the live drills.

The drills of the mutant's alert run against a copy of the config in which the mutant replaced
the file it came from; a drill that fails kills the mutant. Slow (a local stack per survivor),
so only on request.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from alertdrill.check.mutation_results import MutantResult
from alertdrill.config.monitoring import MonitoringConfig
from alertdrill.grammar import drilled_alerts
from alertdrill.runtime.timeouts import TIMEOUTS

#: `alertdrill run`'s exit code for "a drill failed" (cli.EXIT_FAILED).
DRILL_FAILED = 1


def features_of(alert: str, features_dir: Path) -> list[Path]:
    return [p for p in sorted(features_dir.rglob("*.feature")) if alert in drilled_alerts(p.read_text())]


def kill_with_drills(result: MutantResult, root: Path, features_dir: Path = Path("features")) -> None:
    """Run the live drills of the mutant's alert against the mutant; a failing drill kills it."""
    features = features_of(result.mutant.target, features_dir)
    if not features:
        return
    with tempfile.TemporaryDirectory(prefix="alertdrill-mutant-") as tmp:
        dest = Path(tmp) / "monitoring"
        shutil.copytree(root, dest)
        # The mutant replaces the file it came from (rule files in rule_files() order, or the
        # Alertmanager config wherever it was found), not whichever file a glob lists first.
        config = MonitoringConfig.load(root)
        source = (
            config.alertmanager_path
            if result.mutant.kind == "alertmanager"
            else config.rule_files[result.mutant.file_index].path
        )
        target = dest / source.relative_to(root)
        target.write_text(yaml.safe_dump(result.mutant.document, sort_keys=False))
        argv = [
            sys.executable,
            "-m",
            "alertdrill.cli",
            "run",
            *map(str, features),
            "-q",
            "--monitoring",
            str(dest),
            "--report-dir",
            str(Path(tmp) / "reports"),
            "--tags",
            "not slow and not pipeline",
        ]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUTS.mutant_drills, check=False)
    if proc.returncode == DRILL_FAILED:
        result.verdict, result.killed_by = "killed", "live drill failed"
