import pytest

from alertdrill.config.durations import format_duration, parse_duration
from alertdrill.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("500ms", 0.5), ("4h", 14400), ("0", 0), (15, 15)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.5, "500ms"), (90, "1m30s"), (240, "4m"), (0.1667, "167ms"), (0, "0s"), (14400, "4h")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_bad_duration_names_where_and_an_example() -> None:
    with pytest.raises(ConfigError, match=r"rules.yml: rule 'X': '5 minutes' is not a duration.*30s"):
        parse_duration("5 minutes", "rules.yml: rule 'X'")
