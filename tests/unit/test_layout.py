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


#: Loops that sleep on purpose and are not waits on a condition, each with why. The simulated
#: services in workload/ are the system under test's stand-ins: their idling and pacing is their
#: behaviour, not the harness waiting for something.
PACING_LOOPS = {
    "stack/local/faults.py": "submit_jobs paces real submissions at the scenario's rate",
}
SLEEPS = {("time", "sleep"), ("asyncio", "sleep")}


def _sleeps_in_loops(tree: ast.AST) -> list[int]:
    lines: list[int] = []
    for loop in ast.walk(tree):
        if not isinstance(loop, ast.While | ast.For | ast.AsyncFor):
            continue
        for node in ast.walk(loop):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and (node.func.value.id, node.func.attr) in SLEEPS
            ):
                lines.append(node.lineno)
    return sorted(set(lines))


def test_no_sleep_and_poll_loop_outside_the_one_wait() -> None:
    """Every wait goes through runtime/wait.py (tenacity): it says what it waited for, how long,
    and what it last saw, and never counts an answer asked for after its deadline."""
    found = {}
    for path in _modules():
        rel = str(path.relative_to(SRC))
        if rel == "runtime/wait.py" or rel.startswith("workload/") or rel in PACING_LOOPS:
            continue
        if lines := _sleeps_in_loops(ast.parse(path.read_text())):
            found[rel] = lines
    assert found == {}, f"use alertdrill.runtime.wait.poll / wait_for instead of these loops: {found}"


def test_the_wait_is_built_on_tenacity() -> None:
    tree = ast.parse((SRC / "runtime" / "wait.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "tenacity" in imported
    assert _sleeps_in_loops(tree) == []  # tenacity does the looping


def _is_timeout_name(name: str) -> bool:
    """A harness guard's name. Prometheus' own scrape timeout is the monitoring's config, not a
    guard (a backend's timing default), and a multiplier is not a duration."""
    upper = name.upper()
    if "SCRAPE" in upper or "FACTOR" in upper:
        return False
    return "TIMEOUT" in upper or upper.endswith(("_WAIT_S", "OVERRUN_S", "READY_S"))


def test_the_timeouts_table_is_the_only_place_a_timeout_is_defined() -> None:
    """No module-level timeout constant and no literal number passed as a timeout outside
    runtime/timeouts.py (workload/'s simulated services excepted: their timeouts are their behaviour)."""
    found: list[str] = []
    for path in _modules():
        rel = str(path.relative_to(SRC))
        if rel == "runtime/timeouts.py" or rel.startswith("workload/"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id.isupper() and _is_timeout_name(t.id):
                    found.append(f"{rel}:{node.lineno} {t.id}")
            if (
                isinstance(node, ast.keyword)
                and node.arg
                and _is_timeout_name(node.arg)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, int | float)
            ):
                found.append(f"{rel}:{node.value.lineno} {node.arg}={node.value.value}")
            if isinstance(node, ast.arguments):
                named = [*node.posonlyargs, *node.args][-len(node.defaults) :] if node.defaults else []
                pairs = list(zip(named, node.defaults, strict=True)) + [
                    (a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True) if d is not None
                ]
                for arg, default in pairs:
                    if _is_timeout_name(arg.arg) and isinstance(default, ast.Constant) and default.value is not None:
                        found.append(f"{rel}:{default.lineno} {arg.arg}={default.value}")
    assert found == [], f"name these in runtime/timeouts.py's table (with why): {found}"
