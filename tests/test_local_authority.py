"""LA learning: gatekeeping tightens with overspend and relaxes with reversed decisions,
around each LA's own standing practice (its dispositions)."""

from __future__ import annotations

import numpy as np
import pytest

from sendabm.core import dispositions as D
from sendabm.core.actors import local_authority as LA
from sendabm.core.actors.local_authority import LocalAuthorities
from sendabm.core.parameters import as_vector, defaults


def make_las(offsets=None, **changes) -> tuple[LocalAuthorities, object]:
    values = defaults()
    values.update(changes)
    p = as_vector(values)
    neighbours = (np.array([0, 0, 0]), np.array([], dtype=np.int64))
    offsets = np.zeros((2, len(D.FIELDS))) if offsets is None else np.asarray(offsets, float)
    las = LocalAuthorities(2, p, np.array([1000.0, 1000.0]), np.zeros(2), neighbours, offsets)
    return las, p


def test_offsets_set_each_las_own_practice():
    offsets = np.zeros((2, len(D.FIELDS)))
    offsets[1] = [0.5, -0.5, 0.2, np.log(2.0), np.log(2.0), 0.7]
    las, p = make_las(offsets, wait_before_independent=10)
    assert las.assess_threshold[0] == p.assess_threshold_initial
    assert las.assess_threshold[1] == pytest.approx(p.assess_threshold_initial * np.exp(0.5))
    assert las.plan_threshold[1] == pytest.approx(p.plan_threshold_initial * np.exp(-0.5))
    # Both stand above their 2014 bars by the same learned departure, so the strict LA's
    # standing practice is strict too.
    assert las.assess_stance[1] / las.assess_stance[0] == pytest.approx(np.exp(0.5))
    assert las.special_threshold[1] == pytest.approx(p.special_threshold * np.exp(0.2))
    assert las.ep_fte[1] == pytest.approx(2.0 * las.ep_fte[0])
    assert list(las.wait_before_independent) == [10, 5]
    assert list(las.appeal_shift) == [0.0, 0.7]


def test_thresholds_return_towards_standing_practice():
    offsets = np.zeros((2, len(D.FIELDS)))
    offsets[:, 0] = [0.0, 1.0]
    las, p = make_las(offsets, gatekeeping_reversion=0.5, gatekeeping_relax=0.0,
                      gatekeeping_response=0.0)
    stance = las.assess_threshold.copy()
    las.assess_threshold = stance * np.exp(0.4)  # both pushed up by last year's pressure
    las.adapt_year(p, override_ended=False)
    assert las.assess_threshold == pytest.approx(stance * np.exp(0.2))  # half the gap closed
    for _ in range(40):
        las.adapt_year(p, override_ended=False)
    assert las.assess_threshold == pytest.approx(stance)         # each LA keeps its own bar


def test_weight_zero_makes_las_alike():
    offsets = np.tile([0.5, -0.5, 0.2, 0.3, -0.3, 0.4], (2, 1))
    offsets[0] = 0.0
    las, _ = make_las(offsets * 0.0)
    built = LocalAuthorities.build(as_vector({**defaults(), "la_disposition_weight": 0.0}),
                                   np.array([1000, 1000]), (np.array([0, 0, 0]),
                                                            np.array([], dtype=np.int64)),
                                   offsets)
    for name in ("assess_threshold", "plan_threshold", "special_threshold", "ep_fte",
                 "wait_before_independent", "appeal_shift"):
        assert np.array_equal(getattr(built, name), getattr(las, name))


def test_las_start_where_their_yearly_rule_rests():
    las, p = make_las(gatekeeping_reversion=0.5, gatekeeping_relax=0.4,
                      la_reversal_initial=0.9)
    # -0.4 * 0.9 a year, half the departure decaying each year: it rests at -0.72.
    departure = -0.36 / 0.5
    assert las.assess_threshold == pytest.approx(las.assess_stance * np.exp(departure))
    assert las.plan_threshold == pytest.approx(las.plan_stance * np.exp(departure))
    assert las.assess_threshold == pytest.approx(p.assess_threshold_initial)
    # A year of the same conditions leaves them where they are.
    before = las.assess_threshold.copy()
    las.record_disputes(appeals=np.array([10.0, 10.0]), wins=np.zeros(2),
                        hearings=np.array([1.0, 1.0]), lost_by_la=np.array([0.0, 0.0]),
                        conceded=np.array([9.0, 9.0]))  # 9 of 10 reversed
    las.adapt_year(p, override_ended=False)
    assert las.assess_threshold == pytest.approx(before, rel=1e-12)


