"""What the `alertdrill` subcommands share: exit codes, file names, Settings from the options."""

from __future__ import annotations

import argparse

from alertdrill.options import settings_options
from alertdrill.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: Report files pytest writes itself, first under a hidden name (renamed into place after the run).
PARTIAL = {"junit.xml": ".junit.xml.part", "cucumber.json": ".cucumber.json.part"}
DRILL_MODULE = "features/test_drills.py"
LOG_FORMAT = "%(asctime)s %(levelname)-5s %(message)s"


def settings_from(args: argparse.Namespace, run_id: str | None = None) -> Settings:
    """Options over ALERTDRILL_* over defaults; a bad value is a ConfigError naming it."""
    return Settings.resolve({**settings_options(lambda dest: getattr(args, dest, None)), "run_id": run_id})
