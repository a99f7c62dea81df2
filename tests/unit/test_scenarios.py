from pathlib import Path

import pytest
from chaoslib.experiment import ensure_experiment_is_valid

from alertdrill.errors import ConfigError, FaultError
from alertdrill.faults import actions
from alertdrill.faults.scenario import find_scenario, load_scenario
from alertdrill.runtime.yamlfile import load_yaml
from alertdrill.slo.hypothesis import PROBES

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_is_a_valid_chaos_toolkit_experiment(path: Path) -> None:
    ensure_experiment_is_valid(load_yaml(path))  # what `chaos validate` runs
    scenario = load_scenario(path, PROBES)
    assert scenario.method and scenario.rollbacks


def test_a_broken_scenario_reports_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("""title: t
method:
- type: action
  name: a
  provider: {type: python, module: os, func: system, arguments: {command: ls}}
- type: action
  name: b
  provider: {type: python, module: alertdrill.faults.actions, func: kill_workload,
             arguments: {pod: bff}}
""")
    with pytest.raises(ConfigError) as err:
        load_scenario(bad)
    text = str(err.value)
    assert "missing required key 'description'" in text
    assert "method[0]: provider must be module alertdrill.faults.actions" in text
    assert "method[1]: arguments {'pod': 'bff'} do not fit kill_workload" in text


def test_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown scenario 'nope'.*kill-bff"):
        find_scenario(REPO / "scenarios", "nope")


def test_fault_functions_refuse_to_run_without_a_stack() -> None:
    with pytest.raises(FaultError, match="no alertdrill stack is active"):
        actions.kill_workload("bff")
