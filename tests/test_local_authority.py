"""LA learning: gatekeeping tightens with overspend and relaxes with reversed decisions."""

from __future__ import annotations

import numpy as np

from sendabm.core.actors.local_authority import LocalAuthorities
from sendabm.core.parameters import as_vector, defaults


def make_las(**changes) -> tuple[LocalAuthorities, object]:
    values = defaults()
    values.update(changes)
    p = as_vector(values)
    neighbours = (np.array([0, 0, 0]), np.array([], dtype=np.int64))
    las = LocalAuthorities(2, p, np.array([1000.0, 1000.0]), np.zeros(2), neighbours)
    return las, p


def test_concessions_count_as_reversals():
    las, _ = make_las()
    las.record_disputes(appeals=np.array([10.0, 10.0]), wins=np.zeros(2),
                        hearings=np.array([10.0, 2.0]), lost_by_la=np.array([5.0, 1.0]),
                        conceded=np.array([0.0, 8.0]))
    assert np.allclose(las.reversal_rate(), [0.5, 0.9])


def test_reversals_relax_thresholds_and_overspend_tightens_them():
    las, p = make_las(gatekeeping_relax=0.5, gatekeeping_response=0.2, practice_diffusion=0.0)
    start = las.assess_threshold.copy()
    las.allocation_fy_gbp[:] = 100.0
    las.spend_fy_gbp[:] = [100.0, 150.0]      # LA 1 overspends by 50%
    las.record_disputes(appeals=np.array([4.0, 0.0]), wins=np.zeros(2),
                        hearings=np.array([2.0, 0.0]), lost_by_la=np.array([2.0, 0.0]),
                        conceded=np.array([2.0, 0.0]))
    las.adapt_year(p, override_ended=False)
    assert las.assess_threshold[0] == np.clip(start[0] - 0.5, 0.2, 4.0)
    assert las.assess_threshold[1] == start[1] + 0.2 * 0.5
    assert las.conceded_year.sum() == 0.0  # the year's totals start again
