"""YAML loading whose errors name the file, line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from alertdrill.errors import ConfigError


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; a syntax error becomes a ConfigError with `file:line:col`."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{where}: YAML error: {problem}; fix the indentation or quoting there") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML error: {exc}") from None


def yaml_text(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def dump_yaml(data: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml_text(data))
