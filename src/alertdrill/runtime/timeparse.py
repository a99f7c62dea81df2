"""RFC 3339 timestamps from Prometheus and Alertmanager to Unix seconds."""

from __future__ import annotations

from datetime import datetime


def to_unix(value: str | None) -> float | None:
    """Unix seconds, or None for missing and Go's zero time (`0001-01-01T00:00:00Z`)."""
    if not value or value.startswith("0001-01-01"):
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:  # Go prints up to nanoseconds; Python takes microseconds
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    return datetime.fromisoformat(text).timestamp()
