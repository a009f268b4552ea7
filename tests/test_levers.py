"""Each policy lever changes the behaviour or rule it names (docs/policies.md).

Every lever is switched on in March 2015 in a small model and compared with the same
seed without it (common random numbers): the comparison checks the mechanism the
lever works through, not a target outcome.
"""

import numpy as np
import pytest

from sendabm.core import calendar
from sendabm.core.model import SendModel
from sendabm.core.policies import LEVERS
from sendabm.core.scenario import default_scenario

START = "2015-03"
END = "2017-08"
T = calendar.tick_of(START)


CONCEDE_LESS = {"la_hearing_loss_initial": 0.3, "case_reading_weight": 0.0}
"""LAs that expect to lose few hearings (and go by that, not by each case's papers)
concede few appeals."""


def _run(*policies, seed=5, end=END, **parameters):
    scenario = default_scenario().with_policies([{"start": START, **p} for p in policies])
    if parameters:
        scenario = scenario.with_overrides(parameters=parameters)
    model = SendModel(scenario, seed=seed, scale=0.002, end=end)
    model.run()
    return model


@pytest.fixture(scope="module")
def base():
    return _run()


def after(model, name):
    return np.asarray(model.national[name][T:])


def total(model, name):
    return float(after(model, name).sum())


def last(model, name):
    return float(model.national[name][-1])


def test_every_lever_is_tested():
    tested = {name[len("test_"):] for name in globals() if name.startswith("test_")}
    assert set(LEVERS) <= tested


def test_inclusion_incentives(base):
    model = _run({"name": "inclusion_incentives"})
    assert last(model, "mean_inclusiveness") > last(base, "mean_inclusiveness")


def test_national_framework(base):
    model = _run({"name": "national_framework", "threshold": 0.8})
    # One framework instead of 152 systems: each LA's assessment bar is pulled towards the
    # framework's 0.8, so the LAs end closer to it and closer to each other.
    gap = lambda m: np.abs(m.las.assess_threshold - 0.8).mean()  # noqa: E731
    assert gap(model) < gap(base)
    assert np.std(model.las.assess_threshold) < np.std(base.las.assess_threshold)
    assert model.p.la_observation_sd < base.p.la_observation_sd


def test_core_offer(base):
    model = _run({"name": "core_offer"})
    assert np.mean(after(model, "mean_unmet_need")) < np.mean(after(base, "mean_unmet_need"))
    assert total(model, "spend_core_offer_gbp") > 0 == total(base, "spend_core_offer_gbp")


def test_core_offer_units_option(base):
    # The LA pays for the core offer per child with a need in mainstream: in the month it
    # starts, twice the units cost twice as much. Not exactly: the offer already acts on
    # that month's placements before the spend is counted (at seed 5, one child fewer
    # leaves mainstream for a special school with the larger offer and is paid for).
    default = _run({"name": "core_offer"}, end=START)
    doubled = _run({"name": "core_offer", "units": 0.3}, end=START)
    spend = [m.national["spend_core_offer_gbp"][T] for m in (default, doubled)]
    assert spend[0] > 0 and spend[1] == pytest.approx(2 * spend[0], rel=2e-3)
    half_paid = _run({"name": "core_offer", "la_paid_share": 0.5})
    assert total(half_paid, "spend_core_offer_gbp") < total(_run({"name": "core_offer"}),
                                                            "spend_core_offer_gbp")


def test_special_school_outreach(base):
    model = _run({"name": "special_school_outreach"})
    assert np.mean(after(model, "mean_unmet_need")) < np.mean(after(base, "mean_unmet_need"))
    assert total(model, "spend_core_offer_gbp") == 0


def test_tribunal(base):
    removed = _run({"name": "tribunal", "mode": "remove"})
    assert total(removed, "appeals_registered") == 0 == total(removed, "hearings")
    fast = _run({"name": "tribunal", "mode": "replace", "months_to_decision": 1,
                 "capacity_factor": 3.0})
    assert total(fast, "hearings") > total(base, "hearings")
    # The calibrated LAs concede most appeals, so this small sample has few decisions;
    # LAs that concede less send enough cases to the advisory mechanism to test it.
    advisory = _run({"name": "tribunal", "mode": "replace", "binding": False,
                     "compliance": 0.0}, **CONCEDE_LESS)
    binding = _run({"name": "tribunal", "mode": "replace"}, **CONCEDE_LESS)
    # Advisory decisions the LA does not follow leave families without the remedy
    # they won, and less trusting of their LA.
    assert total(advisory, "decisions_not_followed") > 0 == total(binding,
                                                                  "decisions_not_followed")
    assert np.mean(after(advisory, "mean_trust_in_la")) < np.mean(
        after(binding, "mean_trust_in_la"))


def test_right_first_time(base):
    model = _run({"name": "right_first_time"})
    assert model.p.la_observation_sd < base.p.la_observation_sd
    assert total(model, "assessments_refused") < total(base, "assessments_refused")


def test_entitlement_limits(base):
    model = _run({"name": "entitlement_limits"})
    assert total(model, "plans_refused") > total(base, "plans_refused")


def test_choice_limits(base):
    model = _run({"name": "choice_limits"})
    assert total(model, "placements_refused") < total(base, "placements_refused")


def test_destinations_service(base):
    model = _run({"name": "destinations_service"})
    assert total(model, "leavers_neet") < total(base, "leavers_neet")


def test_local_inclusion_partnerships():
    # Places commissioned in August 2015 open after two years instead of three.
    base = _run(end="2018-08")
    model = _run({"name": "local_inclusion_partnerships"}, end="2018-08")
    at = calendar.tick_of("2017-10")
    assert model.national["special_places"][at] > base.national["special_places"][at]


def test_independent_sector(base):
    model = _run({"name": "independent_sector"})
    assert model.providers.fee.mean() < base.providers.fee.mean()
    assert model.p.independent_margin == 0.0


def test_workforce(base):
    model = _run({"name": "workforce"})
    assert np.mean(after(model, "mean_school_support_ratio")) > np.mean(
        after(base, "mean_school_support_ratio"))
    # The workforce available to LAs grows; how much of it they use follows demand,
    # which the stronger school support reduces.
    assert model.las.ep_fte_floor.sum() > base.las.ep_fte_floor.sum()


def test_notional_threshold(base):
    model = _run({"name": "notional_threshold", "gbp": 10000.0})
    assert total(model, "spend_mainstream_topup_gbp") < total(base, "spend_mainstream_topup_gbp")


def test_high_needs_funding(base):
    model = _run({"name": "high_needs_funding", "growth_per_year": 0.1})
    assert last(model, "high_needs_allocation_gbp") > last(base, "high_needs_allocation_gbp")


def test_statutory_override(base):
    model = _run({"name": "statutory_override", "ends": "2016-03"})
    assert model.override_end_tick == calendar.tick_of("2016-03") < base.override_end_tick


def test_early_identification(base):
    model = _run({"name": "early_identification"})
    assert np.mean(after(model, "sen_support")) > np.mean(after(base, "sen_support"))
