"""The BFF API: HTTP endpoints with real request metrics, publishing jobs to NATS JetStream.

Faults reach it through `/admin/fault` (error ratio, added latency) so an error burst is a real
5xx seen by the client and counted by the real metric, not a faked series.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import nats
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from alertdrill.workload.common import setup_logging

MAX_BATCH = 100
log = setup_logging("bff")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0)


@dataclass
class FaultState:
    error_ratio: float = 0.0
    latency_s: float = 0.0


class Bff:
    def __init__(self, nats_url: str, subject: str) -> None:
        self.nats_url = nats_url
        self.subject = subject
        self.fault = FaultState()
        self.nc: Any = None
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by method, path and status",
            ["method", "path", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "path"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.published = Counter(
            "bff_jobs_published_total",
            "Jobs published to NATS (the SOP's NATS throughput and delivery count from here)",
            registry=self.registry,
        )

    async def connect(self) -> None:
        # Reconnect forever: a NATS outage queues jobs in the client buffer instead of failing
        # requests, so killing NATS pages for NATS, not for the BFF's error rate.
        self.nc = await nats.connect(self.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2, name="bff")

    @web.middleware
    async def instrument(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        if not request.path.startswith("/api/"):
            return await handler(request)
        start = time.perf_counter()
        path = request.match_info.route.resource.canonical if request.match_info.route.resource else request.path
        try:
            if self.fault.latency_s > 0:
                await asyncio.sleep(self.fault.latency_s)
            if self.fault.error_ratio > 0 and random.random() < self.fault.error_ratio:
                response: web.StreamResponse = web.json_response({"error": "injected fault"}, status=500)
            else:
                response = await handler(request)
        except web.HTTPException as exc:
            response = exc
        except Exception:
            log.exception("handler failed")
            response = web.json_response({"error": "internal"}, status=500)
        self.requests.labels(request.method, path, str(response.status)).inc()
        self.duration.labels(request.method, path).observe(time.perf_counter() - start)
        return response

    async def items(self, request: web.Request) -> web.Response:
        return web.json_response({"items": [{"id": i} for i in range(3)]})

    async def submit_job(self, request: web.Request) -> web.Response:
        """One job, or `?count=N` jobs (N <= 100) in one request: a client's batch submit."""
        raw = request.query.get("count", "1")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_BATCH:
            return web.json_response({"error": f"count must be 1..{MAX_BATCH}"}, status=400)
        if self.nc is None or self.nc.is_closed:
            return web.json_response({"error": "queue unavailable"}, status=503)
        now = time.time()
        jobs = [{"id": str(uuid.uuid4()), "submitted_at": now} for _ in range(int(raw))]
        for job in jobs:
            await self.nc.publish(self.subject, json.dumps(job).encode())
        self.published.inc(len(jobs))
        return web.json_response(jobs[0] if len(jobs) == 1 else {"accepted": len(jobs)}, status=202)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def get_fault(self, request: web.Request) -> web.Response:
        return web.json_response(self.fault.__dict__)

    async def set_fault(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "error_ratio" in body:
            self.fault.error_ratio = float(body["error_ratio"])
        if "latency_s" in body:
            self.fault.latency_s = float(body["latency_s"])
        log.info("fault set: %s", self.fault)
        return web.json_response(self.fault.__dict__)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.instrument])
        app.router.add_get("/api/items", self.items)
        app.router.add_post("/api/jobs", self.submit_job)
        app.router.add_get("/health", self.health)
        app.router.add_get("/metrics", self.metrics)
        app.router.add_get("/admin/fault", self.get_fault)
        app.router.add_post("/admin/fault", self.set_fault)
        return app


async def serve(host: str, port: int, nats_url: str, subject: str) -> None:
    bff = Bff(nats_url, subject)
    await bff.connect()
    runner = web.AppRunner(bff.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("listening on %s:%d", host, port)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 only inside a pod")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--nats-url", required=True)
    parser.add_argument("--subject", default="jobs.created")
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.nats_url, args.subject))


if __name__ == "__main__":
    main()
