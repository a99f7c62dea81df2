"""The SLO load as a plan: the SOP's rates turned into the load generator's command line.

Kept apart from the generator (alertdrill.workload.load, which needs aiohttp) so that a stack can
speak of a plan without importing the generator.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadPlan:
    """What the SOP's rates mean for the generator: submissions/s × jobs each = messages/s."""

    submissions_per_s: float
    jobs_per_submission: int
    reads_per_s: float
    seconds: float

    @property
    def requests_per_s(self) -> float:
        return self.submissions_per_s + self.reads_per_s

    def args(self, url: str) -> list[str]:
        return [
            "--url",
            url,
            "--rps",
            f"{self.requests_per_s:g}",
            "--jobs-per-request",
            str(self.jobs_per_submission),
            "--read-share",
            f"{self.reads_per_s / self.requests_per_s:.4f}",
            "--seconds",
            f"{self.seconds:g}",
        ]
