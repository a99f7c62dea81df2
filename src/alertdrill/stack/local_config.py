"""The local stack's generated Prometheus config and file-based service discovery."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertdrill.rules.durations import format_duration
from alertdrill.yamlfile import dump_yaml


@dataclass(frozen=True)
class ScrapeJob:
    name: str
    honor_labels: bool = False  # kube-state-metrics: the object's namespace/pod, not the target's


def write_prometheus_config(
    path: Path,
    *,
    scrape_s: float,
    eval_s: float,
    scrape_timeout_s: float,
    rule_files: list[Path],
    alertmanager: str,
    sd_dir: Path,
    jobs: list[ScrapeJob],
) -> None:
    """Every job discovers its targets from `<sd_dir>/<job>.json`, so pods come and go like on k8s."""
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": format_duration(scrape_s),
            "evaluation_interval": format_duration(eval_s),
            "scrape_timeout": format_duration(scrape_timeout_s),
        },
        "rule_files": [str(p) for p in rule_files],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": [
            {
                "job_name": job.name,
                "honor_labels": job.honor_labels,
                "file_sd_configs": [{"files": [str(sd_dir / f"{job.name}.json")], "refresh_interval": "1s"}],
            }
            for job in jobs
        ],
    }
    dump_yaml(config, path)


def write_targets(sd_dir: Path, job: str, targets: list[tuple[str, dict[str, str]]]) -> None:
    """Write one job's file_sd targets atomically (Prometheus may read at any moment)."""
    sd_dir.mkdir(parents=True, exist_ok=True)
    groups = [{"targets": [addr], "labels": labels} for addr, labels in targets]
    tmp = sd_dir / f".{job}.json.tmp"
    tmp.write_text(json.dumps(groups, indent=1))
    tmp.replace(sd_dir / f"{job}.json")
