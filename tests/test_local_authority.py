"""LA gatekeeping: each March an LA sets its bars by weighing a refusal's saving against
the appeals it draws, its reversal and the duty to the child, around each LA's own
criteria (its dispositions); it learns appeals and reversals per refusal by type."""

from __future__ import annotations

import numpy as np
import pytest

from sendabm.core import dispositions as D
from sendabm.core.actors import local_authority as LA
from sendabm.core.actors.local_authority import LocalAuthorities
from sendabm.core.measures import DECISION_KINDS
from sendabm.core.parameters import as_vector, defaults

N_KINDS = len(DECISION_KINDS)


def make_las(offsets=None, n=2, neighbours=None, **changes) -> tuple[LocalAuthorities, object]:
    values = defaults()
    values.update(changes)
    p = as_vector(values)
    if neighbours is None:
        neighbours = (np.zeros(n + 1, dtype=np.int64), np.array([], dtype=np.int64))
    offsets = (np.zeros((n, len(D.DECISION_FIELDS))) if offsets is None
               else np.asarray(offsets, float))
    las = LocalAuthorities(n, p, np.full(n, 1000.0), np.zeros(n), neighbours, offsets)
    return las, p


def record_year(las, refusals, appeals, reversals, hearings=None, lost=None) -> None:
    """One year's disputes, the same counts for every decision type."""
    n = las.n
    hearings = np.zeros(n) if hearings is None else np.asarray(hearings, float)
    lost = np.zeros(n) if lost is None else np.asarray(lost, float)
    by_kind = [np.tile(np.asarray(x, float), (N_KINDS, 1)) for x in (refusals, appeals,
                                                                       reversals, hearings,
                                                                       lost)]
    las.record_disputes(appeals=hearings, wins=lost, hearings=by_kind[3], lost_by_la=by_kind[4],
                        conceded=np.zeros(n), refusals=by_kind[0], appeals_by_kind=by_kind[1],
                        reversals=by_kind[2])


def test_offsets_set_each_las_own_practice():
    offsets = np.zeros((2, len(D.DECISION_FIELDS)))
    offsets[1] = [0.5, 0.4, 0.2, np.log(2.0), np.log(2.0), 0.7, -0.3]
    las, p = make_las(offsets, wait_before_independent=10)
    assert las.assess_threshold[0] == p.assess_threshold_initial
    assert las.assess_threshold[1] == pytest.approx(p.assess_threshold_initial * np.exp(0.5))
    assert las.plan_threshold[1] == pytest.approx(p.plan_threshold_initial * np.exp(0.4))
    assert las.special_threshold[1] == pytest.approx(p.special_threshold * np.exp(0.2))
    assert las.ep_fte[1] == pytest.approx(2.0 * las.ep_fte[0])
    assert list(las.wait_before_independent) == [10, 5]
    assert list(las.appeal_shift) == [0.0, 0.7]
    assert list(las.request_shift) == [0.0, -0.3]


def test_weight_zero_makes_las_alike():
    offsets = np.tile([0.5, -0.5, 0.2, 0.3, -0.3, 0.4, 0.6], (2, 1))
    offsets[0] = 0.0
    las, _ = make_las(offsets * 0.0)
    built = LocalAuthorities.build(as_vector({**defaults(), "la_disposition_weight": 0.0}),
                                   np.array([1000, 1000]), (np.array([0, 0, 0]),
                                                            np.array([], dtype=np.int64)),
                                   offsets)
    for name in ("assess_threshold", "plan_threshold", "special_threshold", "ep_fte",
                 "wait_before_independent", "appeal_shift", "request_shift"):
        assert np.array_equal(getattr(built, name), getattr(las, name))


def test_las_start_where_their_yearly_rule_rests():
    las, p = make_las(la_appeals_per_refusal_initial=0.2, la_reversal_initial=0.9)
    before = np.stack([las.assess_threshold, las.plan_threshold, las.special_threshold])
    # A year that bears out the pre-2014 beliefs, within budget, leaves every bar put.
    record_year(las, refusals=[100.0, 50.0], appeals=[20.0, 10.0], reversals=[18.0, 9.0])
    las.adapt_year(p, override_ended=False)
    after = np.stack([las.assess_threshold, las.plan_threshold, las.special_threshold])
    assert after == pytest.approx(before, rel=1e-12)


