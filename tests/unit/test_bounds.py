from alertdrill.drill.bounds import fire_bound, recovery_bound
from alertdrill.stack.base import Timing

TIMING = Timing(scrape_interval_s=1, eval_interval_s=1, scrape_timeout_s=0.5, time_scale=60)


def test_fire_bound_is_the_sum_of_the_pipeline_stages() -> None:
    b = fire_bound(0.5, TIMING, group_wait_s=1 / 6, slack_s=1.5)
    assert round(b.total, 3) == round(0.5 + 1 + 1 + 1 / 6 + 1.5, 3)
    assert b.physical == b.total - 1.5
    assert "for 0.5s + scrape 1s + eval 1s" in b.explain()


def test_hung_targets_and_windowed_rules_add_their_stage() -> None:
    plain = fire_bound(2, TIMING, 0.5, 1.5)
    assert fire_bound(2, TIMING, 0.5, 1.5, target_hangs=True).total == plain.total + 0.5
    assert fire_bound(2, TIMING, 0.5, 1.5, windowed=True).total == plain.total + 1


def test_recovery_bound_scales_the_sop_and_adds_one_group_interval() -> None:
    b = recovery_bound(300, TIMING, group_interval_s=5, slack_s=1.5)
    assert b.total == 5 + 1 + 1 + 5 + 1.5
