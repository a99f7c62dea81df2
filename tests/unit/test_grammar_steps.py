"""The step texts a feature may use (grammar.STEP_TEXTS) are exactly the ones steps/ binds: the
check before any stack starts (cli/run.py check_feature_steps) cannot drift from the definitions."""

from __future__ import annotations

import ast
from pathlib import Path

from alertdrill import grammar

REPO = Path(__file__).resolve().parents[2]


def _bound_names() -> set[str]:
    """Every `g.NAME` a @given/@when/@then decorator of steps/ binds."""
    names = set()
    for path in (REPO / "steps").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("given", "when", "then"):
                for arg in ast.walk(node):
                    if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) and arg.value.id == "g":
                        names.add(arg.attr)
    return names


def test_step_texts_are_exactly_what_steps_bind() -> None:
    listed = {name for name in dir(grammar) if getattr(grammar, name) in grammar.STEP_TEXTS and name.isupper()}
    assert _bound_names() - {"STEP_TEXTS"} == listed - {"STEP_TEXTS"}


def test_step_texts_match_like_pytest_bdd() -> None:
    assert grammar.matches_step('alert "ServiceDown" fires for job "bff" after holding for 30 seconds')
    assert grammar.matches_step("no other alert fired")
    assert not grammar.matches_step("the moon falls")
    assert not grammar.matches_step('alert "ServiceDown" fires for job "bff" after holding for thirty seconds')
