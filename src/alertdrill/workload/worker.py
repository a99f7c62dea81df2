"""A NATS worker: pulls jobs from the JetStream work queue, processes and acks them."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from typing import Any

import nats
from nats.js.api import ConsumerConfig, RetentionPolicy, StreamConfig
from nats.js.errors import NotFoundError
from prometheus_client import Counter, Histogram, start_http_server

from alertdrill.workload.common import setup_logging

log = setup_logging("worker")
STREAM = "JOBS"
SUBJECTS = ["jobs.>"]
DURABLE = "workers"

processed = Counter("worker_jobs_processed_total", "Jobs processed and acked")
failed = Counter("worker_jobs_failed_total", "Jobs that failed processing")
duration = Histogram(
    "worker_job_duration_seconds",
    "Time spent processing one job",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30),
)
end_to_end = Histogram(
    "worker_job_latency_seconds",
    "Time from submission to completion",
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60),
)


async def ensure_stream(js: nats.js.JetStreamContext) -> None:
    """Work-queue retention: a stored message is an unprocessed job, so the stream size is the backlog."""
    try:
        await js.stream_info(STREAM)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=STREAM, subjects=SUBJECTS, retention=RetentionPolicy.WORK_QUEUE))


async def handle(msg: Any, work_s: float) -> None:
    start = time.perf_counter()
    try:
        job = json.loads(msg.data)
        if work_s:
            await asyncio.sleep(work_s)
        await msg.ack()
        processed.inc()
        end_to_end.observe(max(time.time() - float(job.get("submitted_at", time.time())), 0))
    except Exception as exc:
        failed.inc()
        log.warning("job failed: %s", exc)
    duration.observe(time.perf_counter() - start)


async def run(nats_url: str, metrics_port: int, work_s: float, host: str = "127.0.0.1") -> None:
    nc = await nats.connect(nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2, name="worker")
    js = nc.jetstream()
    await ensure_stream(js)
    sub = await js.pull_subscribe("jobs.>", durable=DURABLE, stream=STREAM, config=ConsumerConfig(ack_wait=30))
    start_http_server(metrics_port, addr=host)
    log.info("consuming %s, metrics on %s:%d", STREAM, host, metrics_port)
    # SIGUSR1 pauses consumption and SIGUSR2 resumes it: the NATS-backlog fault, with the
    # worker still up and scraped (a stuck consumer, not a dead pod).
    paused = asyncio.Event()
    loop = asyncio.get_running_loop()

    def pause() -> None:
        paused.set()
        log.info("paused")

    def resume() -> None:
        paused.clear()
        log.info("resumed")

    loop.add_signal_handler(signal.SIGUSR1, pause)
    loop.add_signal_handler(signal.SIGUSR2, resume)
    while True:
        if paused.is_set():
            await asyncio.sleep(0.1)
            continue
        try:
            msgs = await sub.fetch(50, timeout=1)
        except (TimeoutError, nats.errors.TimeoutError):
            continue
        except Exception as exc:  # connection blips: the client reconnects on its own
            log.warning("fetch failed: %s", exc)
            await asyncio.sleep(0.2)
            continue
        # A fetched batch is worked concurrently, as a worker pool would: one slow job does not
        # hold up the other 49, and two workers keep up with the SOP's 1000+ messages/s.
        await asyncio.gather(*(handle(msg, work_s) for msg in msgs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 only inside a pod")
    parser.add_argument("--metrics-port", type=int, required=True)
    parser.add_argument("--nats-url", required=True)
    parser.add_argument("--work-seconds", type=float, default=0.002)
    args = parser.parse_args()
    asyncio.run(run(args.nats_url, args.metrics_port, args.work_seconds, args.host))


if __name__ == "__main__":
    main()
