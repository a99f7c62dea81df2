"""What the `alertdrill` subcommands share: exit codes, file names, Settings from the options."""

from __future__ import annotations

import argparse

from alertdrill.settings import KUBE_OPTIONS, Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: Report files pytest writes itself, first under a hidden name (renamed into place after the run).
PARTIAL = {"junit.xml": ".junit.xml.part", "cucumber.json": ".cucumber.json.part"}
DRILL_MODULE = "features/test_drills.py"
LOG_FORMAT = "%(asctime)s %(levelname)-5s %(message)s"


#: Options some subcommands have and Settings takes as they are.
PASSED_THROUGH = ("report_dir", "reports_root", "keep_runs", "scenarios", "acknowledge_with")


def settings_from(args: argparse.Namespace, run_id: str | None = None) -> Settings:
    """Options over ALERTDRILL_* over defaults; a bad value is a ConfigError naming it."""
    return Settings.resolve(
        {
            "stack": args.stack,
            "monitoring": args.monitoring,
            "time_scale": args.time_scale,
            "ports": args.port,
            "versions": getattr(args, "versions", None),
            "run_id": run_id,
            **{
                k: getattr(args, k, None)
                for k in ("report_dir", "reports_root", "keep_runs", "scenarios", "acknowledge_with")
            },
            **{k.replace("-", "_"): getattr(args, k.replace("-", "_")) for k in KUBE_OPTIONS},
        }
    )
