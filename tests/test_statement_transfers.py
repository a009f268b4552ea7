"""Statement-to-EHC-plan transfers: until March 2018 the statements an LA held in
September 2014 take assessment work from new requests, and the LA staffs for them."""

from __future__ import annotations

import numpy as np
from test_local_authority import make_las

from sendabm.core import states as S
from sendabm.core.actors import local_authority as LA
from sendabm.core.population import allocate

START = 0  # September 2014


def families_with_plans(plans_per_la: list[int], others: int = 5):
    """Active children in LAs 0..n-1: ``plans_per_la[k]`` with a plan, ``others`` without."""
    n = sum(plans_per_la) + others * len(plans_per_la)
    fam = allocate(n + 4)
    row = 0
    for la, plans in enumerate(plans_per_la):
        for k in range(plans + others):
            fam.active[row] = 1
            fam.la[row] = la
            fam.sen[row] = S.EHCP if k < plans else S.SEN_SUPPORT
            row += 1
    return fam


def test_transfers_take_capacity_until_the_deadline_then_stop():
    las, p = make_las(transfer_review_effort=0.5)
    las.set_transfers(families_with_plans([86, 0]), START)
    months = LA.TRANSFER_DEADLINE - START + 1
    full = las.ep_fte * p.assessments_per_ep_month
    np.testing.assert_allclose(las.transfer_work(p, START), [86 / months * 0.5, 0.0])
    np.testing.assert_allclose(las.assess_capacity(p, START),
                               np.maximum(0.0, full - [86 / months * 0.5, 0.0]))
    np.testing.assert_allclose(las.assess_capacity(p, LA.TRANSFER_DEADLINE + 1), full)


def test_capacity_never_falls_below_zero():
    las, p = make_las(transfer_review_effort=2.0)
    las.set_transfers(families_with_plans([100_000, 3]), START)
    capacity = las.assess_capacity(p, START)
    assert capacity[0] == 0.0 and capacity[1] > 0.0


def test_no_effort_leaves_capacity_as_the_psychologists_give_it():
    las, p = make_las(transfer_review_effort=0.0)
    las.set_transfers(families_with_plans([500, 500]), START)
    np.testing.assert_array_equal(las.assess_capacity(p, START),
                                  las.ep_fte * p.assessments_per_ep_month)


def test_las_staff_for_the_transfers_coming_and_not_after_the_deadline():
    las, p = make_las(transfer_review_effort=1.0)
    las.set_transfers(families_with_plans([20_000, 0]), START)
    floor = las.ep_fte_floor.copy()
    august_2015 = 11
    las.adapt_capacity(p, np.zeros(2), august_2015)
    assert las.ep_fte[0] > floor[0]  # LA 0 hires for its transfers
    assert las.ep_fte[1] == floor[1]  # LA 1 held no statements
    after = make_las(transfer_review_effort=1.0)[0]
    after.set_transfers(families_with_plans([20_000, 0]), START)
    after.adapt_capacity(p, np.zeros(2), LA.TRANSFER_DEADLINE)  # the coming year is after
    np.testing.assert_array_equal(after.ep_fte, after.ep_fte_floor)
