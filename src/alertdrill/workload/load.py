"""The SLO load generator: drives the BFF, and through it NATS, at the SOP's rates.

SOP-004 asks NATS for 1000+ messages/s. The generator sends `--rps` job submissions per second,
each carrying `--jobs-per-request` jobs (the BFF's batch submit), so messages/s = rps × jobs per
request, plus `--read-share` of plain API reads. Bounded on purpose: loopback (or, inside a
cluster, the BFF's Service) only, at most MAX_RPS requests/s, MAX_SECONDS and `--max-requests`.
Prints a progress line every second and one JSON summary line at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field

import aiohttp

from alertdrill.workload.common import is_nth_share, require_loopback

MAX_RPS = 2000.0
MAX_SECONDS = 600.0
#: Requests in flight at most: past this the BFF is not keeping up and more would only queue.
MAX_IN_FLIGHT = 200


@dataclass
class LoadStats:
    sent: int = 0
    ok: int = 0
    errors: int = 0
    dropped: int = 0  # not sent because MAX_IN_FLIGHT requests were still open
    jobs: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)

    def summary(self) -> dict[str, float]:
        lat = sorted(self.latencies) or [0.0]
        out = {k: v for k, v in asdict(self).items() if k != "latencies"}
        out["requests_per_s"] = round(self.ok / self.seconds, 1) if self.seconds else 0.0
        out["messages_per_s"] = round(self.jobs / self.seconds, 1) if self.seconds else 0.0
        out["client_p95_s"] = round(lat[int(0.95 * (len(lat) - 1))], 4)
        out["client_p99_s"] = round(lat[int(0.99 * (len(lat) - 1))], 4)
        return out


async def drive(
    base_url: str, rps: float, jobs_per_request: int, read_share: float, seconds: float, max_requests: int
) -> LoadStats:
    stats = LoadStats()
    interval = 1.0 / min(rps, MAX_RPS)
    in_flight = 0
    connector = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5), connector=connector) as session:

        async def one(n: int) -> None:
            nonlocal in_flight
            read = read_share > 0 and is_nth_share(n, read_share)
            start = time.perf_counter()
            try:
                if read:
                    resp = await session.get(base_url + "/api/items")
                else:
                    resp = await session.post(f"{base_url}/api/jobs?count={jobs_per_request}", json={})
                async with resp:
                    await resp.read()
                    if resp.status < 400:
                        stats.ok += 1
                        stats.jobs += 0 if read else jobs_per_request
                    else:
                        stats.errors += 1
            except (aiohttp.ClientError, TimeoutError):
                stats.errors += 1
            finally:
                stats.latencies.append(time.perf_counter() - start)
                in_flight -= 1

        t0 = time.monotonic()
        next_at, next_report = t0, t0 + 1.0
        tasks: set[asyncio.Task[None]] = set()
        while time.monotonic() - t0 < seconds and stats.sent + stats.dropped < max_requests:
            if in_flight >= MAX_IN_FLIGHT:
                stats.dropped += 1
            else:
                in_flight += 1
                task = asyncio.ensure_future(one(stats.sent))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                stats.sent += 1
            next_at += interval
            now = time.monotonic()
            if now >= next_report:
                elapsed = now - t0
                print(
                    f"load {elapsed:5.1f}s/{seconds:.0f}s: {stats.ok / elapsed:7.1f} req/s ok, "
                    f"{stats.jobs / elapsed:7.1f} msg/s, {stats.errors} errors, {in_flight} in flight",
                    file=sys.stderr,
                    flush=True,
                )
                next_report += 1.0
            await asyncio.sleep(max(0.0, next_at - now))
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        stats.seconds = time.monotonic() - t0
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="the BFF, e.g. http://127.0.0.1:8080")
    parser.add_argument("--rps", type=float, default=120.0, help="requests per second (max 2000)")
    parser.add_argument("--jobs-per-request", type=int, default=10, help="jobs per submission (1..100)")
    parser.add_argument("--read-share", type=float, default=0.2, help="share of requests that are API reads")
    parser.add_argument("--seconds", type=float, default=30.0, help=f"how long (max {MAX_SECONDS:g})")
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    args = parser.parse_args()
    if not 0 < args.seconds <= MAX_SECONDS or not 1 <= args.jobs_per_request <= 100 or not 0 < args.rps <= MAX_RPS:
        sys.exit(
            f"refusing: --seconds must be in (0, {MAX_SECONDS:g}], --jobs-per-request in 1..100, "
            f"--rps in (0, {MAX_RPS:g}]"
        )
    url = require_loopback(args.url).rstrip("/")
    stats = asyncio.run(drive(url, args.rps, args.jobs_per_request, args.read_share, args.seconds, args.max_requests))
    print(json.dumps(stats.summary()), flush=True)


if __name__ == "__main__":
    main()
