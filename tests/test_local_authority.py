"""LA learning: gatekeeping tightens with overspend and relaxes with reversed decisions,
around each LA's own standing practice (its dispositions)."""

from __future__ import annotations

import numpy as np
import pytest

from sendabm.core import dispositions as D
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


def test_concessions_count_as_reversals():
    las, _ = make_las()
    las.record_disputes(appeals=np.array([10.0, 10.0]), wins=np.zeros(2),
                        hearings=np.array([10.0, 2.0]), lost_by_la=np.array([5.0, 1.0]),
                        conceded=np.array([0.0, 8.0]))
    assert np.allclose(las.reversal_rate(), [0.5, 0.9])


def test_reversals_relax_thresholds_and_overspend_tightens_them():
    las, p = make_las(gatekeeping_relax=0.5, gatekeeping_response=0.2, gatekeeping_reversion=0.0)
    start = las.assess_threshold.copy()
    las.allocation_fy_gbp[:] = 100.0
    las.spend_fy_gbp[:] = [100.0, 150.0]      # LA 1 overspends by 50%
    las.record_disputes(appeals=np.array([4.0, 0.0]), wins=np.zeros(2),
                        hearings=np.array([2.0, 0.0]), lost_by_la=np.array([2.0, 0.0]),
                        conceded=np.array([2.0, 0.0]))
    las.adapt_year(p, override_ended=False)
    assert las.assess_threshold[0] == pytest.approx(np.clip(start[0] * np.exp(-0.5), 0.2, 4.0))
    assert las.assess_threshold[1] == pytest.approx(start[1] * np.exp(0.2 * 0.5))
    assert las.conceded_year.sum() == 0.0  # the year's totals start again