def test_concessions_count_as_reversals():
    las, _ = make_las()
    las.record_disputes(appeals=np.array([10.0, 10.0]), wins=np.zeros(2),
                        hearings=np.array([10.0, 2.0]), lost_by_la=np.array([5.0, 1.0]),
                        conceded=np.array([0.0, 8.0]))
    las.learn_reversals()
    assert np.allclose(las.reversal_belief, [0.5, 0.9])
    assert np.allclose(las.loss_belief, [0.5, 0.5])


def test_las_without_cases_keep_their_belief_and_pool_their_neighbours():
    values = defaults()
    p = as_vector(values)
    # LA 0 and LA 1 are neighbours; LA 2 stands alone.
    neighbours = (np.array([0, 1, 2, 2]), np.array([1, 0], dtype=np.int64))
    las = LocalAuthorities(3, p, np.full(3, 1000.0), np.zeros(3), neighbours,
                           np.zeros((3, len(D.FIELDS))))
    las.record_disputes(appeals=np.array([4.0, 0.0, 0.0]), wins=np.zeros(3),
                        hearings=np.array([4.0, 0.0, 0.0]),
                        lost_by_la=np.array([1.0, 0.0, 0.0]), conceded=np.zeros(3))
    las.learn_reversals()
    # LA 1 had no case of its own and learns from its neighbour's; LA 2 saw nothing and
    # keeps what it believed.
    assert las.reversal_belief == pytest.approx([0.25, 0.25, p.la_reversal_initial])
    assert las.loss_belief == pytest.approx([0.25, 0.25, p.la_hearing_loss_initial])


def test_losing_hearings_makes_las_concede_more():
    las, p = make_las()
    las.record_disputes(appeals=np.array([10.0, 10.0]), wins=np.zeros(2),
                        hearings=np.array([10.0, 10.0]), lost_by_la=np.array([1.0, 9.0]),
                        conceded=np.zeros(2))
    las.adapt_year(p, override_ended=False)
    assert las.concede[1] > las.concede[0]


def test_reversals_relax_thresholds_and_overspend_tightens_them():
    las, p = make_las(gatekeeping_relax=0.5, gatekeeping_response=0.2, gatekeeping_reversion=0.01,
                      la_reversal_initial=0.0)
    start = las.assess_threshold.copy()
    las.allocation_fy_gbp[:] = 100.0
    las.spend_fy_gbp[:] = [100.0, 150.0]      # LA 1 overspends by 50%
    las.record_disputes(appeals=np.array([4.0, 0.0]), wins=np.zeros(2),
                        hearings=np.array([2.0, 0.0]), lost_by_la=np.array([2.0, 0.0]),
                        conceded=np.array([2.0, 0.0]))
    las.adapt_year(p, override_ended=False)
    assert las.assess_threshold[0] == pytest.approx(np.clip(start[0] * np.exp(-0.5),
                                                            *LA.THRESHOLD_RANGE))
    assert las.assess_threshold[1] == pytest.approx(start[1] * np.exp(0.2 * 0.5))
    assert las.conceded_year.sum() == 0.0  # the year's totals start again


def test_without_a_tribunal_las_expect_no_reversals():
    las, p = make_las(gatekeeping_reversion=0.5, gatekeeping_relax=0.4,
                      gatekeeping_response=0.0)
    before = las.assess_threshold.copy()
    las.adapt_year(p, override_ended=False, appeals_open=False)
    assert np.all(las.reversal_belief == 0.0)
    # The relaxation from believed reversals stops, so the bars rise back towards the
    # standing practice.
    assert np.all(las.assess_threshold > before)
    assert np.allclose(las.loss_belief, p.la_hearing_loss_initial)
