"""The high-needs money loop: an LA that overspent asks its schools forum (and, past its
reserves, the Secretary of State) to move money from the schools block; the transfer
funds high needs and comes out of its mainstream schools' SEN budgets, so high-needs
pressure reaches inclusion."""

from __future__ import annotations

import numpy as np
import pytest

from sendabm.core import dispositions as D
from sendabm.core.actors.local_authority import LocalAuthorities
from sendabm.core.actors.mainstream import PRIMARY, MainstreamSchools
from sendabm.core.model import SendModel
from sendabm.core.parameters import as_vector, defaults
from sendabm.core.scenario import default_scenario


def make_las(n=3, reserves=0.0, **changes):
    values = defaults()
    values.update(changes)
    p = as_vector(values)
    neighbours = (np.zeros(n + 1, dtype=np.int64), np.array([], dtype=np.int64))
    las = LocalAuthorities(n, p, np.full(n, 1000.0), np.full(n, reserves), neighbours,
                           np.zeros((n, len(D.DECISION_FIELDS))))
    return las, p


def test_an_la_asks_for_its_overspend_up_to_the_forums_cap():
    las, p = make_las(transfer_forum_cap_share=0.005, reserves=1e12)
    las.overspend_last_fy_gbp = np.array([-5.0e5, 2.0e5, 9.0e6])  # under, small, large
    block = np.full(3, 1.0e9)
    transfer = las.propose_transfers(p, block, np.array([0.8, 0.8, 0.8]))
    # An LA within budget asks nothing; one past the cap gets the forum's share of the cap.
    assert transfer == pytest.approx([0.0, 0.8 * 2.0e5, 0.8 * 0.005 * 1.0e9])
    assert np.array_equal(las.transfer_year_gbp, transfer)


def test_past_its_reserves_an_la_asks_the_secretary_of_state_for_more():
    las, p = make_las(transfer_forum_cap_share=0.005, transfer_approval_cap_share=0.015,
                      transfer_approval_share=0.5)
    las.overspend_last_fy_gbp = np.full(3, 4.0e7)
    las.cumulative_spend_gbp = np.array([0.0, 1.0, 1.0])   # LAs 1 and 2 past reserves (0)
    block = np.array([1.0e9, 1.0e9, 1.0e10])
    transfer = las.propose_transfers(p, block, np.ones(3))
    forum = 0.005 * block
    assert transfer[0] == pytest.approx(forum[0])
    # Its overspend (4e7) is over the 1.5% cap of a 1e9 block: half of the cap's rest
    # beyond the forum's 0.5% is approved.
    assert transfer[1] == pytest.approx(forum[1] + 0.5 * (0.015 * 1.0e9 - forum[1]))
    # The forum's 0.5% of a 1e10 block already covers it.
    assert transfer[2] == pytest.approx(4.0e7)


def test_transfers_count_in_the_accounts_and_the_deficit():
    las, p = make_las()
    las.allocation_year_gbp = np.full(3, 1200.0)
    las.transfer_year_gbp = np.array([0.0, 120.0, 240.0])
    las.account_month(np.full(3, 110.0))
    assert las.deficit_gbp == pytest.approx([10.0, 0.0, -10.0])
    assert list(las.overspending()) == [True, False, False]


def make_schools(**changes):
    values = defaults()
    values.update(changes)
    p = as_vector(values)
    schools = MainstreamSchools(np.array([0, 0, 1, 1]), np.full(4, PRIMARY), np.full(4, 0.7))
    schools.roll = np.array([200.0, 200.0, 300.0, 100.0])
    return schools, p


def test_a_schools_forum_whose_schools_are_short_agrees_less():
    schools, p = make_schools(schools_forum_agreement=0.6)
    schools.support_ratio = np.array([1.0, 1.0, 0.5, 1.0])
    assert schools.forum_agreement(p, 2) == pytest.approx([0.6, 0.6 * (150 + 100) / 400])


def test_a_transfer_comes_out_of_the_schools_sen_budgets():
    schools, p = make_schools(transfer_sen_incidence=0.5, schools_block_gbp_per_pupil=5200.0,
                              notional_sen_budget_per_pupil=520.0)
    before = schools.notional_budgets(p)
    schools.take_transfers(p, np.array([0.0, 0.005]))
    # 0.5% of the schools block is 5% of the notional SEN budget; half of it is taken.
    assert schools.notional_budgets(p) == pytest.approx(before * [1, 1, 0.975, 0.975])


def _april_2022(**parameters) -> SendModel:
    model = SendModel(default_scenario().with_overrides(parameters=parameters), seed=3,
                      scale=0.01, end="2022-04")
    model.run()
    return model


@pytest.fixture(scope="module")
def loop_runs():
    """Four runs to April 2022: the baseline and a steeper identification trend, each
    with schools-block transfers and without them."""
    closed = {"transfer_forum_cap_share": 0.0, "transfer_approval_cap_share": 0.0}
    steep = {"prevalence_trend_per_year": 0.06}
    return {(trend, transfers): _april_2022(**(steep if trend else {}),
                                            **({} if transfers else closed))
            for trend in (False, True) for transfers in (False, True)}


def test_high_needs_pressure_reaches_mainstream_through_transfers(loop_runs):
    def budgets(model):    # per pupil on roll (a steeper trend places more outside it)
        schools = model.schools
        return float(schools.notional_budgets(model.p).sum() / schools.roll.sum())

    def inclusiveness(model):
        return float(model.schools.inclusiveness.mean())

    runs = loop_runs
    # Without transfers a steeper trend takes nothing from schools' SEN budgets per pupil.
    assert budgets(runs[True, False]) == pytest.approx(budgets(runs[False, False]), rel=1e-12)
    # With them, the steeper trend's higher spend draws larger transfers, which cut the
    # schools' SEN budgets and, through their support ratios, their inclusiveness.
    assert (runs[True, True].las.transfer_year_gbp.sum()
            > runs[False, True].las.transfer_year_gbp.sum() > 0)
    assert budgets(runs[True, True]) < budgets(runs[False, True]) < budgets(runs[False, False])
    drop_with = inclusiveness(runs[True, True]) - inclusiveness(runs[False, True])
    drop_without = inclusiveness(runs[True, False]) - inclusiveness(runs[False, False])
    assert drop_with < drop_without <= 0.0
