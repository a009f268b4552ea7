"""Mediation in the shadow of the law: the LA agrees in mediation when conceding costs it
less than it expects going on to cost (:func:`sendabm.core.kernels.cases.mediation_chance`),
so the tribunal levers change agreement through the LA's expectation of a hearing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendabm.core import states as S
from sendabm.core.kernels import cases as C
from sendabm.core.model import SendModel
from sendabm.core.scenario import default_scenario

SPREAD = 0.6
GBP = st.floats(0.0, 1e7)
SHARE = st.floats(0.0, 1.0)


def test_with_no_hearing_the_costing_noise_alone_sets_agreement():
    removed = C.settlement_chance(40_000.0, 36_000.0, 0.9, 0.0, 6_000.0, SPREAD)
    assert removed == pytest.approx(1.0 / (1.0 + math.exp(1.0 / SPREAD)))
    # The same case under a tribunal the family will go to: going on costs the LA
    # 0.9 x 36,000 + 6,000 = 38,400 against 40,000 for agreeing, nearly even.
    kept = C.settlement_chance(40_000.0, 36_000.0, 0.9, 1.0, 6_000.0, SPREAD)
    assert kept == pytest.approx(1.0 / (1.0 + math.exp(1_600.0 / (SPREAD * 40_000.0))))
    # An advisory decision followed half the time halves the expected loss.
    advisory = C.settlement_chance(40_000.0, 36_000.0, 0.9 * 0.5, 1.0, 6_000.0, SPREAD)
    assert removed < advisory < kept


def test_a_free_concession_is_made_whenever_going_on_costs_anything():
    assert C.settlement_chance(0.0, 0.0, 0.8, 0.1, 6_000.0, SPREAD) == 1.0
    assert C.settlement_chance(0.0, 0.0, 0.8, 0.0, 6_000.0, SPREAD) == 0.5


@settings(max_examples=200, deadline=None, derandomize=True)
@given(stake=GBP, loss=SHARE, hearing=SHARE, defence=GBP, spread=st.floats(0.01, 5.0),
       deferred=SHARE, more=st.floats(0.0, 1.0))
def test_the_chance_is_a_probability_that_grows_with_the_expected_hearing(
        stake, loss, hearing, defence, spread, deferred, more):
    after = stake * deferred
    chance = C.settlement_chance(stake, after, loss, hearing, defence, spread)
    assert 0.0 <= chance <= 1.0
    likelier = min(1.0, hearing + more)
    assert C.settlement_chance(stake, after, loss, likelier, defence, spread) >= chance
    assert C.settlement_chance(stake, after, min(1.0, loss + more), hearing, defence,
                                 spread) >= chance


def test_the_provision_at_stake_comes_from_the_las_costs():
    model = SendModel(seed=1, scale=0.001, end="2014-10")
    fam, p, cw = model.families, model.p, model._case_world()
    i = 0
    year, need, topup = fam.year[i], fam.need[i], fam.topup[i]
    try:
        # Four years left in school, within the LA's five-year horizon.
        fam.year[i], fam.need[i], fam.topup[i] = 10, 1.0, 0.1
        assert S.SCHOOL_YEARS - 10 == 4 < p.plan_horizon_years
        yearly = C.plan_topup(1.0, p) * C.NEED_UNIT_GBP
        assert yearly > 0
        fam.kind[i] = S.KIND_ASSESS
        # An assessment costs the same whenever done; the plan it may lead to does not.
        chance = C.plan_chance(1.0, cw.plan_threshold[fam.la[i]], p.la_observation_sd)
        assert 0.5 < chance < 1.0
        assert C.provision_at_stake(fam, i, cw, p, 1.0, 0.0) == pytest.approx(
            C.LA.ASSESSMENT_COST_GBP + chance * 4 * yearly)
        assert C.provision_at_stake(fam, i, cw, p, 1.0, 6.0) == pytest.approx(
            C.LA.ASSESSMENT_COST_GBP + chance * 3.5 * yearly)
        fam.kind[i] = S.KIND_PLAN
        assert C.provision_at_stake(fam, i, cw, p, 1.0, 0.0) == pytest.approx(4 * yearly)
        assert C.provision_at_stake(fam, i, cw, p, 1.0, 6.0) == pytest.approx(3.5 * yearly)
        fam.kind[i] = S.KIND_PLACEMENT
        special = p.special_place_funding_gbp + p.special_topup_gbp + p.transport_gbp
        assert C.provision_at_stake(fam, i, cw, p, 1.0, 0.0) == pytest.approx(
            4 * (special - np.float64(np.float32(0.1)) * C.NEED_UNIT_GBP))
        # A young child's plan counts the LA's horizon, not the years to the end of school.
        fam.year[i] = 0
        fam.kind[i] = S.KIND_PLAN
        assert C.provision_at_stake(fam, i, cw, p, 1.0, 0.0) == pytest.approx(
            p.plan_horizon_years * yearly)
    finally:
        fam.year[i], fam.need[i], fam.topup[i], fam.kind[i] = year, need, topup, S.KIND_NONE


def test_las_concede_by_expected_cost_and_by_type():
    model = SendModel(seed=1, scale=0.001, end="2014-10")
    fam, p, cw = model.families, model.p, model._case_world()
    i = 0
    saved = fam.year[i], fam.need[i], fam.topup[i], fam.la[i]
    try:
        fam.year[i], fam.need[i], fam.topup[i] = 5, 0.1, 0.0
        # A refusal to assess a child of little need: defending costs more than the
        # assessment, so the LA concedes more often than not whatever it expects at a
        # hearing; a placement at stake it defends more often the surer it is of winning.
        fam.kind[i] = S.KIND_ASSESS
        assert C.settles(fam, i, cw, p, 1.0) > 0.5
        fam.kind[i] = S.KIND_PLACEMENT
        la = fam.la[i]
        belief = cw.la_loss_belief.copy()
        sure = cw._replace(la_loss_belief=np.where(np.arange(3)[:, None] == 2, 0.0, belief))
        unsure = cw._replace(la_loss_belief=np.where(np.arange(3)[:, None] == 2, 1.0, belief))
        assert C.settles(fam, i, sure, p, 1.0) < C.settles(fam, i, unsure, p, 1.0)
        assert sure.la_loss_belief[2, la] == 0.0
        # With no tribunal to fear, only the costing noise concedes.
        assert C.settles(fam, i, cw, p, 0.0) == pytest.approx(
            1.0 / (1.0 + math.exp(1.0 / p.mediation_spread)))
    finally:
        fam.year[i], fam.need[i], fam.topup[i], fam.la[i] = saved
        fam.kind[i] = S.KIND_NONE


@pytest.fixture(scope="module")
def mediations():
    """Each mediation's chance of agreement under the world the model ran in, the same
    world with the tribunal removed, and with its decisions advisory (compliance 0.5)."""
    model = SendModel(seed=3, scale=0.003, end="2016-08")
    chances = []
    decide = model._decide_cases

    def record_then_decide():
        cw, fam, p = model._case_world(), model.families, model.p
        for i in model._cases:
            if fam.stage[i] == S.MEDIATION:
                chances.append([C.mediation_chance(fam, i, w, p) for w in (
                    cw, cw._replace(appeals_open=0.0),
                    cw._replace(binding=0.0, compliance=0.5))])
        decide()

    model._decide_cases = record_then_decide
    model.run()
    return np.array(chances)


def test_agreement_falls_with_the_las_expectation_of_a_hearing(mediations):
    kept, removed, advisory = mediations.T
    assert len(kept) >= 40
    assert ((0.0 <= mediations) & (mediations <= 1.0)).all()
    # Case by case: no hearing to fear makes no LA likelier to agree, an advisory one it
    # may ignore is in between; and on average the fall is real.
    assert (removed <= advisory).all() and (advisory <= kept).all()
    assert removed.mean() < advisory.mean() < kept.mean()


def _agreements(policy, start="2015-03", end="2015-04"):
    scenario = default_scenario()
    if policy:
        scenario = scenario.with_policies([{"start": start, "name": "tribunal", **policy}])
    model = SendModel(scenario, seed=4, scale=0.01, end=end)
    model.run()
    return (float(np.sum(model.national["mediation_agreements"][-2:])),
            float(np.sum(model.national["mediations"][-2:])))


def test_the_levers_move_agreement_through_the_rule():
    # In the lever's first two months the same refusals reach mediation (LAs first
    # adapt their thresholds at the end of March), so agreements differ only by the
    # LA's expectation of what follows a failed mediation (common random numbers).
    binding, mediated = _agreements({"mode": "replace"})
    advisory, mediated_advisory = _agreements({"mode": "replace", "binding": False,
                                               "compliance": 0.5})
    removed, mediated_removed = _agreements({"mode": "remove"})
    assert mediated == mediated_advisory == mediated_removed > 20
    assert removed <= advisory <= binding
    assert removed < binding
