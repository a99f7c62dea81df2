"""Binds every feature under features/ as pytest tests (pytest-bdd needs one test module), and the
feature files `alertdrill run` was given from elsewhere (ALERTDRILL_EXTRA_FEATURES, os.pathsep-
separated): a team's own drill file is run where it lies, not silently skipped."""

import os

from pytest_bdd import scenarios

scenarios(".")
for _path in filter(None, os.environ.get("ALERTDRILL_EXTRA_FEATURES", "").split(os.pathsep)):
    scenarios(_path)
