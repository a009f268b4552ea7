"""The tribunal's hearing capacity responds to its backlog, with a lag, a yearly cap and
a floor; the levers that replace or remove it act as they document; hearings are
counted by appeal kind with the months they waited."""

from __future__ import annotations

import dataclasses

import mesa
import numpy as np
import pytest

from sendabm.core import parameters
from sendabm.core import states as S
from sendabm.core.actors.tribunal import Tribunal, legal_bar
from sendabm.core.kernels import family_month as F
from sendabm.core.measures import DECISION_KINDS, SLOT
from sendabm.core.model import SendModel
from sendabm.core.scenario import default_scenario

P = parameters.as_vector(parameters.defaults())


def _params(**changes):
    return P._replace(**changes)


def _year(tribunal: Tribunal, backlog: float, p, factor: float = 1.0) -> float:
    """Twelve months at ``backlog``, then an August; the capacity open after it."""
    for _ in range(12):
        tribunal.record_month(backlog)
    tribunal.adapt_year(p, factor)
    return tribunal.hearings_per_month


def test_capacity_rises_after_the_backlog_grows_one_lag_later_and_by_the_cap():
    p = _params(tribunal_target_months=6.0, tribunal_gap_closed_per_year=1.0,
                tribunal_capacity_lag_years=1, tribunal_capacity_cap_per_year=0.15,
                tribunal_capacity_floor=0.5)
    tribunal = Tribunal(mesa.Model(), 100.0, lag_years=1)
    assert _year(tribunal, 600.0, p) == 100.0  # the backlog needs what it has
    # The backlog grows tenfold: the decision is capped, and opens a year later.
    assert _year(tribunal, 6000.0, p) == 100.0
    assert _year(tribunal, 6000.0, p) == pytest.approx(115.0)
    assert _year(tribunal, 6000.0, p) == pytest.approx(115.0 * 1.15)
    # Once what it committed meets the need it stops growing.
    for _ in range(20):
        _year(tribunal, 6000.0, p)
    assert tribunal.hearings_per_month == pytest.approx(1000.0)
    assert tribunal.months_to_hearing() == pytest.approx(6.0)


@pytest.mark.parametrize("lag", [0, 1, 3])
def test_capacity_never_grows_more_than_the_cap_nor_falls_below_the_floor(lag):
    p = _params(tribunal_capacity_lag_years=lag, tribunal_capacity_cap_per_year=0.1,
                tribunal_capacity_floor=0.4, tribunal_gap_closed_per_year=0.7)
    tribunal = Tribunal(mesa.Model(), 50.0, lag_years=lag)
    backlogs = np.random.default_rng(3).choice([0.0, 100.0, 5000.0, 50000.0], size=40)
    before = tribunal.hearings_per_month
    moved = 0
    for backlog in backlogs:
        after = _year(tribunal, backlog, p)
        assert after <= before * 1.1 + 1e-9
        assert after >= 0.4 * 50.0 - 1e-9
        moved += after != before
        before = after
    assert moved > 10  # it does respond
    assert len(tribunal.committed) == lag


def test_with_no_backlog_capacity_falls_toward_its_floor():
    p = _params(tribunal_gap_closed_per_year=0.5, tribunal_capacity_floor=0.5,
                tribunal_capacity_lag_years=0)
    tribunal = Tribunal(mesa.Model(), 80.0)
    assert _year(tribunal, 0.0, p) == pytest.approx(40.0)
    assert _year(tribunal, 0.0, p) == pytest.approx(40.0)


def test_a_replacement_plans_for_the_backlog_over_its_capacity_factor():
    p = _params(tribunal_target_months=5.0, tribunal_gap_closed_per_year=1.0,
                tribunal_capacity_lag_years=0, tribunal_capacity_cap_per_year=1.0,
                tribunal_capacity_floor=0.0)
    tribunal, replaced = Tribunal(mesa.Model(), 100.0), Tribunal(mesa.Model(), 100.0)
    assert _year(tribunal, 1000.0, p) == pytest.approx(200.0)
    assert _year(replaced, 1000.0, p, factor=2.0) == pytest.approx(100.0)
    # Either way the month's capacity hears the backlog in the target months.
    assert replaced.capacity(2.0) == pytest.approx(tribunal.capacity(1.0))
    # With no capacity to plan for, the decision repeats what is committed.
    assert _year(replaced, 1000.0, p, factor=0.0) == pytest.approx(100.0)


def _tiny(policy: dict | None = None, seed: int = 7, **parameters) -> SendModel:
    scenario = default_scenario()
    if policy is not None:
        scenario = dataclasses.replace(scenario, policies=({"name": "tribunal", **policy},))
    model = SendModel(scenario, seed=seed, scale=0.001, end="2017-08", **parameters)
    model.run()
    return model


