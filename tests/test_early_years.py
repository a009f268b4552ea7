"""Early years: children enter at age 2, needs emerge and are identified before Reception,
under-5s get plans through the same LA decisions, and at Reception a child moves into a
primary school keeping its SEN status and plan (sendabm.core.actors.early_years)."""

import numpy as np
import pytest

from sendabm.core import calendar, cohorts, policies
from sendabm.core import states as S
from sendabm.core.actors.family import early_years_onset_per_year
from sendabm.core.model import SendModel
from sendabm.core.parameters import as_vector, defaults
from sendabm.core.scenario import default_scenario

SCALE = 0.002
# Settings identify and ask readily, so a sample this small sees under-5 plans.
READY = {"early_years_identification_per_month": 0.3, "early_years_request_per_month": 0.3}


def _model(end="2016-08", **parameters):
    return SendModel(default_scenario().with_overrides(parameters=parameters), seed=3,
                     scale=SCALE, end=end)


def _active(model):
    return np.flatnonzero(model.families.active == 1)


@pytest.fixture(scope="module")
def ready():
    model = _model(**READY)
    model.run()
    return model


def test_prevalence_rises_through_the_early_years_to_the_reception_share():
    p = as_vector({**defaults(), "need_at_entry": 0.06, "early_years_need_share": 0.4})
    shares = cohorts.prevalence(np.array([S.FIRST_YEAR, -1, 0]), p)
    assert shares[0] == pytest.approx(0.4 * 0.06)
    assert shares[0] < shares[1] < shares[2]
    assert shares[2] == pytest.approx(0.06)
    # The hazard is the one that links the two shares.
    hazard = early_years_onset_per_year(p)
    assert 1 - (1 - shares[0]) * np.exp(-2 * hazard) == pytest.approx(0.06)


def test_the_start_has_two_early_years_cohorts_outside_the_pupil_counts():
    model = _model(end="2014-10")
    model.step()  # September 2014, the first month
    fam, rows = model.families, _active(model)
    early = rows[fam.year[rows] < 0]
    assert set(fam.year[early].tolist()) == {-2, -1}
    assert np.all(fam.setting[early] == S.EARLY_YEARS)
    assert np.all(fam.school[early] == -1)
    school_age = np.sum((fam.year[rows] >= 0) & (fam.year[rows] < S.SCHOOL_YEARS))
    assert model.national["pupils"][-1] == pytest.approx(school_age / SCALE)
    assert model.national["early_years_children"][-1] == pytest.approx(early.size / SCALE)
    # Each early-years cohort is about one school year of pupils.
    per_year = school_age / S.SCHOOL_YEARS
    assert 0.9 * per_year < np.sum(fam.year[early] == -1) < 1.1 * per_year


def test_a_september_brings_two_year_olds_and_moves_the_oldest_into_reception():
    model = _model(end="2015-09")
    while model.tick < calendar.tick_of("2015-09"):
        model.step()
    fam = model.families
    rows = _active(model)
    before = {int(fam.uid[i]): (int(fam.sen[i]), int(fam.need_type[i]))
              for i in rows[fam.year[rows] == -1]}
    first_new_uid = model.next_uid
    model.step()  # September 2015
    rows = _active(model)
    by_uid = {int(fam.uid[i]): i for i in rows}
    moved = [by_uid[u] for u in before]
    assert np.all(fam.year[moved] == 0)
    assert np.all((fam.setting[moved] == S.MAINSTREAM) | (fam.setting[moved] == S.SPECIAL))
    mainstream = [i for i in moved if fam.setting[i] == S.MAINSTREAM]
    assert np.all(model.schools.phase[fam.school[mainstream]] == 0)  # a primary school
    # SEN status is kept (a need may have resolved in the month, never gained a plan).
    kept = [fam.sen[by_uid[u]] >= sen or sen == S.SEN_SUPPORT for u, (sen, _) in before.items()]
    assert all(kept)
    arrived = rows[fam.uid[rows] >= first_new_uid]
    assert arrived.size > 0
    assert np.all(fam.year[arrived] == S.FIRST_YEAR)
    assert np.all(fam.setting[arrived] == S.EARLY_YEARS)
    assert np.all(fam.sen[arrived] != S.EHCP)  # plans come from requests


def test_early_years_identification_is_its_own_rate():
    none = _model(end="2015-08", early_years_identification_per_month=0.0)
    none.run()
    assert max(none.national["early_years_sen_support"]) == 0.0
    assert min(none.national["sen_support"][1:]) > 0.0
    quick = _model(end="2015-08", early_years_identification_per_month=0.5,
                   identification_per_month=0.0)
    quick.run()
    assert quick.national["early_years_sen_support"][-1] > 0.0


def test_under_fives_get_plans_and_they_cost_the_high_needs_block(ready):
    n = ready.national
    assert sum(n["assessment_requests_early_years"]) > 0
    assert sum(n["plans_issued_early_years"]) > 0
    assert sum(n["plans_issued_early_years"]) < sum(n["plans_issued"])
    plans = np.asarray(n["ehc_plans_early_years"])
    spend = np.asarray(n["spend_early_years_gbp"])
    assert plans.max() > 0
    # Each plan before Reception costs early_years_plan_cost_gbp a year, inflated.
    per_plan = spend[plans > 0] / plans[plans > 0] / (ready.p.early_years_plan_cost_gbp / 12.0)
    assert np.all((per_plan >= 1.0) & (per_plan < 1.06))
    share = np.asarray(n["share_plans_issued_early_years"], dtype=float)
    assert np.nanmax(share) > 0.0


def test_school_age_measures_leave_the_early_years_out(ready):
    fam, rows = ready.families, _active(ready)
    school_age = (fam.year[rows] >= 0) & (fam.year[rows] < S.SCHOOL_YEARS)
    plan = fam.sen[rows] == S.EHCP
    n = ready.national
    assert n["pupils"][-1] == pytest.approx(school_age.sum() / SCALE)
    assert n["ehc_plans_school_age"][-1] == pytest.approx((plan & school_age).sum() / SCALE)
    assert n["sen_support"][-1] == pytest.approx(
        ((fam.sen[rows] == S.SEN_SUPPORT) & school_age).sum() / SCALE)
    assert n["ehc_plans"][-1] == pytest.approx(plan.sum() / SCALE)


def test_the_early_identification_lever_acts_in_early_years():
    params = defaults()
    entry = {"name": "early_identification", "start": "2014-09", "strength": 1.0,
             "ramp_years": 0}
    effects = policies.effects([entry], 0, params)
    rise = 1.0 + policies.LEVERS["early_identification"].options["identification_rise"].default
    assert effects.parameters["early_years_identification_per_month"] == pytest.approx(
        params["early_years_identification_per_month"] * rise)
