"""Prometheus remote-write, encoded here: a replay's samples reach Prometheus with exactly their
labels, their timestamps and their staleness markers.

Why remote write rather than a page Prometheus scrapes: a scrape adds `job` and `instance`, stamps
samples with the scrape's own time, turns a missing series into a staleness marker at once
(promtool's `_` is only a gap: lookback still finds the last sample) and cannot carry promtool's
`stale`. A remote-write sample keeps its labels and timestamp, and a staleness marker is a value
(the StaleNaN bit pattern, `model/value/value.go`).

Why by hand: the message is three nested repeated fields (`prompb/remote.proto`, WriteRequest →
TimeSeries → Label/Sample), and snappy's block format allows a stream of literals only
(`github.com/golang/snappy` decodes it), so no protobuf or snappy dependency is needed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from alertdrill.errors import ObserveError
from alertdrill.runtime.timeouts import TIMEOUTS

#: Prometheus' staleness marker: a NaN with this exact bit pattern (`value.StaleNaN`).
STALE_NAN_BITS = 0x7FF0000000000002
STALE_NAN = struct.unpack("<d", struct.pack("<Q", STALE_NAN_BITS))[0]
#: Prometheus refuses remote-write samples more than 10 minutes ahead of its clock
#: (`storage/remote/write_handler.go` maxAheadTime); a replay sends less far ahead than that.
MAX_AHEAD_S = 600.0
_SNAPPY_LITERAL_MAX = 1 << 16


@dataclass(frozen=True)
class Sample:
    labels: tuple[tuple[str, str], ...]  # sorted by name, `__name__` included
    timestamp_ms: int
    value: float


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _timeseries(labels: tuple[tuple[str, str], ...], points: list[tuple[int, float]]) -> bytes:
    body = b"".join(_field(1, _field(1, n.encode()) + _field(2, v.encode())) for n, v in labels)
    for ts, value in points:
        sample = b"\x09" + struct.pack("<d", value) + b"\x10" + _varint(ts & 0xFFFFFFFFFFFFFFFF)
        body += _field(2, sample)
    return body


def encode_write_request(samples: Iterable[Sample]) -> bytes:
    """A WriteRequest protobuf: one TimeSeries per label set, its samples in time order."""
    by_series: dict[tuple[tuple[str, str], ...], list[tuple[int, float]]] = {}
    for s in samples:
        by_series.setdefault(s.labels, []).append((s.timestamp_ms, s.value))
    return b"".join(_field(1, _timeseries(labels, sorted(points))) for labels, points in by_series.items())


def snappy_literal(data: bytes) -> bytes:
    """Snappy's block format with literals only: valid input for any snappy decoder, uncompressed."""
    out = bytearray(_varint(len(data)))
    for start in range(0, len(data), _SNAPPY_LITERAL_MAX):
        chunk = data[start : start + _SNAPPY_LITERAL_MAX]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        else:  # 61: the length-1 follows in two little-endian bytes
            out.append(61 << 2)
            out += struct.pack("<H", n)
        out += chunk
    return bytes(out)


def push(url: str, samples: list[Sample]) -> None:
    """Send `samples` to Prometheus' remote-write receiver; an ObserveError says what it refused."""
    if not samples:
        return
    body = snappy_literal(encode_write_request(samples))
    headers = {
        "Content-Encoding": "snappy",
        "Content-Type": "application/x-protobuf",
        "X-Prometheus-Remote-Write-Version": "0.1.0",
    }
    try:
        resp = httpx.post(f"{url}/api/v1/write", content=body, headers=headers, timeout=TIMEOUTS.remote_write)
    except httpx.HTTPError as exc:
        raise ObserveError(f"remote write to {url} failed: {exc}") from exc
    if resp.status_code >= 300:
        raise ObserveError(f"remote write to {url} refused ({resp.status_code}): {resp.text.strip()[:300]}")