@pytest.fixture(scope="module")
def replaced() -> SendModel:
    # LAs that concede less, so a sample this small holds hearings (as the kernel
    # equivalence test's advisory run).
    return _tiny({"mode": "replace", "start": "2015-09", "capacity_factor": 1.5},
                 la_hearing_loss_initial=0.3, case_reading_weight=0.0)


def test_hearings_by_kind_sum_to_hearings_and_record_their_wait():
    # Seed 4: its sample hears all three kinds of appeal under the calibrated set of
    # 2026-12-01 (a sample this small hears few; seed 8's came to hear one kind only).
    replaced = _tiny({"mode": "replace", "start": "2015-09", "capacity_factor": 1.5}, seed=4,
                     la_hearing_loss_initial=0.3, case_reading_weight=0.0)
    nat = {k: np.array(v) for k, v in replaced.national.items()}
    assert nat["hearings"].sum() > 0
    for total, parts in (("hearings", "hearings_{}"),
                         ("hearings_won_by_family", "hearings_won_by_family_{}")):
        by_kind = sum(nat[parts.format(kind)] for kind in DECISION_KINDS)
        np.testing.assert_array_equal(by_kind, nat[total])
        # and per LA x quintile
        panel_by_kind = sum(np.stack(replaced.panel[parts.format(kind)]) for kind in DECISION_KINDS)
        np.testing.assert_array_equal(panel_by_kind, np.stack(replaced.panel[total]))
    assert sum(nat[f"hearings_{kind}"].sum() > 0 for kind in DECISION_KINDS) >= 2
    # Appeals are heard no sooner than the earliest hearing: 4 months, then 2 (replace).
    waited = nat["months_waited_to_hearing"]
    assert np.nanmin(waited) >= 2.0
    assert np.nanmax(waited) < 36.0
    for kind in DECISION_KINDS:
        share = nat[f"share_hearings_won_by_family_{kind}"]
        assert np.all(np.isnan(share) | ((share >= 0) & (share <= 1)))
    # The wait sums by kind add up to the total (exact: whole months).
    totals = np.sum(np.stack(replaced._year_totals), axis=0)  # the last 12 months
    assert totals[SLOT["hearing_wait_sum"]].sum() > 0
    np.testing.assert_array_equal(
        sum(totals[SLOT[f"hearing_wait_sum_{kind}"]] for kind in DECISION_KINDS),
        totals[SLOT["hearing_wait_sum"]])


def test_a_replaced_tribunal_hears_with_its_factor_times_the_capacity(replaced):
    scale = replaced.scale
    assert replaced.current["hearing_capacity"] == pytest.approx(
        1.5 * replaced.tribunal.hearings_per_month / scale)


def test_a_removed_tribunal_hears_nothing_and_shrinks_to_its_floor():
    # A floor below the set-up capacity, so there is room to shrink.
    model = _tiny({"mode": "remove", "start": "2015-09"}, tribunal_capacity_floor=0.5)
    nat = {k: np.array(v) for k, v in model.national.items()}
    after = np.array([d >= np.datetime64("2015-09-01") for d in
                      np.array(model.dates, dtype="datetime64[D]")])
    assert nat["hearings"][after].sum() == 0
    assert nat["tribunal_backlog"][after][1:].max() == 0
    capacity = nat["hearing_capacity"][after]
    assert np.all(np.diff(capacity) <= 1e-9)
    floor = model.p.tribunal_capacity_floor * model.tribunal.initial / model.scale
    assert capacity.min() >= floor - 1e-9
    assert capacity[-1] < capacity[0]


def test_one_legal_bar_by_what_was_refused_and_families_weigh_need_against_it():
    p = parameters.as_vector({
        **parameters.defaults(), "legal_threshold": 0.2, "tribunal_plan_bar_factor": 1.5,
        "special_threshold": 1.0, "tribunal_placement_bar_factor": 0.5,
        "appeal_severity_weight": 2.0})
    assert legal_bar(S.KIND_ASSESS, p) == 0.2
    assert legal_bar(S.KIND_PLAN, p) == pytest.approx(0.3)
    assert legal_bar(S.KIND_PLACEMENT, p) == 0.5
    # The compiled bar is the same function.
    assert F.legal_bar(S.KIND_PLACEMENT, p) == legal_bar(S.KIND_PLACEMENT, p)
    # The same child is readier to contest a refusal to assess, whose legal test is low,
    # than a refused placement: by the severity weight times the difference of the bars.
    odds = [F.appeal_logit(0.8, 0.0, 0.5, 0.5, 0.4, kind, p)
            for kind in (S.KIND_ASSESS, S.KIND_PLAN, S.KIND_PLACEMENT)]
    assert odds[0] - odds[2] == pytest.approx(2.0 * (0.5 - 0.2))
    assert odds[0] > odds[1] > odds[2]