def test_beliefs_are_learned_per_refusal_by_type():
    las, p = make_las()
    las.record_disputes(appeals=np.zeros(2), wins=np.zeros(2),
                        hearings=np.array([[10.0, 2.0], [4.0, 0.0], [5.0, 5.0]]),
                        lost_by_la=np.array([[5.0, 1.0], [1.0, 0.0], [5.0, 4.0]]),
                        conceded=np.zeros(2),
                        refusals=np.array([[10.0, 20.0], [5.0, 5.0], [4.0, 8.0]]),
                        appeals_by_kind=np.array([[1.0, 2.0], [1.0, 0.0], [2.0, 8.0]]),
                        reversals=np.array([[1.0, 1.0], [0.0, 0.0], [2.0, 6.0]]))
    las.learn_challenges()
    assert las.appeal_belief == pytest.approx(np.array([[0.1, 0.1], [0.2, 0.0], [0.5, 1.0]]))
    assert las.reversal_belief == pytest.approx(np.array([[0.1, 0.05], [0.0, 0.0],
                                                          [0.5, 0.75]]))
    # By type; an LA with no hearing of a type keeps its belief.
    assert las.loss_belief == pytest.approx(np.array(
        [[0.5, 0.5], [0.25, p.la_hearing_loss_initial], [1.0, 0.8]]))


def test_las_without_refusals_keep_their_belief_and_pool_their_neighbours():
    # LA 0 and LA 1 are neighbours; LA 2 stands alone.
    neighbours = (np.array([0, 1, 2, 2]), np.array([1, 0], dtype=np.int64))
    las, p = make_las(n=3, neighbours=neighbours)
    record_year(las, refusals=[8.0, 0.0, 0.0], appeals=[2.0, 0.0, 0.0],
                reversals=[1.0, 0.0, 0.0], hearings=[4.0, 0.0, 0.0], lost=[1.0, 0.0, 0.0])
    las.learn_challenges()
    # LA 1 had no refusal of its own and learns from its neighbour's; LA 2 saw nothing and
    # keeps what it believed.
    initial = p.la_appeals_per_refusal_initial
    assert las.appeal_belief[0] == pytest.approx([0.25, 0.25, initial])
    assert las.reversal_belief[0] == pytest.approx([0.125, 0.125,
                                                    initial * p.la_reversal_initial])
    for belief in las.loss_belief:
        assert belief == pytest.approx([0.25, 0.25, p.la_hearing_loss_initial])


def test_reversals_relax_bars_and_overspend_tightens_them():
    las, p = make_las(n=3, gatekeeping_adjustment=1.0, gatekeeping_elasticity=2.0,
                      gatekeeping_budget_weight=1.0)
    start = las.assess_threshold.copy()
    las.allocation_fy_gbp[:] = 100.0
    las.spend_fy_gbp[:] = [100.0, 150.0, 100.0]      # LA 1 overspends by 50%
    # LAs 0 and 1 see none of their refusals appealed or reversed; LA 2 sees half reversed.
    record_year(las, refusals=[10.0, 10.0, 10.0], appeals=[0.0, 0.0, 6.0],
                reversals=[0.0, 0.0, 5.0])
    las.adapt_year(p, override_ended=False)
    base = LA.initial_net_saving(p, las.criteria)[0, 0]
    assert las.assess_threshold[0] == pytest.approx(start[0] * (1.0 / base) ** 0.5)
    assert las.assess_threshold[1] == pytest.approx(start[1] * (1.5 / base) ** 0.5)
    assert las.assess_threshold[2] < start[2]
    assert las.refusals_year.sum() == 0.0  # the year's totals start again


