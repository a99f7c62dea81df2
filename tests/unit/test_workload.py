"""Small pieces of the sample workload whose mistakes look like monitoring failures."""

from __future__ import annotations


def test_traffic_share_stays_exact_over_long_runs() -> None:
    """Regression: `(n * 0.1) % 1 + 0.1 >= 1` sent 12 jobs in requests 5000-5999 instead of 100."""
    from alertdrill.workload.common import is_nth_share

    for share, want in ((0.1, 100), (0.2, 200), (1 / 3, 333)):
        for lo in range(0, 50_000, 1000):
            got = sum(is_nth_share(n, share) for n in range(lo, lo + 1000))
            assert abs(got - want) <= 1, (share, lo, got)
