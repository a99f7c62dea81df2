"""The shape of the package, kept by a test: small modules, short functions, layers as contracts."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "alertdrill"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_no_module_over_400_lines() -> None:
    big = {str(p.relative_to(SRC)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert big == {}, f"split these by concern (limit {MAX_MODULE_LINES} lines): {big}"


def test_no_function_over_60_lines() -> None:
    long: dict[str, int] = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(SRC)}:{node.lineno} {node.name}"] = length
    assert long == {}, f"split these (limit {MAX_FUNCTION_LINES} lines): {long}"


def test_the_caps_are_met_not_gamed() -> None:
    """No hand-packed code under the caps: no formatter escapes, and the formatter agrees."""
    markers = ("fmt: " + "skip", "fmt: " + "off")  # spelled apart so this file is not one itself
    escapes = [
        f"{p.relative_to(SRC)}:{n}"
        for p in _modules()
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if any(m in line for m in markers)
    ]
    assert escapes == [], f"format these normally and split what then breaks a cap: {escapes}"
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff is not None, "ruff is a dev dependency: pip install -e '.[dev]'"
    proc = subprocess.run([ruff, "format", "--check", str(SRC)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_layer_contracts_hold() -> None:
    """import-linter's contracts in pyproject.toml (the layer picture in ARCHITECTURE.md)."""
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        pytest.fail("lint-imports is not installed: pip install -e '.[dev]' (import-linter)")
    proc = subprocess.run([lint_imports], cwd=SRC.parents[1], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_no_branching_on_a_backends_name_outside_stack() -> None:
    """A backend is one registry entry: what differs between backends is a StackSpec field, so no
    code outside stack/ compares with, or tests membership of, a backend's name."""
    from alertdrill.backends import STACK_NAMES

    found = []
    for path in _modules():
        if path.is_relative_to(SRC / "stack"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            for operand in operands:
                elements = operand.elts if isinstance(operand, ast.Tuple | ast.List | ast.Set) else [operand]
                if any(isinstance(e, ast.Constant) and e.value in STACK_NAMES for e in elements):
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == [], f"read the backend's ability from its StackSpec instead: {found}"
