"""The one runner for promtool and amtool: found by name, always a timeout, located errors.

Why one runner: every check, test and mutant batch shells out to the same two tools; one place
decides how they are found, how long they may take (a hang guard, not a verdict: FLUO's whole
check takes about a second) and what a timeout says.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from alertdrill.errors import ToolTimeoutError
from alertdrill.runtime.binaries import find_binary
from alertdrill.runtime.timeouts import TIMEOUTS


def run_tool(
    program: str,
    args: Sequence[str],
    *,
    bin_path: str | None = None,
    timeout_s: float = TIMEOUTS.tool_run,
    merge_output: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `program args...`; the caller judges the exit status.

    `merge_output`: one pipe for stdout and stderr, for tools (promtool) that print a file's
    header on stdout and its failure on stderr, where only a merged pipe keeps them in order.
    Raises BinaryNotFoundError (not installed) or ToolTimeoutError (naming the command).
    """
    argv = [str(find_binary(program, bin_path)), *map(str, args)]
    try:
        return subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_output else subprocess.PIPE,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        shown = " ".join(argv[:6]) + (" ..." if len(argv) > 6 else "")
        raise ToolTimeoutError(
            f"`{shown}` did not finish in {timeout_s:.0f}s; the tool may hang on this input "
            "(try it by hand) or the machine is overloaded"
        ) from None


def output_of(proc: subprocess.CompletedProcess[str]) -> str:
    """Everything the tool printed, stripped."""
    return ((proc.stdout or "") + (proc.stderr or "")).strip()
