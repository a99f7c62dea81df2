from alertdrill.drill.bounds import fire_bound, recovery_bound
from alertdrill.stack.base import Timing

TIMING = Timing(scrape_interval_s=1, eval_interval_s=1, scrape_timeout_s=0.5, time_scale=60)


def test_fire_bound_is_the_sum_of_the_pipeline_stages() -> None:
    b = fire_bound(0.5, TIMING, group_wait_s=1 / 6, slack_s=1.5)
    # for 0.5 s fires at the first 1 s evaluation tick after it: + 0.5 s on the evaluation grid
    assert round(b.total, 3) == round(0.5 + 0.5 + 1 + 1 + 1 / 6 + 1.5, 3)
    assert b.physical == b.total - 1.5
    assert "for 0.5s + eval grid 0.5s + scrape 1s + eval 1s" in b.explain()


def test_hung_targets_and_windowed_rules_add_their_stage() -> None:
    plain = fire_bound(2, TIMING, 0.5, 1.5)
    assert fire_bound(2, TIMING, 0.5, 1.5, target_hangs=True).total == plain.total + 0.5
    assert fire_bound(2, TIMING, 0.5, 1.5, windowed=True).total == plain.total + 1


def test_recovery_bound_scales_the_sop_and_adds_one_group_interval() -> None:
    b = recovery_bound(300, TIMING, group_interval_s=5, slack_s=1.5)
    assert b.total == 5 + 1 + 1 + 5 + 1.5


def test_the_hold_rounds_up_to_the_evaluation_grid() -> None:
    """On kind (5 s evaluation) a 3 s `for` holds 5 s: the rule fires at the first tick after it."""
    from alertdrill.drill.bounds import eval_grid_s

    kind = Timing(scrape_interval_s=5, eval_interval_s=5, scrape_timeout_s=5, time_scale=10)
    assert eval_grid_s(3, 5) == 2 and eval_grid_s(30, 5) == 0 and eval_grid_s(0, 5) == 0
    assert fire_bound(3, kind, 1, 1.5).total == 3 + 2 + 5 + 5 + 1 + 1.5
    assert fire_bound(2, TIMING, 0.5, 1.5).grid_s == 0  # a multiple of the interval: nothing added


def test_a_slow_rollback_adds_its_own_duration_to_the_recovery_bound() -> None:
    b = recovery_bound(300, TIMING, group_interval_s=5, slack_s=1.5, rollback_s=40)
    assert b.total == 40 + 5 + 1 + 1 + 5 + 1.5 and "rollback 40.00s" in b.explain()


def test_on_kubernetes_the_scrape_timeout_is_the_interval() -> None:
    """The operator sets no scrape_timeout; Prometheus caps its 10 s default at the 5 s interval."""
    from alertdrill.settings import Settings

    for stack in ("kind", "cluster"):
        assert Settings.resolve({"stack": stack}, env={}).scrape_timeout_s == 5.0
    assert Settings.resolve({}, env={}).scrape_timeout_s == 0.5


def test_a_target_that_left_discovery_adds_the_hand_off_reload_and_stale_markers() -> None:
    """Issue 30, wrong verdict 1: kind's killed workload (scaled to zero, pods deleted) paged at
    ~19 s median, up to ~27 s, against 17.5 s. Its targets leave discovery: no scrape fails, the
    series go stale after the hand-off (0.15 s on Prometheus 3), the 5 s reload tick and 2.1
    scrape intervals; the bound names that term."""
    from alertdrill.stack.base import UPSTREAM_DISCOVERY_S, discovery_handoff_s

    kind = Timing(scrape_interval_s=5, eval_interval_s=5, scrape_timeout_s=5, time_scale=10)
    assert UPSTREAM_DISCOVERY_S == kind.discovery_s == 5.15
    usual = fire_bound(3, kind, 1, 1.5)
    assert usual.total == 17.5  # the bound the kill drills had on kind
    gone = fire_bound(3, kind, 1, 1.5, target_hangs=True, leaves_discovery=True)
    assert gone.discovery_s == 5.15 + 5.5 and gone.hang_s == 0  # stale markers, not a timed-out scrape
    assert gone.total == 17.5 + 10.65 and "target left discovery 10.65s" in gone.explain()
    assert discovery_handoff_s("2.42.0", 0.1) == 5.1  # 2.x hands targets on a fixed 5 s tick
    assert discovery_handoff_s("unknown", 5) == 10  # not knowing, the slower


def test_a_new_target_adds_its_discovery_and_first_scrape_offset() -> None:
    """Issue 30, wrong verdict 2: crash loop's "also fires" ServiceDown{job="workers"} on kind
    comes from the surge pod's target, which must be discovered (5.15 s) and first scraped
    (Prometheus offsets a new target's scrapes anywhere within the 5 s interval); its scheduling,
    start and crashes are the fault's ramp."""
    kind = Timing(scrape_interval_s=5, eval_interval_s=5, scrape_timeout_s=5, time_scale=10)
    b = fire_bound(3, kind, 1, 1.5, ramp_s=4.0, adds_target=True)
    assert b.new_target_s == 6.15 and b.total == 4 + 17.5 + 6.15  # 5.15 + 5 - what the ramp covered
    assert "fault ramp 4.00s + " in b.explain() and "new target discovered and first scraped 6.15s" in b.explain()
    slow = fire_bound(3, kind, 1, 1.5, ramp_s=31.0, adds_target=True)  # two crashes: the pod was found long ago
    assert slow.new_target_s == 0 and "new target" not in slow.explain()
