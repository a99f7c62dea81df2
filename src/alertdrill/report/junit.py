"""JUnit XML for `alertdrill check` and `alertdrill mutate`: one testcase per verdict."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol


class Verdict(Protocol):
    @property
    def suite(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def detail(self) -> str: ...


def write_junit(path: Path, verdicts: Iterable[Verdict], name: str, seconds: float) -> None:
    items = list(verdicts)
    root = ET.Element(
        "testsuites",
        name=name,
        tests=str(len(items)),
        failures=str(sum(not v.ok for v in items)),
        time=f"{seconds:.3f}",
    )
    suites: dict[str, ET.Element] = {}
    for v in items:
        suite = suites.get(v.suite)
        if suite is None:
            suite = suites[v.suite] = ET.SubElement(root, "testsuite", name=v.suite)
        case = ET.SubElement(suite, "testcase", classname=f"{name}.{v.suite}", name=v.name)
        if not v.ok:
            ET.SubElement(
                case, "failure", message=v.detail.splitlines()[0][:200] if v.detail else "failed"
            ).text = v.detail
    for suite in suites.values():
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="unicode", xml_declaration=True)


#: Drill outcomes that are not a verdict on the monitoring: JUnit `<error>`, which CI systems
#: show apart from a `<failure>`.
NOT_A_VERDICT = ("error", "inconclusive")


def mark_errors(path: Path) -> int:
    """A run's JUnit file (pytest's) with every testcase whose `outcome` property says error or
    inconclusive reported as `<error>` instead of `<failure>`; the suites' counts follow. Returns
    how many it changed."""
    if not path.is_file():
        return 0
    try:
        tree = ET.parse(path)
    except ET.ParseError:  # a half-written file (a killed run): left as pytest wrote it
        return 0
    changed = 0
    for suite in tree.getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            props = {p.get("name"): p.get("value") for p in case.iter("property")}
            outcome = props.get("outcome")
            for failure in case.findall("failure") if outcome in NOT_A_VERDICT else []:
                failure.tag = "error"
                failure.set("message", f"{outcome}: {failure.get('message', '')}")
                changed += 1
        cases = list(suite.iter("testcase"))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    if changed:
        tmp = path.with_name(f".{path.name}.tmp")
        tree.write(tmp, encoding="unicode", xml_declaration=True)
        tmp.replace(path)
    return changed