def test_bars_move_part_of_the_way_and_keep_each_las_order():
    offsets = np.zeros((2, len(D.DECISION_FIELDS)))
    offsets[:, 0] = [0.0, 1.0]
    las, p = make_las(offsets, gatekeeping_adjustment=0.5)
    start = las.assess_threshold.copy()
    las.allocation_fy_gbp[:] = 100.0
    las.spend_fy_gbp[:] = 130.0
    target = las.reckoned_bars(p, np.full(2, 0.3))[0]
    record_year(las, refusals=[10.0, 10.0], appeals=[1.3, 1.3],
                reversals=[1.3 * p.la_reversal_initial] * 2)
    las.adapt_year(p, override_ended=False)
    assert las.assess_threshold == pytest.approx(np.sqrt(start * target))  # half, in logs
    # Nearly in proportion: what a refusal to assess saves depends a little on the LA's own
    # bars (the chance the assessment leads to a plan).
    assert las.assess_threshold[1] / las.assess_threshold[0] == pytest.approx(np.e, rel=1e-3)


def test_refusing_that_costs_more_than_it_saves_lowers_bars_without_a_clamp():
    las, p = make_las(gatekeeping_adjustment=1.0)
    record_year(las, refusals=[10.0, 10.0], appeals=[10.0, 10.0], reversals=[10.0, 10.0])
    las.adapt_year(p, override_ended=False)
    floor = LA.NET_SAVING_FLOOR / LA.initial_net_saving(p, las.criteria)[:, 0]
    expected = np.array([p.assess_threshold_initial, p.plan_threshold_initial,
                         p.special_threshold]) * floor ** (1.0 / p.gatekeeping_elasticity)
    assert las.assess_threshold == pytest.approx(np.clip(expected[0], *LA.THRESHOLD_RANGE))
    assert las.special_threshold == pytest.approx(np.clip(expected[2], *LA.THRESHOLD_RANGE))


def test_the_expected_stake_of_each_decision_comes_from_the_model_costs():
    las, p = make_las(plan_horizon_years=4.0, mainstream_plan_gbp=10_000.0)
    # A child at the bar to assess, where that bar is the bar to issue: even odds of a plan.
    bars = np.array([0.3, 0.3])
    stake = LA.expected_stake_gbp(p, bars, bars)[:, 0]
    special = p.special_place_funding_gbp + p.special_topup_gbp + p.transport_gbp
    assert stake == pytest.approx([LA.ASSESSMENT_COST_GBP + 0.5 * 40_000.0, 40_000.0,
                                   4.0 * (special - 10_000.0)])
    # The stricter the LA issues plans, the less a refused assessment is reckoned to save.
    stricter = LA.expected_stake_gbp(p, bars, 2.0 * bars)[0, 0]
    assert LA.ASSESSMENT_COST_GBP < stricter < stake[0]


def test_one_definition_serves_a_case_and_the_expectation():
    # A child with more years left than the horizon counts the horizon; one with fewer,
    # its own years (at least one).
    assert LA.committed_months(9.0, 5.0) == 60.0
    assert LA.committed_months(2.0, 5.0) == 24.0
    assert LA.committed_months(0.0, 5.0) == 12.0
    # A hearing six months on would make the LA fund what is left of the provision; an
    # assessment costs the same whenever it is done.
    assert LA.provision_at_stake_gbp(2, 1200.0, 0.0, 0.0, 24.0, 6.0) == pytest.approx(1800.0)
    assert LA.provision_at_stake_gbp(1, 1200.0, 0.0, 0.0, 24.0, 6.0) == LA.ASSESSMENT_COST_GBP
    assert LA.provision_at_stake_gbp(3, 1200.0, 500.0, 0.0, 24.0, 0.0) == 0.0


