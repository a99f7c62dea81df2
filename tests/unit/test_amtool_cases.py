"""Routing cases read from a script of amtool calls (config.amtool_cases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertdrill.config.routing_cases import load_cases
from alertdrill.errors import ConfigError

SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
AM=alertmanager/alertmanager.yml
# P0 pages the on-call and escalates
amtool config routes test --config.file="$AM" \\
    --verify.receivers=critical-oncall,critical-senior-engineer \\
    alertname=ServiceDown severity=critical job="bff"
./bin/amtool config routes test --config.file $AM --verify.receivers high-oncall alertname=HighLatency severity=high
amtool config routes test --config.file=$AM --tree alertname=Printed   # prints only: no case
echo "checking" && amtool config routes test --verify.receivers=oncall-primary alertname=Unknown || exit 1
amtool check-config "$AM"
"""


def _script(tmp_path: Path, text: str, name: str = "routes.sh") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_each_verifying_amtool_call_is_a_case_named_by_its_line(tmp_path: Path) -> None:
    cases = load_cases(_script(tmp_path, SCRIPT))
    assert [(c.name, c.labels, c.receivers) for c in cases] == [
        (
            "routes.sh:5",
            {"alertname": "ServiceDown", "severity": "critical", "job": "bff"},
            ("critical-oncall", "critical-senior-engineer"),
        ),
        ("routes.sh:8", {"alertname": "HighLatency", "severity": "high"}, ("high-oncall",)),
        ("routes.sh:10", {"alertname": "Unknown"}, ("oncall-primary",)),
    ]


def test_a_call_without_verify_receivers_and_other_amtool_commands_are_not_cases(tmp_path: Path) -> None:
    text = (
        "amtool config routes test --tree alertname=X\namtool config routes show\namtool alert query\n"
        "echo amtool config routes test --verify.receivers=r alertname=Echoed\n"
        "amtool config routes test --verify.receivers=r alertname=Real\n"
    )
    assert [c.labels for c in load_cases(_script(tmp_path, text))] == [{"alertname": "Real"}]


HEREDOC_AND_FLAGS = """cat <<'END'
it's a heredoc: amtool config routes test --verify.receivers=r a="not parsed
END
# a comment that ends in a backslash continues nothing \\
AM=am.yml sudo amtool --alertmanager.url http://x:9093 config routes test --verify.receivers r1 a=A#1 >/dev/null 2>&1
if amtool config routes --config.file am.yml test --verify.receivers=r2 a=B # the team's note
then echo ok; fi
"""


def test_shell_as_scripts_write_it_flags_first_redirections_comments_heredocs(tmp_path: Path) -> None:
    cases = load_cases(_script(tmp_path, HEREDOC_AND_FLAGS))
    assert [(c.name, c.labels, c.receivers) for c in cases] == [
        ("routes.sh:5", {"a": "A#1"}, ("r1",)),
        ("routes.sh:6", {"a": "B"}, ("r2",)),
    ]


def test_a_script_with_no_verifying_call_is_refused_not_read_as_no_cases(tmp_path: Path) -> None:
    path = _script(tmp_path, "amtool config routes test --tree alertname=X\n", "routes.sh")
    with pytest.raises(ConfigError, match=r"routes.sh: no `amtool config routes test --verify.receivers"):
        load_cases(path)
    upper = _script(tmp_path, "cases:\n- labels: {alertname: A}\n  receivers: [r]\n", "routing.test.YML")
    assert [c.receivers for c in load_cases(upper)] == [("r",)]  # YAML, whatever the suffix's case


@pytest.mark.parametrize(
    "call", ["--verify.receivers=$R alertname=A", "--verify.receivers=r alertname=$NAME", "--verify.receivers=r a=$(x)"]
)
def test_a_shell_variable_in_a_case_is_one_line_asking_for_the_literal(tmp_path: Path, call: str) -> None:
    path = _script(tmp_path, f'AM=x\namtool config routes test --config.file="$AM" {call}\n')
    with pytest.raises(ConfigError, match=r"routes.sh:2: .*write the literal value, not a shell variable$"):
        load_cases(path)


def test_a_yaml_file_is_still_read_as_alertdrills_cases(tmp_path: Path) -> None:
    path = _script(tmp_path, "cases:\n- name: c\n  labels: {alertname: A}\n  receivers: [r]\n", "routing.test.yml")
    assert [(c.name, c.receivers) for c in load_cases(path)] == [("c", ("r",))]


@pytest.mark.parametrize("label", ["severity!=critical", "severity=~crit.*", "severity"])
def test_a_matcher_instead_of_a_label_is_one_line_naming_file_and_line(tmp_path: Path, label: str) -> None:
    path = _script(tmp_path, f"\namtool config routes test --verify.receivers=r alertname=A {label}\n")
    with pytest.raises(ConfigError) as err:
        load_cases(path)
    assert str(err.value).startswith(f"{path}:2: amtool label {label!r}: write each label as name=value")
    assert "\n" not in str(err.value)


def test_an_unclosed_quote_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    path = _script(tmp_path, 'amtool config routes test --verify.receivers=r alertname="A\n')
    with pytest.raises(ConfigError, match=rf"^{path}:1: cannot read this shell line .*close its quotes$"):
        load_cases(path)
