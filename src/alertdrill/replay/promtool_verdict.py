"""promtool's own verdict on each group, taken before the replay: a live result that differs
from the test file but matches promtool is the test file's problem, not the pipeline's.

Why: a test written for another Prometheus (kubernetes-mixin at 72a1a23 expects Prometheus 2's
left-closed windows; promtool 3 fails it too) would otherwise read as a live-only disagreement.
Each check promtool fails is named, so the replay can say "promtool fails it as well".
"""

from __future__ import annotations

import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alertdrill.config.durations import format_duration, parse_duration
from alertdrill.errors import ConfigError, ToolTimeoutError
from alertdrill.replay.plan import ReplayGroup
from alertdrill.runtime.timeouts import TIMEOUTS
from alertdrill.runtime.tools import run_tool
from alertdrill.runtime.yamlfile import dump_yaml

_ALERT = re.compile(r"^\s*alertname: (\S+), time: ([0-9a-z.]+),", re.M)
_EXPR = re.compile(r'^\s*expr: "((?:[^"\\]|\\.)*)", time: ([0-9a-z.]+),', re.M)


def failures_of(output: str) -> set[tuple[str, float]]:
    """(alertname or expression, test time) of every check promtool reports failed."""
    found = {(m.group(1), _seconds(m.group(2))) for m in _ALERT.finditer(output)}
    found |= {
        (bytes(m.group(1), "utf-8").decode("unicode_escape"), _seconds(m.group(2))) for m in _EXPR.finditer(output)
    }
    return found


def _seconds(text: str) -> float:
    try:
        return parse_duration(text.replace(".", "") if text.endswith("ms") else re.sub(r"\.\d+", "", text))
    except ConfigError:
        return -1.0


def promtool_failures(group: ReplayGroup, bin_path: str | None) -> set[tuple[str, float]]:
    """Run promtool on this one group (its own test file, the same rule files)."""
    header = {
        "rule_files": [str(rf.path.resolve()) for rf in group.rule_files],
        "evaluation_interval": format_duration(group.eval_interval_s),
        **({"group_eval_order": group.group_order} if group.group_order else {}),
    }
    with tempfile.TemporaryDirectory(prefix="alertdrill-replay-") as tmp:
        path = Path(tmp) / "group.test.yml"
        dump_yaml({**header, "tests": [group.raw]}, path)
        try:
            proc = run_tool(
                "promtool",
                ["test", "rules", str(path)],
                bin_path=bin_path,
                timeout_s=TIMEOUTS.rule_tests_unmeasured,
                merge_output=True,
            )
        except ToolTimeoutError:
            return set()
    return failures_of(proc.stdout) if proc.returncode != 0 else set()


def promtool_verdicts(groups: list[ReplayGroup], bin_path: str | None, workers: int) -> None:
    """Set each replayable group's `promtool_failed` (in parallel: promtool is one process a group)."""
    todo = [g for g in groups if not g.skipped]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for g, failed in zip(todo, pool.map(lambda g: promtool_failures(g, bin_path), todo), strict=True):
            g.promtool_failed = failed