def test_a_yearly_deviation_moves_the_bar_in_its_january_and_the_staff_in_the_september_before():
    las, p = make_las()
    yearly = np.zeros((2, len(D.YEARLY_FIELDS), 2))
    yearly[1, D.YEARLY_FIELDS.index("assess")] = [0.3, -0.2]
    yearly[1, D.YEARLY_FIELDS.index("capacity")] = [-0.5, 0.0]
    moved = LocalAuthorities(2, p, np.full(2, 1000.0), np.zeros(2), (las.indptr, las.indices),
                             np.zeros((2, len(D.DECISION_FIELDS))), yearly, (2019, 2020))
    fte = moved.ep_fte.copy()
    moved.enter_month(1, 2018)
    assert np.array_equal(moved.assess_bar, las.assess_threshold)
    moved.enter_month(9, 2018)      # staffing for the plans of 2019
    assert moved.ep_fte[1] == pytest.approx(fte[1] * np.exp(-0.5))
    assert np.array_equal(moved.assess_bar, las.assess_threshold)
    moved.enter_month(1, 2019)
    assert moved.assess_bar[1] == pytest.approx(las.assess_threshold[1] * np.exp(0.3))
    assert moved.assess_bar[0] == las.assess_threshold[0]
    # The standing bar and criterion, which the yearly reckoning moves, stay as they were.
    assert np.array_equal(moved.assess_threshold, las.assess_threshold)
    assert np.array_equal(moved.criteria, las.criteria)
    moved.enter_month(6, 2019)      # no change mid-year
    assert moved.assess_bar[1] == pytest.approx(las.assess_threshold[1] * np.exp(0.3))
    moved.enter_month(9, 2019)
    assert moved.ep_fte[1] == pytest.approx(fte[1])
    moved.enter_month(1, 2020)
    assert moved.assess_bar[1] == pytest.approx(las.assess_threshold[1] * np.exp(-0.2))
    # After the last year the deviation decays at the record's persistence.
    moved.enter_month(1, 2021)
    decay = D.persistence("assess")
    assert moved.assess_bar[1] == pytest.approx(
        las.assess_threshold[1] * np.exp(-0.2 * decay))


def test_a_lenient_year_held_at_the_floor_leaves_no_ratchet():
    # An LA whose bar sits just above the floor has a lenient year that the floor clips,
    # then a neutral one. Through the yearly reckoning in between, its bar must come back
    # to that of its twin without the lenient year, not be ratcheted stricter.
    _, p = make_las()
    offsets = np.zeros((2, len(D.DECISION_FIELDS)))
    offsets[1, D.DECISION_FIELDS.index("assess")] = np.log(
        1.2 * LA.THRESHOLD_RANGE[0] / p.assess_threshold_initial)
    yearly = np.zeros((2, len(D.YEARLY_FIELDS), 3))
    yearly[1, D.YEARLY_FIELDS.index("assess")] = [-1.5, 0.0, 0.0]
    plain, _ = make_las(offsets)
    moved = LocalAuthorities(2, p, np.full(2, 1000.0), np.zeros(2),
                             (plain.indptr, plain.indices), offsets, yearly, (2019, 2020, 2021))
    for las in (plain, moved):
        las.enter_month(1, 2019)
    assert moved.assess_bar[1] == LA.THRESHOLD_RANGE[0] < plain.assess_bar[1]
    for las in (plain, moved):
        record_year(las, refusals=[10.0, 10.0], appeals=[2.0, 2.0], reversals=[1.0, 1.0])
        las.adapt_year(p, override_ended=False)
        las.enter_month(1, 2020)
    assert moved.assess_bar == pytest.approx(plain.assess_bar)
    assert np.array_equal(moved.criteria, plain.criteria)


def test_without_yearly_deviations_a_january_changes_nothing():
    las, _ = make_las()
    before = (las.assess_threshold.copy(), las.ep_fte.copy(), las.criteria.copy())
    las.enter_month(1, 2019)
    las.enter_month(9, 2019)
    assert all(np.array_equal(a, b) for a, b in
               zip(before, (las.assess_threshold, las.ep_fte, las.criteria), strict=True))


def test_places_commissioned_in_a_year_are_limited_by_what_can_be_built():
    # Both LAs have 100 children waiting; the first has 1,000 places, the second 50.
    las, p = make_las(commissioning_share=0.6, special_build_share_per_year=0.1,
                      commissioning_lag_years=2)
    waiting, placed_independent = np.array([100, 100]), np.array([0, 0])
    las.commission_places(p, waiting, placed_independent, np.array([1000, 50]), tick=11,
                          lag_cut=0)
    opens, places = las.pipeline[-1]
    # 60 wanted each: the first can build 100 a year, the second 5.
    assert list(places) == [60, 5]
    assert opens == 11 + 1 + 2 * 12


def test_without_a_building_limit_places_follow_the_queue():
    las, p = make_las(commissioning_share=0.6, special_build_share_per_year=1.0)
    las.commission_places(p, np.array([100, 7]), np.array([10, 0]), np.array([1000, 50]),
                          tick=11, lag_cut=0)
    # 0.6 of the waiting and last year's independent placements, rounded down.
    assert list(las.pipeline[-1][1]) == [66, 4]
