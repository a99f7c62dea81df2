"""A NATS exporter with prometheus-nats-exporter's metric names as the NATS Helm chart runs it.

The chart runs the exporter with `-prefix=nats -jsz=all`, so JetStream series are
`nats_stream_total_messages`, `nats_consumer_num_pending`, ... with `stream_name`/`consumer_name`
labels (prometheus-nats-exporter collector/jsz.go). Rules written against these names behave the
same here and on kind. It reads the same `/varz` and `/jsz?consumers=true&config=true` endpoints.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from typing import Any

import httpx
from prometheus_client import start_http_server
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

from alertdrill.workload.common import require_loopback, setup_logging

log = setup_logging("nats-exporter")
SERVER_LABELS = ["server_id", "server_name", "cluster", "domain", "meta_leader", "is_meta_leader"]
STREAM_LABELS = [
    *SERVER_LABELS,
    "account",
    "account_name",
    "account_id",
    "stream_name",
    "stream_leader",
    "is_stream_leader",
    "stream_raft_group",
]
CONSUMER_LABELS = [*STREAM_LABELS, "consumer_name", "consumer_leader", "is_consumer_leader", "consumer_desc"]
VARZ_GAUGES = {
    "connections": "connections",
    "in_msgs": "in_msgs",
    "out_msgs": "out_msgs",
    "in_bytes": "in_bytes",
    "out_bytes": "out_bytes",
    "mem": "mem",
    "subscriptions": "subscriptions",
}
STREAM_GAUGES = {
    "total_messages": "messages",
    "total_bytes": "bytes",
    "first_seq": "first_seq",
    "last_seq": "last_seq",
    "consumer_count": "consumer_count",
}
CONSUMER_GAUGES = {
    "num_pending": "num_pending",
    "num_ack_pending": "num_ack_pending",
    "num_redelivered": "num_redelivered",
    "num_waiting": "num_waiting",
}


class NatsCollector(Collector):
    def __init__(self, monitor_url: str, prefix: str = "nats") -> None:
        self.monitor_url = monitor_url.rstrip("/")
        self.prefix = prefix
        self.client = httpx.Client(timeout=2.0)

    def _get(self, path: str) -> dict[str, Any]:
        response = self.client.get(self.monitor_url + path)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            varz = self._get("/varz")
            jsz = self._get("/jsz?consumers=true&config=true")
        except httpx.HTTPError as exc:
            log.warning("cannot read NATS monitoring at %s: %s", self.monitor_url, exc)
            return
        server = [
            str(varz.get("server_id", "")),
            str(varz.get("server_name", "")),
            str(varz.get("cluster", {}).get("name", "")),
            "",
            "",
            "false",
        ]
        for name, key in VARZ_GAUGES.items():
            yield GaugeMetricFamily(f"{self.prefix}_varz_{name}", f"varz {key}", value=float(varz.get(key, 0)))
        streams = {
            n: GaugeMetricFamily(f"{self.prefix}_stream_{n}", f"stream state {k}", labels=STREAM_LABELS)
            for n, k in STREAM_GAUGES.items()
        }
        consumers = {
            n: GaugeMetricFamily(f"{self.prefix}_consumer_{n}", f"consumer {k}", labels=CONSUMER_LABELS)
            for n, k in CONSUMER_GAUGES.items()
        }
        for account in jsz.get("account_details") or []:
            for stream in account.get("stream_detail") or []:
                slabels = [
                    *server,
                    str(account.get("name", "")),
                    str(account.get("name", "")),
                    str(account.get("id", "")),
                    str(stream.get("name", "")),
                    "",
                    "true",
                    "",
                ]
                state = stream.get("state") or {}
                for n, k in STREAM_GAUGES.items():
                    streams[n].add_metric(slabels, float(state.get(k, 0)))
                for consumer in stream.get("consumer_detail") or []:
                    clabels = [
                        *slabels,
                        str(consumer.get("name", "")),
                        "",
                        "true",
                        str((consumer.get("config") or {}).get("description", "")),
                    ]
                    for n, k in CONSUMER_GAUGES.items():
                        consumers[n].add_metric(clabels, float(consumer.get(k, 0)))
        yield from streams.values()
        yield from consumers.values()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--monitor-url", required=True)
    args = parser.parse_args()
    REGISTRY.register(NatsCollector(require_loopback(args.monitor_url)))
    start_http_server(args.port, addr="127.0.0.1")
    log.info("exporting %s on 127.0.0.1:%d", args.monitor_url, args.port)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
