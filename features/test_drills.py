"""Binds every feature under features/ as pytest tests (pytest-bdd needs one test module)."""

from pytest_bdd import scenarios

scenarios(".")
