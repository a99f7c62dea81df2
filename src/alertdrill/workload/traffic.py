"""Steady client traffic for the BFF, so error and latency faults are seen in real requests.

Bounded on purpose: loopback targets only, a capped rate, and a maximum run time.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp

from alertdrill.workload.common import is_nth_share, require_loopback, setup_logging

log = setup_logging("traffic")
MAX_RPS = 500.0


async def run(base_url: str, rps: float, job_share: float, max_seconds: float) -> None:
    interval = 1.0 / min(rps, MAX_RPS)
    deadline = time.monotonic() + max_seconds
    sent = 0
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(n: int) -> None:
            job = is_nth_share(n, job_share)  # job submissions spread evenly
            try:
                if job:
                    async with session.post(base_url + "/api/jobs", json={}) as resp:
                        await resp.read()
                else:
                    async with session.get(base_url + "/api/items") as resp:
                        await resp.read()
            except (aiohttp.ClientError, TimeoutError):
                pass  # the BFF being down is a fault under test, not a traffic error

        next_at = time.monotonic()
        while time.monotonic() < deadline:
            asyncio.ensure_future(one(sent))
            sent += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    log.info("stopped after %d requests", sent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--rps", type=float, default=20.0)
    parser.add_argument("--job-share", type=float, default=0.1)
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    args = parser.parse_args()
    asyncio.run(run(require_loopback(args.url).rstrip("/"), args.rps, args.job_share, args.max_seconds))


if __name__ == "__main__":
    main()
